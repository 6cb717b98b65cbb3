// Creating and removing a container's cgroup directories. cgroups are
// files: this is plain mkdir/read/write, so unit tests run it against a
// temporary directory laid out like /sys/fs/cgroup.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
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
        throw new RuntsError(`create cgroup ${d.dir}: ${(e as Error).message}`);
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
