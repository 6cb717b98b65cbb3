// Where a container's cgroups go: linux.cgroupsPath or, by default,
// /runts/<id>. An absolute cgroupsPath is taken from each hierarchy's root.
// A relative one is placed as runc places it:
//   v1 and hybrid hosts (runc's fs driver): under runts' own cgroup, in
//     every hierarchy (the unified one of a hybrid host included);
//   pure v2 hosts (runc's fs2 driver, defaultpath.go): under the PARENT of
//     runts' own cgroup. runts' own cgroup has processes (runts, the shell
//     or the engine's scope that started it), and the no-internal-process
//     rule of v2 forbids enabling controllers in the cgroup.subtree_control
//     of a cgroup with processes: a child of it could take no limit. Its
//     parent has no processes of its own (unless it is the root), so the
//     container goes beside runts' cgroup instead of below it. runc does
//     this for any own cgroup (a ".scope" or not); so does runts, except
//     where the parent is not visible: runts in the root cgroup, or a
//     cgroup2 mount whose root is runts' own cgroup (a container's bind of
//     its cgroup): then the container goes under runts' own cgroup, the
//     only place there is (runc would name a directory that is not there).
// A placement in runts' own cgroup or above it is refused: the container's
// processes would be mixed with the host's, and delete, which never acts on
// such a cgroup (addon/common/cgroupfs.cc confinedCgroupDir), could not
// remove it.
import path from 'node:path';
import { RuntsError } from '../errors';
import type { CgroupHierarchy, CgroupLayout } from './layout';

export interface CgroupDir {
  /** Hierarchy name: "memory", "name=systemd", "" for unified. */
  hierarchy: string;
  version: 1 | 2;
  /** The cgroup as /proc/<pid>/cgroup shows it. */
  cgroupPath: string;
  /** The directory on the host. */
  dir: string;
  mountPoint: string;
}

export interface CgroupPlacement {
  mode: CgroupLayout['mode'];
  dirs: CgroupDir[];
  /** A cgroup.procs that lists every process of the container. */
  procsFile: string | undefined;
  /** freezer.state (v1) or cgroup.freeze (v2). */
  freezerFile: string | undefined;
  /** cgroup.kill of the unified hierarchy (checked for existence at create). */
  killFile: string | undefined;
}

export const DEFAULT_CGROUP_PARENT = '/runts';

function cleanCgroupPath(raw: string): string {
  const normalized = path.posix.normalize(raw);
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new RuntsError(`linux.cgroupsPath "${raw}" leaves runts' own cgroup ("..")`, { code: 'EBADCONFIG' });
  }
  return normalized.replace(/\/+$/, '') || '/';
}

/** True when `p` is `dir` or below it (cgroup paths, "/" the root). */
function isAtOrBelow(p: string, dir: string): boolean {
  return p === dir || dir === '/' || p.startsWith(`${dir}/`);
}

/** Where a relative cgroupsPath starts in hierarchy h (see the top of this file). */
export function relativeBase(mode: CgroupLayout['mode'], h: CgroupHierarchy): string {
  if (mode !== 'v2' || h.version !== 2 || h.ownPath === '/') return h.ownPath;
  const parent = path.posix.dirname(h.ownPath);
  return isAtOrBelow(parent, h.mountRoot) ? parent : h.ownPath;
}

function cgroupPathFor(mode: CgroupLayout['mode'], h: CgroupHierarchy, cgroupsPath: string | undefined, id: string): string {
  if (cgroupsPath === undefined || cgroupsPath === '') return `${DEFAULT_CGROUP_PARENT}/${id}`;
  const clean = cleanCgroupPath(cgroupsPath);
  if (clean.startsWith('/')) return clean;
  return path.posix.join(relativeBase(mode, h), clean);
}

function refuseOwnOrAbove(h: CgroupHierarchy, cgroupPath: string, raw: string | undefined): void {
  if (!isAtOrBelow(h.ownPath, cgroupPath)) return;
  throw new RuntsError(
    `linux.cgroupsPath "${raw ?? ''}" places the container at ${cgroupPath} in the ${h.name || 'unified'} hierarchy, which is runts' own cgroup (${h.ownPath}) or above it: a container needs a cgroup of its own`,
    { code: 'EBADCONFIG' },
  );
}

function hostDir(h: CgroupHierarchy, cgroupPath: string): string {
  const rel = path.posix.relative(h.mountRoot, cgroupPath);
  if (rel.startsWith('..')) {
    throw new RuntsError(
      `cgroup ${cgroupPath} is outside the part of the ${h.name || 'unified'} hierarchy mounted at ${h.mountPoint} (root ${h.mountRoot})`,
      { code: 'EBADCONFIG' },
    );
  }
  return rel ? path.posix.join(h.mountPoint, rel) : h.mountPoint;
}

/**
 * linux.cgroupsPath of a config of any shape (the schema reports a wrong
 * type; here it only must not throw anything but a RuntsError).
 */
export function cgroupsPathOf(config: unknown): string | undefined {
  if (config === null || typeof config !== 'object') return undefined;
  const linux = (config as { linux?: unknown }).linux;
  if (linux === null || typeof linux !== 'object') return undefined;
  const p = (linux as { cgroupsPath?: unknown }).cgroupsPath;
  return typeof p === 'string' ? p : undefined;
}

export function placeContainer(layout: CgroupLayout, cgroupsPath: string | undefined, id: string): CgroupPlacement {
  if (cgroupsPath !== undefined && cgroupsPath !== '' && cgroupsPath !== '/') cleanCgroupPath(cgroupsPath);
  if (cgroupsPath === '/') throw new RuntsError('linux.cgroupsPath "/" is the root cgroup: a container needs a cgroup of its own', { code: 'EBADCONFIG' });
  const dirs: CgroupDir[] = layout.hierarchies.map((h) => {
    const cgroupPath = cgroupPathFor(layout.mode, h, cgroupsPath, id);
    refuseOwnOrAbove(h, cgroupPath, cgroupsPath);
    return { hierarchy: h.name, version: h.version, cgroupPath, dir: hostDir(h, cgroupPath), mountPoint: h.mountPoint };
  });
  const unified = dirs.find((d) => d.version === 2);
  const freezer = dirs.find((d) => d.hierarchy.split(',').includes('freezer'));
  const listing = layout.mode === 'v1' ? (freezer ?? dirs[0]) : unified;
  let freezerFile: string | undefined;
  if (layout.mode === 'v2' && unified) freezerFile = `${unified.dir}/cgroup.freeze`;
  else if (freezer) freezerFile = `${freezer.dir}/freezer.state`;
  return {
    mode: layout.mode,
    dirs,
    procsFile: listing ? `${listing.dir}/cgroup.procs` : undefined,
    freezerFile,
    killFile: unified ? `${unified.dir}/cgroup.kill` : undefined,
  };
}
