// Helpers for integration tests: bundles made from the busybox template, the
// runts CLI against a test --root, and cleanup that removes every container
// a test made, even when the test fails.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, inject } from 'vitest';
import type { OciConfig } from '../../src/config/types';

export const ROOT = '/run/runts-test';
export const RUNTS = path.resolve(__dirname, '../../bin/runts');
export const CGROUP_PARENT = '/runts-test';
export const isRoot = process.getuid?.() === 0;

let counter = 0;

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeout?: number;
  root?: string;
}

/**
 * Runs bin/runts with --root pointed at the test root. stdout and stderr go
 * to files, not pipes: a created container inherits them (stdio is passed
 * through untouched) and would keep a pipe open long after runts exits.
 */
export function runts(args: readonly string[], opts: RunOptions = {}): Result {
  // A directory per call: vitest ends its workers without an 'exit' event,
  // so nothing here may wait for the process to end to be removed.
  const outputDir = mkdtempSync(path.join(tmpdir(), 'runts-test-out-'));
  const out = path.join(outputDir, 'out');
  const err = path.join(outputDir, 'err');
  const outFd = openSync(out, 'w');
  const errFd = openSync(err, 'w');
  try {
    const r = spawnSync(RUNTS, ['--root', opts.root ?? ROOT, ...args], {
      input: opts.input ?? '',
      stdio: ['pipe', outFd, errFd],
      env: { ...process.env, ...opts.env },
      timeout: opts.timeout ?? 20_000,
    });
    return { code: r.status, signal: r.signal, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    closeSync(outFd);
    closeSync(errFd);
    rmSync(outputDir, { recursive: true, force: true });
  }
}

/** The cgroup directories of a test container, in every hierarchy. */
export function cgroupDirs(id: string): string[] {
  const dirs: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const d = path.join('/sys/fs/cgroup', h, CGROUP_PARENT.slice(1), id);
    if (existsSync(d)) dirs.push(d);
  }
  const unified = path.join('/sys/fs/cgroup', CGROUP_PARENT.slice(1), id);
  if (existsSync(unified)) dirs.push(unified);
  return dirs;
}

/** Whatever a container might have left: its state directory and cgroups. */
export function traces(id: string, root = ROOT): string[] {
  const found = cgroupDirs(id);
  if (existsSync(path.join(root, id))) found.push(path.join(root, id));
  return found;
}

export class Sandbox {
  readonly dir: string;
  private readonly ids = new Set<string>();

  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), 'runts-test-'));
    // Mapped users of a user namespace must reach the bundles below.
    chmodSync(this.dir, 0o755);
  }

  /** A fresh container id, deleted by cleanup(). */
  id(tag = 'c'): string {
    const id = `runts-t-${tag}-${process.pid}-${++counter}`;
    this.ids.add(id);
    return id;
  }

  /**
   * A bundle with its own copy of the busybox rootfs. Its config is `runts
   * spec`'s, without a terminal, running args, with the cgroup under
   * /runts-test/<id>.
   */
  bundle(id: string, args: string[], edit: (c: OciConfig) => void = () => {}): string {
    const template = inject('templateBundle');
    const dir = path.join(this.dir, id);
    cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
    chmodSync(dir, 0o755);
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as OciConfig;
    config.process!.terminal = false;
    config.process!.args = args;
    config.linux!.cgroupsPath = `${CGROUP_PARENT}/${id}`;
    edit(config);
    writeFileSync(file, JSON.stringify(config, null, 2));
    return dir;
  }

  /** `runts run` of a fresh container; returns what the container printed. */
  run(args: string[], edit?: (c: OciConfig) => void, opts: RunOptions = {}): Result & { id: string } {
    const id = this.id('run');
    const bundle = this.bundle(id, args, edit);
    return { id, ...runts(['run', '--bundle', bundle, id], opts) };
  }

  /** Runs a shell command in a fresh container; fails the test when it does not exit 0. */
  sh(script: string, edit?: (c: OciConfig) => void): string {
    const r = this.run(['sh', '-c', script], edit);
    if (r.code !== 0) throw new Error(`container exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  cleanup(): void {
    for (const id of this.ids) {
      if (existsSync(path.join(ROOT, id))) runts(['delete', '--force', id]);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Sandbox as the tests of a describe see it; useSandbox() cleans it up. */
export type SandboxOfTest = Omit<Sandbox, 'cleanup'>;

/**
 * Called in a describe: each of its tests gets a fresh Sandbox, cleaned up
 * after the test whether it passed or not. The object returned stands for
 * the running test's Sandbox. Hooks the describe adds after this call run
 * after the Sandbox is made and (vitest runs after-hooks in reverse,
 * sequence.hooks "stack") before it is cleaned up. A throwing after-hook
 * makes vitest skip the ones after it, so a Sandbox left behind that way is
 * cleaned up before the next test's, or after the describe's last test.
 */
export function useSandbox(): SandboxOfTest {
  let current: Sandbox | undefined;
  const cleanup = (): void => {
    const done = current;
    current = undefined;
    done?.cleanup();
  };
  beforeEach(() => {
    cleanup();
    current = new Sandbox();
  });
  afterEach(cleanup);
  afterAll(cleanup);
  const now = (): Sandbox => {
    if (!current) throw new Error('useSandbox(): the sandbox exists only while a test runs');
    return current;
  };
  return new Proxy({} as SandboxOfTest, {
    get(_, key) {
      const sb = now();
      const value: unknown = Reflect.get(sb, key, sb);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(sb) : value;
    },
  });
}
