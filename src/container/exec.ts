// exec: a new process in a created or running container, as `runc exec`.
// It goes through the one native path that makes a process inside
// namespaces (addon/node/launch.cc, runts-init): the init joins every
// namespace of the container's process (opened through /proc/<pid> after
// checking its start time), is moved into the container's cgroups, and sets
// the process's own attributes before execve (addon/init/exec.cc). The new
// process is a child of this process (CLONE_PARENT): without --detach, exec
// waits for it, forwards signals and exits with its code.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseConfigText } from '../config/load';
import type { Process } from '../config/types';
import { SPEC_VERSION } from '../config/version';
import { fromNative, isNativeFailure, RuntsError, type ConfigProblem } from '../errors';
import { Logger } from '../log';
import { initPath, native, type ExecTarget, type LaunchResult } from '../native/binding';
import { capabilityName } from '../plan/capabilities';
import { buildExecPlan, ExecFlagError, processFromFlags, type ExecFlags, type ExecRecord } from '../plan/exec';
import { processDocumentProblems } from '../plan/exec-process';
import { readExecRecord } from '../plan/exec-record';
import { maskWords, parseIdList, MAX_CPUS } from '../plan/process-fields';
import type { LaunchPlan } from '../plan/types';
import { readBoundedFile } from '../read-bounded';
import { checkContainerId, DEFAULT_ROOT, writePidFile } from '../state/store';
import { attachTerminal, forwardSignals } from './run';

export interface ExecOptions extends ExecFlags {
  id: string;
  root?: string;
  /** --process FILE: a runtime-spec process object; the flags that shape a process are then ignored, as by runc. */
  processFile?: string;
  /** The library's form of --process. */
  process?: Process;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
  logger?: Logger;
}

export interface ExecResult {
  pid: number;
  /** The exit code (128+signal when killed); undefined with detach. */
  exitCode?: number;
}

function problemError(what: string, problems: readonly ConfigProblem[]): RuntsError {
  const n = problems.length;
  return new RuntsError(`invalid ${what}: ${n} problem${n === 1 ? '' : 's'} found, nothing was run`, {
    code: 'EBADCONFIG',
    details: problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)),
    problems,
  });
}

/** runc's refusals, in its words. */
function checkStatus(target: ExecTarget, opts: ExecOptions): void {
  switch (target.status) {
    case 'created':
    case 'running':
      return;
    case 'paused':
      if (opts.ignorePaused) return;
      throw new RuntsError(`cannot exec in a paused container (use --ignore-paused to override): "${opts.id}"`, { code: 'EPAUSED' });
    case 'stopped':
      throw new RuntsError(`cannot exec in a stopped container: "${opts.id}"`, { code: 'ENOTRUNNING' });
    case 'creating':
      throw new RuntsError(`cannot exec in container "${opts.id}": it is still being created`, { code: 'ECREATING' });
  }
}

function readProcessFile(file: string): unknown {
  const text = readBoundedFile(file, { what: `process file ${file}` });
  return parseConfigText(text, file);
}

/** The process to run: --process as it is, or the container's with the flags (runc's getProcess). */
function execProcess(record: ExecRecord, opts: ExecOptions): Process {
  let candidate: unknown;
  let what: string;
  if (opts.processFile || opts.process) {
    candidate = opts.process ?? readProcessFile(opts.processFile!);
    what = opts.processFile ? `process file ${opts.processFile}` : 'process';
  } else {
    if (!opts.args?.length) throw new RuntsError('exec needs a command to run (runts exec ID COMMAND [ARGS...]) or --process FILE', { code: 'EUSAGE' });
    try {
      candidate = processFromFlags(record.process, opts);
    } catch (e) {
      if (e instanceof ExecFlagError) throw new RuntsError(e.message, { code: 'EUSAGE' });
      throw e;
    }
    what = 'process (the container\'s, with the exec flags)';
  }
  const problems = processDocumentProblems(candidate);
  if (problems.length) throw problemError(what, problems);
  return candidate as Process;
}

function checkTerminal(p: Process, opts: ExecOptions): void {
  const tty = p.terminal === true;
  if (opts.detach && tty && !opts.consoleSocket) {
    throw new RuntsError('cannot allocate tty if runts will detach without setting console socket', { code: 'EUSAGE' });
  }
  if ((!opts.detach || !tty) && opts.consoleSocket) {
    throw new RuntsError('cannot use console socket if runts will not detach or allocate tty', { code: 'EUSAGE' });
  }
}

/** process.execCPUAffinity.initial as mask words, for the runtime to set before the cgroup join. */
function initialAffinity(p: Process): string[] | undefined {
  const text = p.execCPUAffinity?.initial;
  if (text === undefined || text.trim() === '') return undefined;
  const r = parseIdList(text, MAX_CPUS);
  return r.ok ? maskWords(r.bits) : undefined;
}

function seccompState(record: ExecRecord, id: string): string | undefined {
  if (!record.seccompListenerPath) return undefined;
  const annotations = Object.keys(record.annotations).length ? { annotations: record.annotations } : {};
  return JSON.stringify({
    ociVersion: SPEC_VERSION,
    fds: ['seccompFd'],
    pid: 0,
    metadata: record.seccompListenerMetadata,
    state: { ociVersion: record.ociVersion, id, status: 'running', pid: 0, bundle: record.bundle, ...annotations },
  });
}

function capNames(list: string): string {
  return list.split(',').filter(Boolean).map((n) => capabilityName(Number(n))).join(', ');
}

function warnUnavailableCaps(launched: LaunchResult, logger: Logger): void {
  if (launched.capsUnavailable) {
    logger.warn(`capabilities ${capNames(launched.capsUnavailable)} cannot be granted on this host (they are not in runts' own bounding set); the process runs without them`);
  }
  if (launched.ambientRefused) {
    logger.warn(`ambient capabilities ${capNames(launched.ambientRefused)} were not raised: an ambient capability must also be permitted and inheritable`);
  }
}

interface Prepared {
  target: ExecTarget;
  record: ExecRecord;
  process: Process;
  plan: LaunchPlan;
}

/** Everything decided before a system call that changes anything. */
export function prepareExec(opts: ExecOptions): Prepared {
  checkContainerId(opts.id);
  const root = opts.root ?? DEFAULT_ROOT;
  let target: ExecTarget;
  try {
    target = native().execTarget(root, opts.id);
  } catch (e) {
    throw fromNative(e);
  }
  checkStatus(target, opts);
  const record = readExecRecord(target.stateDir, opts.id);
  const process = execProcess(record, opts);
  checkTerminal(process, opts);
  const plan = buildExecPlan(record, process, target, { preserveFds: opts.preserveFds, env: globalThis.process.env });
  return { target, record, process, plan };
}

/**
 * The lookup of args[0] failed (addon/init/process.cc): the words engines
 * map, with the shell's exit codes, 126 for a program that cannot be run
 * and 127 for one that is not there, as Podman expects of an exec. The
 * init's error channel carries no exit code, so the code is derived here
 * from the failure, which is the init's own message and never a system
 * call's (errno 0).
 */
export function lookupExitCode(e: unknown): number | undefined {
  if (!isNativeFailure(e) || e.errno !== 0) return undefined;
  const m = /^exec: "(?:[^"\\]|\\.)*": (.*)$/s.exec(e.message);
  if (!m) return undefined;
  return m[1] === 'permission denied' ? 126 : 127;
}

function launchExec(p: Prepared, opts: ExecOptions, attachConsole: boolean): LaunchResult {
  try {
    return native().launch({
      initPath: initPath(),
      plan: JSON.stringify(p.plan),
      cgroupProcsFiles: p.target.cgroupDirs.map((d) => path.join(d, 'cgroup.procs')),
      consoleSocket: opts.consoleSocket ? path.resolve(opts.consoleSocket) : undefined,
      attachConsole,
      preserveFds: p.plan.process.preserveFds,
      seccompListenerPath: p.record.seccompListenerPath ?? undefined,
      seccompState: seccompState(p.record, opts.id),
      initialCpuAffinity: initialAffinity(p.process),
    });
  } catch (e) {
    const wrapped = fromNative(e, `exec in container "${opts.id}"`);
    const code = lookupExitCode(e);
    throw code === undefined ? wrapped : new RuntsError(wrapped.message, { code: 'EBADCONFIG', exitCode: code, problems: [{ path: 'process.args[0]', message: (e as Error).message }], cause: e });
  }
}

export async function execContainer(opts: ExecOptions): Promise<ExecResult> {
  const logger = opts.logger ?? Logger.silent();
  const p = prepareExec(opts);
  logger.debug(`exec plan: ${JSON.stringify(p.plan)}`);
  const attachConsole = !opts.detach && p.plan.process.terminal && !opts.consoleSocket;
  const launched = launchExec(p, opts, attachConsole);
  logger.debug(`exec launch: ${launched.timings.map((t) => `${t.step} +${t.ms.toFixed(2)} ms`).join(', ')}`);
  let pidFileWritten = false;
  try {
    if (opts.pidFile) {
      writePidFile(opts.pidFile, launched.pid);
      pidFileWritten = true;
    }
    // commitLaunch closes the sync fd even when it fails.
    const syncFd = launched.syncFd;
    launched.syncFd = -1;
    native().commitLaunch(syncFd);
  } catch (e) {
    native().abortLaunch(launched.syncFd, launched.pid, launched.startTime);
    if (launched.consoleFd >= 0) native().closeFd(launched.consoleFd);
    if (pidFileWritten && opts.pidFile) rmSync(opts.pidFile, { force: true });
    throw e instanceof RuntsError ? e : fromNative(e, `exec in container "${opts.id}"`);
  }
  warnUnavailableCaps(launched, logger);
  if (opts.detach) return { pid: launched.pid };
  const stopForwarding = forwardSignals(launched.pid, launched.startTime);
  const detachTerminal = launched.consoleFd >= 0 ? attachTerminal(launched.consoleFd) : undefined;
  try {
    const exit = await native().waitChild(launched.pid);
    return { pid: launched.pid, exitCode: exit.exitCode ?? 128 + (exit.signal ?? 0) };
  } finally {
    stopForwarding();
    if (detachTerminal) await detachTerminal();
  }
}
