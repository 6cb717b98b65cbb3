// run: create + start + wait + delete in one call, like `runc run`. The
// container process is this process's child (runts-init clones it with
// CLONE_PARENT), so run waits for it directly, forwards the signals it gets,
// and, with process.terminal, copies between its own terminal and the pty.
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import type * as Tty from 'node:tty';
import type { ContainerState } from '../config/types';
import { RuntsError } from '../errors';
import { signalNumbers } from '../lazy-builtins';
import { native } from '../native/binding';
import { createContainer, type CreateOptions } from './create';
import { deleteContainer, startContainer } from './operations';

export interface RunOptions extends CreateOptions {
  /** Return once the container is started (its exit code is not awaited). */
  detach?: boolean;
  /** Keep the container (stopped) after it exits, for a later `delete` (crun's --keep). */
  keep?: boolean;
}

export interface RunResult {
  state: ContainerState;
  /** The exit code (128+signal when killed); undefined with detach. */
  exitCode?: number;
}

export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT'];

export function forwardSignals(pid: number, startTime: string): () => void {
  const handlers = FORWARDED_SIGNALS.map((sig) => {
    const handler = () => {
      native().signalProcess(pid, startTime, signalNumbers()[sig]);
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  };
}

function writeFully(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      return;
    }
  }
}

/** Copies between this terminal and the container's pty; returns a function that waits for the output and restores the terminal. */
export function attachTerminal(masterFd: number): () => Promise<void> {
  const stdin = process.stdin;
  const rawTty = stdin.isTTY === true;
  if (rawTty) stdin.setRawMode(true);
  const onInput = (chunk: Buffer) => writeFully(masterFd, chunk);
  stdin.on('data', onInput);
  const out = process.stdout;
  const resize = () => {
    if (out.isTTY) native().setWinsize(masterFd, out.rows, out.columns);
  };
  resize();
  out.on('resize', resize);
  // The stream owns the master fd and closes it when destroyed.
  const output = createReadStream('', { fd: masterFd });
  output.on('data', (chunk) => writeFully(1, chunk as Buffer));
  const drained = new Promise<void>((resolve) => {
    // The master reads EIO once the last holder of the pty has exited.
    output.on('error', () => resolve());
    output.on('end', () => resolve());
  });
  return async () => {
    await Promise.race([drained, new Promise((r) => setTimeout(r, 500))]);
    output.destroy();
    stdin.off('data', onInput);
    out.off('resize', resize);
    if (rawTty) stdin.setRawMode(false);
    stdin.pause();
    stdin.unref?.();
  };
}

/**
 * An attached run with process.terminal needs a terminal of its own to copy
 * the pty to, as runc's (tty.go initHostConsole): stderr, stdout or stdin,
 * else the controlling terminal. Without one, runc fails at once; runts did
 * wait forever on a pty nobody could type into.
 */
function requireHostTerminal(): void {
  // Loaded here, not at the top: a create must not pay for it (create-startup.test.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isatty } = require('node:tty') as typeof Tty;
  if ([2, 1, 0].some((fd) => isatty(fd))) return;
  try {
    closeSync(openSync('/dev/tty', 'r'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new RuntsError(
      `process.terminal is true, but none of stdin, stdout and stderr is a terminal and there is no controlling terminal (open /dev/tty: ${code}): run it from a terminal, set process.terminal to false in config.json, or use create with --console-socket`,
      { code: 'EUSAGE' },
    );
  }
}

export async function runContainer(opts: RunOptions): Promise<RunResult> {
  const attached = !opts.detach;
  const created = await createContainer(opts, { attachTerminal: attached && !opts.consoleSocket });
  const { state } = created;
  const startTime = native().procStartTime(state.pid) ?? '0';
  let stopForwarding = () => {};
  let detachTerminal: (() => Promise<void>) | undefined;
  let started = false;
  try {
    if (created.consoleFd !== undefined) {
      try {
        requireHostTerminal();
      } catch (e) {
        native().closeFd(created.consoleFd);
        throw e;
      }
    }
    if (attached) stopForwarding = forwardSignals(state.pid, startTime);
    if (created.consoleFd !== undefined) detachTerminal = attachTerminal(created.consoleFd);
    await startContainer(opts.id, opts);
    started = true;
    if (opts.detach) return { state: { ...state, status: 'running' } };
    const exit = await native().waitChild(state.pid);
    const exitCode = exit.exitCode ?? 128 + (exit.signal ?? 0);
    return { state: { ...state, status: 'stopped', pid: 0 }, exitCode };
  } finally {
    stopForwarding();
    if (detachTerminal) await detachTerminal();
    // A detached container stays, as does one run with --keep once it
    // started; one that never started is removed.
    if ((attached && !opts.keep) || !started) await deleteContainer(opts.id, { root: opts.root, force: true, logger: opts.logger });
  }
}
