// Shared pieces of the attack regression tests: the attacker's static tool
// (sxtool.c), runts with extra inherited fds, and the host-side checks.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { CGROUP_PARENT, ROOT, RUNTS, runts, type Result } from '../helpers/sandbox';

export { CGROUP_PARENT, ROOT, RUNTS, runts };

/** Builds sxtool once per test file; remove() deletes it. */
function buildTool(): { path: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'runts-test-sxtool-'));
  const out = path.join(dir, 'sxtool');
  execFileSync('cc', ['-static', '-O2', '-o', out, path.join(__dirname, 'sxtool.c')], { stdio: 'pipe' });
  return { path: out, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Called in a describe: sxtool built once before its tests and removed after
 * them. path is the host path of the binary, valid while the tests run.
 */
export function useSxtool(): { readonly path: string } {
  let tool: { path: string; remove: () => void } | undefined;
  beforeAll(() => {
    tool = buildTool();
  });
  afterAll(() => tool?.remove());
  return {
    get path(): string {
      if (!tool) throw new Error('useSxtool(): sxtool is built only for the tests of the describe');
      return tool.path;
    },
  };
}

/** Copies sxtool into a bundle's rootfs as /bin/sxtool. */
export function installTool(tool: string, bundle: string): void {
  copyFileSync(tool, path.join(bundle, 'rootfs/bin/sxtool'));
}

export function stateOf(id: string): { status: string; pid: number } {
  const r = runts(['state', id]);
  if (r.code !== 0) throw new Error(`state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

/** The Cap* lines of a /proc/<pid>/status: {CapInh: '0000000000000000', ...}. */
export function capSets(status: string): Record<string, string> {
  return Object.fromEntries([...status.matchAll(/^(Cap\w+):\t([0-9a-f]+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Joins the pid namespace of a process (another container's init). */
export function joinPidNs(c: OciConfig, pid: number): void {
  for (const ns of c.linux!.namespaces!) if (ns.type === 'pid') ns.path = `/proc/${pid}/ns/pid`;
}

export function addBind(c: OciConfig, source: string, destination: string, options: string[] = ['rbind', 'rw']): void {
  c.mounts!.push({ destination, type: 'bind', source, options });
}

/** Lines of the host's mountinfo that mention one of the needles. */
export function hostMountsMatching(...needles: string[]): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => needles.some((n) => l.includes(n)));
}

export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * bin/runts with fds beyond stdio inherited, as an engine with a leaky fd
 * table would start it: extra[i] becomes fd 3+i (null: not open), `at` puts
 * fds at higher numbers.
 */
export function runtsWithFds(args: readonly string[], extra: (number | null)[], at: Record<number, number> = {}, timeout = 20_000): Result {
  const dir = mkdtempSync(path.join(tmpdir(), 'runts-test-out-'));
  const out = openSync(path.join(dir, 'out'), 'w');
  const err = openSync(path.join(dir, 'err'), 'w');
  try {
    const stdio: (number | 'ignore' | 'pipe')[] = ['pipe', out, err, ...extra.map((f) => f ?? 'ignore')];
    for (const [n, fd] of Object.entries(at)) {
      while (stdio.length < Number(n)) stdio.push('ignore');
      stdio[Number(n)] = fd;
    }
    const r = spawnSync(RUNTS, ['--root', ROOT, ...args], { stdio, input: '', timeout });
    return {
      code: r.status,
      signal: r.signal,
      stdout: readFileSync(path.join(dir, 'out'), 'utf8'),
      stderr: readFileSync(path.join(dir, 'err'), 'utf8'),
    };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}


/** Asserts that a runts call succeeded, showing its stderr when not. */
export function ok(r: Result): Result {
  if (r.code !== 0) throw new Error(`runts exited ${r.code} (${r.signal ?? 'no signal'}): ${r.stderr}${r.stdout}`);
  return r;
}
