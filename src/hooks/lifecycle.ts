// Where hooks meet the verbs (docs/hooks.md): the handler create gives
// launch() for the init's createRuntime stop, and the hook steps of `start`
// and `delete` on the Node path.
import { closeSync, constants, fstatSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { RuntsError } from '../errors';
import type { Logger } from '../log';
import { native, type LaunchStageHandler } from '../native/binding';
import { CREATE_RUNTIME_STAGE, hookState, type HookStateBase, type ResolvedHooks } from './plan';
import { readHookRecord, START_FIFO, type HookRecord } from './record';
import { runHooksOrFail, runHooksWarning } from './run';

export interface CreateStageOptions {
  hooks: ResolvedHooks;
  base: HookStateBase;
  bundle: string;
  logger?: Logger;
  /** Called when the stop is reached: from then on a failed create runs the poststop hooks. */
  reached?: () => void;
}

/**
 * At the createRuntime stop the container's namespaces exist and its mounts
 * are done, before pivot_root: prestart then createRuntime hooks run here,
 * in the runtime's namespaces, with the state (status "creating", the
 * container's pid). The reply gives the init the states its own hooks read.
 */
export function createStageHandler(opts: CreateStageOptions): LaunchStageHandler {
  return (stage, pid) => {
    if (stage !== CREATE_RUNTIME_STAGE) return { error: `runts-init stopped at an unknown stage "${stage}"` };
    opts.reached?.();
    const state = hookState(opts.base, 'creating', pid);
    const run = { cwd: opts.bundle, logger: opts.logger };
    try {
      runHooksOrFail(opts.hooks.prestart, state, run);
      runHooksOrFail(opts.hooks.createRuntime, state, run);
    } catch (e) {
      return { error: (e as Error).message };
    }
    return { data: JSON.stringify({ createContainer: state, startContainer: hookState(opts.base, 'created', pid) }) };
  };
}

/** Poststop hooks after a create that failed once the container existed (the spec: destroy, then poststop). */
export function poststopAfterFailedCreate(hooks: ResolvedHooks, base: HookStateBase, bundle: string, logger?: Logger): void {
  if (hooks.poststop.length) runHooksWarning(hooks.poststop, hookState(base, 'stopped', 0), { cwd: bundle, logger });
}

function openStartFifo(dir: string): number {
  const file = path.join(dir, START_FIFO);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    throw new RuntsError(`open ${file}: ${(e as Error).message}`, { code: 'ESYSTEM' });
  }
  if (!fstatSync(fd).isFIFO()) {
    closeSync(fd);
    throw new RuntsError(`${file} is not a FIFO: the state directory was tampered with`, { code: 'EBADSTATE' });
  }
  return fd;
}

export interface StartSteps {
  /** The native start: the exec.fifo write. */
  start: () => void;
  /** The container's state before start (the pid for poststart hooks). */
  state: () => { pid: number; status: string };
  logger?: Logger;
}

/**
 * `start` of a container with a hook record: the fifo write, then (with
 * startContainer hooks) the init's outcome on start.fifo, then poststart
 * hooks in the runtime's namespaces. A startContainer failure fails start
 * (the init has exited: the container is stopped); a poststart failure is a
 * warning, as the spec says (runc 1.1+ kills the container instead).
 */
export function startWithHooks(dir: string, record: HookRecord, steps: StartSteps): void {
  // Read before start: a program that exits at once leaves a stopped
  // container (pid 0) by the time the poststart hooks run.
  const pid = record.poststart.length ? steps.state().pid : 0;
  const reportFd = record.startReport ? openStartFifo(dir) : -1;
  try {
    steps.start();
    if (reportFd >= 0) {
      const report = native().waitStartReport(reportFd);
      rmSync(path.join(dir, START_FIFO), { force: true });
      if (report) throw new RuntsError(`container "${record.state.id}" did not start: ${report}`, { code: 'EHOOK' });
    }
  } finally {
    if (reportFd >= 0) closeSync(reportFd);
  }
  if (!record.poststart.length) return;
  runHooksWarning(record.poststart, hookState(record.state, 'running', pid), { logger: steps.logger });
}

/** The hook record for delete: a damaged one is a warning (delete must still remove the container). */
export function hookRecordForDelete(dir: string, id: string, logger?: Logger): HookRecord | null {
  try {
    return readHookRecord(dir, id);
  } catch (e) {
    logger?.warn(`${(e as Error).message}: the container's poststop hooks are not run`);
    return null;
  }
}

export function runPoststop(record: HookRecord, pid: number, logger?: Logger): void {
  runHooksWarning(record.poststop, hookState(record.state, 'stopped', pid), { logger });
}
