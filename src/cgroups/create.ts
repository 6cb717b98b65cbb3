// Creating and removing a container's cgroup directories. cgroups are
// files: this is plain mkdir/read/write, so unit tests run it against a
// temporary directory laid out like /sys/fs/cgroup.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RuntsError } from '../errors';
import type { CgroupDir, CgroupPlacement } from './placement';

/** The one operation that differs between cgroupfs and a test directory: mkdir. */
export interface CgroupFs {
  /**
   * Creates one directory (the kernel fills it with the controller files).
   * Returns false when it already existed: someone else made it between
   * runts' look and its mkdir, and it is not runts' to remove.
   */
  mkdir(dir: string): boolean;
}

export const realCgroupFs: CgroupFs = {
  mkdir(dir) {
    try {
      mkdirSync(dir);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  },
};

export interface CreatedCgroup {
  path: string;
  /** Whether runts made the directory (only those are removed at delete). */
  created: boolean;
}

function readTrimmed(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * A new v1 cpuset cgroup starts with empty cpus/mems, and the kernel refuses
 * to add a process to it: copy them down from the parent, top to bottom.
 */
function initCpuset(created: readonly string[]): void {
  for (const dir of created) {
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const own = path.join(dir, file);
      if (!existsSync(own) || readTrimmed(own) !== '') continue;
      writeFileSync(own, readTrimmed(path.join(path.dirname(dir), file)));
    }
  }
}

/**
 * mkdir -p that returns the directories it made, outermost first: only those
 * whose mkdir succeeded. One that appeared between the look and the mkdir
 * (EEXIST: a racing create, an engine) is someone else's, and recording it
 * as made would have delete remove it.
 */
function mkdirsReporting(dir: string, fs: CgroupFs): string[] {
  const missing: string[] = [];
  let cur = dir;
  while (!existsSync(cur)) {
    missing.unshift(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  return missing.filter((d) => fs.mkdir(d));
}

function ensureEmpty(d: CgroupDir): void {
  const procs = readTrimmed(path.join(d.dir, 'cgroup.procs'));
  if (procs) {
    const pids = procs.split('\n').slice(0, 5).join(', ');
    throw new RuntsError(
      `cgroup ${d.dir} already has processes (${pids}): a new container needs an empty cgroup; choose another linux.cgroupsPath`,
      { code: 'EBADCONFIG' },
    );
  }
}

/** Creates the directories; on failure removes what it made and throws. */
export function createCgroups(placement: CgroupPlacement, fs: CgroupFs = realCgroupFs): CreatedCgroup[] {
  const result: CreatedCgroup[] = [];
  try {
    for (const d of placement.dirs) {
      let made: string[];
      try {
        made = mkdirsReporting(d.dir, fs);
      } catch (e) {
        throw new RuntsError(`create cgroup ${d.dir}: ${(e as Error).message}`, { code: 'ESYSTEM' });
      }
      // Whether the leaf is runts': a leaf that existed (or appeared in a
      // race) is kept at delete, and must not hold processes already.
      const created = made.includes(d.dir);
      result.push({ path: d.dir, created });
      if (!created) ensureEmpty(d);
      if (d.version === 1 && d.hierarchy.split(',').includes('cpuset')) initCpuset(made);
    }
    return result;
  } catch (e) {
    removeCgroups(result);
    throw e;
  }
}

/** Removes the leaf directories runts created (innermost first). */
export function removeCgroups(cgroups: readonly CreatedCgroup[]): void {
  for (const c of [...cgroups].reverse()) {
    if (!c.created) continue;
    try {
      rmdirSync(c.path);
    } catch {
      // Left for delete --force, which kills what is inside first.
    }
  }
}

function readNumber(file: string): number | undefined {
  const text = readTrimmed(file);
  return /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/** The share of CPU time the real-time groups directly below dir reserve (runtime / period), the one at `except` left out. */
function childrenRtShare(dir: string, except: string): number {
  let share = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name));
  } catch {
    return 0;
  }
  for (const child of entries) {
    if (child === except) continue;
    const runtime = readNumber(path.join(child, 'cpu.rt_runtime_us'));
    const period = readNumber(path.join(child, 'cpu.rt_period_us'));
    if (runtime && runtime > 0 && period && period > 0) share += runtime / period;
  }
  return share;
}

/**
 * cgroup v1 with CONFIG_RT_GROUP_SCHED: a group's cpu.rt_runtime_us is
 * accepted only while its parent's budget covers it (the shares of all the
 * parent's children together), and a new group starts with none. runc and
 * crun put a container without linux.cgroupsPath right under the root,
 * which has the budget (950000 of 1000000 µs); runts puts it under its own
 * /runts, which starts with 0, so a realtimeRuntime there failed with EINVAL.
 * runts' default parent is runts' own: it gets the budget its children
 * need, raised before the container's own value is written, outermost
 * first (runc's SetRtSched writes the container's cgroup only: its
 * parents are the root). It is not lowered again at delete: other
 * containers below /runts may use it; the root's budget bounds it.
 */
export function grantRealtimeBudget(leaf: string, mountPoint: string, runtime: number, period: number | undefined): void {
  const parents: string[] = [];
  for (let d = path.dirname(leaf); d.startsWith(`${mountPoint}/`); d = path.dirname(d)) parents.unshift(d);
  // Innermost first, the share each level must hold: its children's plus the one on the way to the leaf.
  const needs: { dir: string; runtime: number }[] = [];
  let inner = leaf;
  let share = runtime / (period ?? readNumber(path.join(leaf, 'cpu.rt_period_us')) ?? 1_000_000);
  for (const dir of [...parents].reverse()) {
    const file = path.join(dir, 'cpu.rt_runtime_us');
    const own = readNumber(file);
    const ownPeriod = readNumber(path.join(dir, 'cpu.rt_period_us'));
    if (own === undefined || ownPeriod === undefined) return; // no real-time group scheduling: the container's write says so
    share += childrenRtShare(dir, inner);
    needs.unshift({ dir, runtime: Math.ceil(share * ownPeriod) });
    share = Math.max(share, own / ownPeriod);
    inner = dir;
  }
  for (const { dir, runtime: need } of needs) {
    const file = path.join(dir, 'cpu.rt_runtime_us');
    const own = readNumber(file) ?? 0;
    if (own === -1 || own >= need) continue;
    try {
      writeFileSync(file, String(need));
    } catch (e) {
      throw new RuntsError(
        `linux.resources.cpu.realtimeRuntime: cannot give runts' cgroup ${dir} the real-time budget it needs (write ${need} to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the budget of the cgroup above (its cpu.rt_runtime_us) is too small or used by other groups; lower realtimeRuntime or set linux.cgroupsPath`,
        { code: 'ESYSTEM' },
      );
    }
  }
}
