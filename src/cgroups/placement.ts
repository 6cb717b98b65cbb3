// Where a container's cgroups go: linux.cgroupsPath (absolute: from each
// hierarchy's root; relative: under runts' own cgroup on v1, beside it on
// the unified hierarchy) or, by
// default, /runts/<id>.
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
    throw new RuntsError(`linux.cgroupsPath "${raw}" leaves runts' own cgroup ("..")`);
  }
  return normalized.replace(/\/+$/, '') || '/';
}

/**
 * Where a relative linux.cgroupsPath starts. v1: runts' own cgroup, as
 * runc's fs driver. Unified hierarchy: the parent of runts' own cgroup, so
 * the container lands beside runts, not below it: runts' cgroup has
 * processes, and v2's no-internal-processes rule keeps a cgroup with
 * processes from enabling controllers for its children, so limits could not
 * be set below it. (runc's fs2 driver does this only when its own cgroup is
 * a systemd ".scope"; for any other cgroup with processes it nests and then
 * fails to delegate the controllers.)
 */
function relativeBase(h: CgroupHierarchy): string {
  // Only while the parent is still inside what is mounted (runts in a
  // container sees its own cgroup as the mount's root, and nests there).
  const parent = path.posix.dirname(h.ownPath);
  if (h.version === 2 && h.ownPath !== h.mountRoot && !path.posix.relative(h.mountRoot, parent).startsWith('..')) return parent;
  return h.ownPath;
}

function cgroupPathFor(h: CgroupHierarchy, cgroupsPath: string | undefined, id: string): string {
  if (cgroupsPath === undefined || cgroupsPath === '') return `${DEFAULT_CGROUP_PARENT}/${id}`;
  const clean = cleanCgroupPath(cgroupsPath);
  if (clean.startsWith('/')) return clean;
  return path.posix.join(relativeBase(h), clean);
}

function hostDir(h: CgroupHierarchy, cgroupPath: string): string {
  const rel = path.posix.relative(h.mountRoot, cgroupPath);
  if (rel.startsWith('..')) {
    throw new RuntsError(
      `cgroup ${cgroupPath} is outside the part of the ${h.name || 'unified'} hierarchy mounted at ${h.mountPoint} (root ${h.mountRoot})`,
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
  if (cgroupsPath === '/') throw new RuntsError('linux.cgroupsPath "/" is the root cgroup: a container needs a cgroup of its own');
  const dirs: CgroupDir[] = layout.hierarchies.map((h) => {
    const cgroupPath = cgroupPathFor(h, cgroupsPath, id);
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
