// run: create + start + wait + delete in one call, like `runc run`. The
// container process is this process's child (runts-init clones it with
// CLONE_PARENT), so run waits for it directly, forwards the signals it gets,
// and, with process.terminal, copies between its own terminal and the pty.
import { createReadStream, writeSync } from 'node:fs';
import type { ContainerState } from '../config/types';
import { signalNumbers } from '../lazy-builtins';
import { native } from '../native/binding';
import { createContainer, type CreateOptions } from './create';
import { deleteContainer, startContainer } from './operations';

export interface RunOptions extends CreateOptions {
  /** Return once the container is started (its exit code is not awaited). */
  detach?: boolean;
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

export async function runContainer(opts: RunOptions): Promise<RunResult> {
  const attached = !opts.detach;
  const created = await createContainer(opts, { attachTerminal: attached && !opts.consoleSocket });
  const { state } = created;
  const startTime = native().procStartTime(state.pid) ?? '0';
  const stopForwarding = attached ? forwardSignals(state.pid, startTime) : () => {};
  const detachTerminal = created.consoleFd !== undefined ? attachTerminal(created.consoleFd) : undefined;
  let started = false;
  try {
    await startContainer(opts.id, opts);
    started = true;
    if (opts.detach) return { state: { ...state, status: 'running' } };
    const exit = await native().waitChild(state.pid);
    const exitCode = exit.exitCode ?? 128 + (exit.signal ?? 0);
    return { state: { ...state, status: 'stopped', pid: 0 }, exitCode };
  } finally {
    stopForwarding();
    if (detachTerminal) await detachTerminal();
    // A detached container stays; one that never started is removed.
    if (attached || !started) await deleteContainer(opts.id, { root: opts.root, force: true });
  }
}
