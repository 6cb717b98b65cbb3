// The state directory of a container: <root>/<id>/ holds state.json
// (written atomically), the lock, and exec.fifo while it waits for start.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RuntsError } from '../errors';
import { native } from '../native/binding';
import type { CgroupList, StateRecord } from './record';

export const DEFAULT_ROOT = '/run/runts';

export function stateDir(root: string, id: string): string {
  return path.join(root, id);
}

export function checkContainerId(id: string): void {
  const problem = native().validateContainerId(id);
  if (problem) throw new RuntsError(problem, { code: 'EUSAGE' });
}

/** Writes via a temporary file and rename(2): readers never see half a file. */
export function writeFileAtomic(file: string, content: string, mode = 0o600): void {
  const tmp = `${file}.tmp.${process.pid}`;
  writeFileSync(tmp, content, { mode });
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeRecord(dir: string, record: StateRecord): void {
  writeFileAtomic(path.join(dir, 'state.json'), `${JSON.stringify(record)}\n`);
}

/**
 * cgroups.json: the container's cgroup list (see CgroupList), written before
 * any cgroup is made. delete --force reads it when state.json is damaged, so
 * that a container with its own linux.cgroupsPath is found and removed all
 * the same (the native reader takes it only whole and confined, as
 * state.json's paths: addon/common/cgroup-list.h).
 */
export function writeCgroupList(dir: string, list: CgroupList): void {
  writeFileAtomic(path.join(dir, 'cgroups.json'), `${JSON.stringify(list)}\n`);
}

/**
 * Claims <root>/<id> for a new container: mkdir is atomic, so of two creates
 * of the same id exactly one wins. Returns the lock fd, held until the
 * create is done.
 */
export function claimStateDir(root: string, id: string): { dir: string; lockFd: number } {
  mkdirSync(root, { recursive: true, mode: 0o711 });
  const dir = stateDir(root, id);
  try {
    mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RuntsError(`container "${id}" already exists`, { code: 'EEXISTS' });
    throw new RuntsError(`create state directory ${dir}: ${(e as Error).message}`, { code: 'ESYSTEM' });
  }
  try {
    return { dir, lockFd: native().lockStateDir(dir) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export function removeStateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The pid file engines ask for with --pid-file, written atomically. */
export function writePidFile(file: string, pid: number): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}`);
  try {
    writeFileSync(tmp, String(pid), { mode: 0o644 });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new RuntsError(`write pid file ${file}: ${(e as Error).message}`, { code: 'ESYSTEM' });
  }
}
