// Runs engine command lines with their output in files, not pipes: a
// daemonized child of the engine (conmon, a containerd shim) may inherit
// them and keep a pipe open long after the command returns.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Ran {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time, milliseconds. */
  ms: number;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds; the command is killed (SIGKILL) past it. Default 60 s. */
  timeout?: number;
}

export function run(file: string, args: readonly string[], opts: RunOptions = {}): Ran {
  const dir = mkdtempSync(path.join(tmpdir(), 'runts-test-out-'));
  const outFd = openSync(path.join(dir, 'out'), 'w');
  const errFd = openSync(path.join(dir, 'err'), 'w');
  const started = Date.now();
  try {
    const r = spawnSync(file, args, {
      input: opts.input ?? '',
      stdio: ['pipe', outFd, errFd],
      env: { ...process.env, ...opts.env },
      timeout: opts.timeout ?? 60_000,
      killSignal: 'SIGKILL',
    });
    return {
      command: [file, ...args].map(shellQuote).join(' '),
      code: r.status,
      signal: r.signal,
      stdout: readFileSync(path.join(dir, 'out'), 'utf8'),
      stderr: readFileSync(path.join(dir, 'err'), 'utf8'),
      ms: Date.now() - started,
    };
  } finally {
    closeSync(outFd);
    closeSync(errFd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a failed expectation shows: the command and everything it printed. */
export function show(r: Ran): string {
  return `${r.command}\n  exit ${r.code ?? r.signal} after ${r.ms} ms\n  stdout: ${r.stdout.trim()}\n  stderr: ${r.stderr.trim()}`;
}

/** Throws (with show()) unless the command exited 0; returns its stdout. */
export function ok(r: Ran): string {
  if (r.code !== 0) throw new Error(`command failed: ${show(r)}`);
  return r.stdout;
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a command on a pseudo-terminal (util-linux `script`), for engine
 * commands that need their own stdin to be a terminal (`podman run -it`,
 * `ctr task exec -t`). `script -e` exits with the command's exit code.
 */
export function runOnPty(file: string, args: readonly string[], opts: RunOptions = {}): Ran {
  const line = [file, ...args].map(shellQuote).join(' ');
  const r = run('script', ['-q', '-e', '-c', line, '/dev/null'], opts);
  return { ...r, command: line + '   (on a pty, through script)' };
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until check() is true; false when the time ran out. */
export async function waitFor(check: () => boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}
