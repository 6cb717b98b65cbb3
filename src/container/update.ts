// update: new limits for a created, running or paused container. The
// resources document (LinuxResources, as containerd sends it on stdin, or
// built from runc's flags by the CLI) is checked whole before anything is
// written; only the fields it gives change. runc merges them into the
// resources it saved at create and writes everything again; runts keeps no
// copy of the resources: the cgroup files are the state, the fields not
// given keep their values there, and the conversions that need the other
// half of a pair (memory+swap on v2, cpu.max) read it from the cgroup
// (CurrentValues in src/cgroups/resources.ts). The container's cgroups come
// from its state record, each matched to a hierarchy of this host.
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { hostLayout, type CgroupLayout } from '../cgroups/layout';
import type { CgroupDir, CgroupPlacement } from '../cgroups/placement';
import type { LinuxResources } from '../cgroups/resources';
import { applyResourcePlan, currentValues, realResourceFiles, resourceProbe, resourceTarget, type ResourceFiles } from '../cgroups/resources-apply';
import { planResources } from '../cgroups/resources-plan';
import { realResourceHost, resourceProblems, type ResourceHost } from '../config/resources';
import { RuntsError } from '../errors';
import { Logger } from '../log';
import { native } from '../native/binding';
import { readBoundedFile } from '../read-bounded';
import { checkContainerId, DEFAULT_ROOT, stateDir } from '../state/store';
import { containerState } from './operations';

export interface UpdateOptions {
  /** State directory root (--root). Default /run/runts. */
  root?: string;
  logger?: Logger;
  /** Overrides for tests. */
  layout?: CgroupLayout;
  host?: ResourceHost;
  files?: ResourceFiles;
}

export interface UpdateResult {
  /** The writes made ("file=value"), in order. */
  written: string[];
  warnings: string[];
}

/** The cgroup directories of the record, each in the hierarchy of this host it lies in. */
export function placementFromRecord(id: string, cgroups: readonly { path: string }[], layout: CgroupLayout): Pick<CgroupPlacement, 'mode' | 'dirs'> {
  const dirs: CgroupDir[] = [];
  for (const { path: dir } of cgroups) {
    // state.json is read from disk: a path must be a plain cgroup directory.
    if (!path.posix.isAbsolute(dir) || path.posix.normalize(dir) !== dir || dir.endsWith('/')) {
      throw new RuntsError(`the state of container "${id}" names cgroup "${dir}", which is not a clean absolute path: its state.json is damaged`, { code: 'EBADSTATE' });
    }
    const h = layout.hierarchies
      .filter((x) => dir === x.mountPoint || dir.startsWith(`${x.mountPoint}/`))
      .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
    if (!h || dir === h.mountPoint) {
      throw new RuntsError(`the state of container "${id}" names cgroup ${dir}, which is in no cgroup hierarchy of this host (or is a hierarchy's root)`, { code: 'EBADSTATE' });
    }
    dirs.push({ hierarchy: h.name, version: h.version, cgroupPath: `/${path.posix.relative(h.mountPoint, dir)}`, dir, mountPoint: h.mountPoint });
  }
  return { mode: layout.mode, dirs };
}

function checkDirs(id: string, placement: Pick<CgroupPlacement, 'dirs'>): void {
  for (const d of placement.dirs) {
    let isDir = false;
    try {
      isDir = lstatSync(d.dir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new RuntsError(`cgroup ${d.dir} of container "${id}" is gone: nothing was changed`, { code: 'ENOTRUNNING' });
  }
}

interface RecordCgroups {
  runts?: { cgroups?: { path: string; created: boolean }[] };
}

function readRecordCgroups(id: string, dir: string): { path: string }[] {
  const file = path.join(dir, 'state.json');
  const text = readBoundedFile(file, { what: `state of container "${id}"`, refused: 'EBADSTATE' });
  // The native verbs' reader decides what a sound record is.
  const damage = native().checkStateRecord(id, text);
  if (damage) throw new RuntsError(`the state of container "${id}" is damaged (${damage}): nothing was changed`, { code: 'EBADSTATE' });
  return (JSON.parse(text) as RecordCgroups).runts?.cgroups ?? [];
}

async function checkStatus(id: string, root: string): Promise<void> {
  const state = await containerState(id, { root });
  if (state.status === 'stopped' || state.status === 'creating') {
    throw new RuntsError(`container "${id}" is not running (status: ${state.status}): only a created, running or paused container can be updated; nothing was changed`, { code: 'ENOTRUNNING' });
  }
}

/**
 * The container exists and is created, running or paused; returns its
 * state directory. The CLI asks before it reads a resources document from
 * stdin, as runc looks the container up first.
 */
export async function assertUpdatable(id: string, root = DEFAULT_ROOT): Promise<string> {
  checkContainerId(id);
  const dir = stateDir(root, id);
  if (!existsSync(dir)) throw new RuntsError(`container "${id}" does not exist`, { code: 'ENOTFOUND' });
  await checkStatus(id, root);
  return dir;
}

/**
 * runc's fix-up: an unlimited memory limit given without a swap value
 * means unlimited swap too, not "keep the swap in force".
 */
function fixUp(r: LinuxResources): void {
  if (r.memory?.limit === -1 && r.memory.swap === undefined) r.memory.swap = 0;
}

/** Applies `resources` (a LinuxResources document) to the container's cgroups. */
export async function updateContainer(id: string, resources: unknown, opts: UpdateOptions = {}): Promise<UpdateResult> {
  const logger = opts.logger ?? Logger.silent();
  const root = opts.root ?? DEFAULT_ROOT;
  const dir = await assertUpdatable(id, root);
  const layout = opts.layout ?? hostLayout();
  const checked = resourceProblems(resources, '', opts.host ?? realResourceHost(layout), { types: true, update: true });
  if (checked.problems.length) {
    const n = checked.problems.length;
    throw new RuntsError(`invalid resources for container "${id}": ${n} problem${n === 1 ? '' : 's'} found, nothing was changed`, {
      code: 'EBADCONFIG',
      details: checked.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)),
      problems: checked.problems,
    });
  }
  const r = checked.resources;
  fixUp(r);
  const warnings = [...checked.warnings];
  const doc = resources as { devices?: unknown } | null;
  if (doc && typeof doc === 'object' && Array.isArray(doc.devices) && doc.devices.length) {
    warnings.push('devices: update does not change the device cgroup (neither does runc): the rules of create stay');
  }
  const lockFd = native().lockStateDir(dir);
  try {
    // The state may have changed while the lock was awaited.
    if (!existsSync(path.join(dir, 'state.json'))) throw new RuntsError(`container "${id}" does not exist`, { code: 'ENOTFOUND' });
    await checkStatus(id, root);
    const placement = placementFromRecord(id, readRecordCgroups(id, dir), layout);
    checkDirs(id, placement);
    const files = opts.files ?? realResourceFiles;
    const target = resourceTarget(placement);
    const probe = resourceProbe(target, files);
    const plan = planResources(r, target.version, { base: '', probe, current: currentValues(probe, target.version) });
    const applied = applyResourcePlan(plan, target, files);
    warnings.push(...applied.warnings);
    for (const w of warnings) logger.warn(w);
    logger.debug(`update ${id}: ${applied.written.join(', ') || 'nothing to write'}`);
    return { written: applied.written, warnings };
  } finally {
    native().closeFd(lockFd);
  }
}
