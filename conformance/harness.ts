// The conformance harness: it drives a runtime only through the OCI command
// line (create, start, state, kill, delete, run), so that the same test runs
// unchanged against runts, runc and crun. In-container facts come from the
// checker (conformance/checker/checker.c), a static program each bundle runs.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostLayout } from '../src/cgroups/layout';
import type { OciConfig } from '../src/config/types';

export type Level = 'MUST' | 'SHOULD' | 'MAY';

/** What the checker reports (see checker.c). */
export interface Report {
  pid: number;
  uid: [number, number, number];
  gid: [number, number, number];
  groups: number[];
  umask: number;
  cwd: string;
  hostname: string;
  domainname: string;
  args: string[];
  env: string[];
  rlimits: Record<string, [string, string]>;
  status: string;
  oomScoreAdj: string | null;
  namespaces: Record<string, string | null>;
  mountinfo: string;
  cgroup: string | null;
  fds: number[];
  isatty: [boolean, boolean, boolean];
  winsize: [number, number] | null;
  [request: string]: unknown;
}

export interface StatResult {
  type?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  major?: number;
  minor?: number;
  link?: string;
  errno?: number;
}

export interface MountEntry {
  root: string;
  mountPoint: string;
  options: string[];
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

export function parseMountinfo(text: string): MountEntry[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [before, after] = line.split(' - ');
      const f = (before ?? '').split(' ');
      const a = (after ?? '').split(' ');
      const un = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      return {
        root: un(f[3] ?? ''),
        mountPoint: un(f[4] ?? ''),
        options: (f[5] ?? '').split(','),
        optional: f.slice(6),
        fstype: a[0] ?? '',
        source: a[1] ?? '',
        superOptions: (a[2] ?? '').split(','),
      };
    });
}

export function statusField(report: Report, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(report.status)?.[1];
}

/** JSON with object keys sorted, so that key order never decides equality. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export class Skip extends Error {}

export class Failure extends Error {}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RuntimeUnderTest {
  name: string;
  bin: string;
  root: string;
  /** Extra arguments placed before the verb (global options). */
  globalArgs: string[];
}

/** Shared state of a suite run. */
export interface Suite {
  runtime: RuntimeUnderTest;
  template: string;
  checker: string;
  consoleServer: string;
  work: string;
}

let idCounter = 0;

export function makeSuite(runtime: RuntimeUnderTest, checker: string, makeBundle: string, consoleServer: string): Suite {
  const work = mkdtempSync(path.join(tmpdir(), `runts-conformance-${runtime.name.replace(/\W/g, '')}-`));
  chmodSync(work, 0o755);
  const template = path.join(work, 'template');
  const r = spawnSync(makeBundle, [template, '/checker'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot make the template bundle: ${r.stderr}`);
  copyFileSync(checker, path.join(template, 'rootfs', 'checker'));
  chmodSync(path.join(template, 'rootfs', 'checker'), 0o755);
  return { runtime, template, checker, consoleServer, work };
}

/** Blocks this (synchronous) harness for ms milliseconds. */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class TestContext {
  private readonly ids: string[] = [];
  private readonly dirs: string[] = [];
  private readonly cleanups: (() => void)[] = [];
  private readonly tag: string;

  constructor(readonly suite: Suite, testId: string) {
    this.tag = testId.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 40);
  }

  /** A fresh container id, deleted after the test. */
  newId(): string {
    // RUNTS_CONFORMANCE_ID_PREFIX keeps the ids of runs on a shared machine apart.
    const id = `${process.env.RUNTS_CONFORMANCE_ID_PREFIX ?? ''}ct-${this.tag}-${process.pid}-${++idCounter}`;
    this.ids.push(id);
    return id;
  }

  /** A scratch directory, removed after the test. */
  scratch(): string {
    const dir = mkdtempSync(path.join(this.suite.work, 'scratch-'));
    chmodSync(dir, 0o755);
    this.dirs.push(dir);
    return dir;
  }

  /**
   * A bundle with its own rootfs copy. Its config is the suite's base: the
   * checker as the process, no terminal, ociVersion 1.0.2 (which every
   * runtime under test accepts), the usual mounts and namespaces.
   */
  bundle(edit: (c: OciConfig, bundleDir: string) => void = () => {}, requests: string[] = []): { dir: string; config: OciConfig } {
    const dir = path.join(this.suite.work, `bundle-${++idCounter}`);
    cpSync(this.suite.template, dir, { recursive: true, verbatimSymlinks: true });
    chmodSync(dir, 0o755);
    this.dirs.push(dir);
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as OciConfig;
    config.ociVersion = '1.0.2';
    config.process!.terminal = false;
    config.process!.args = ['/checker', ...requests];
    delete config.process!.rlimits;
    edit(config, dir);
    writeFileSync(file, JSON.stringify(config, null, 2));
    return { dir, config };
  }

  /** Runs the runtime with its --root; stdout/stderr go to files (a container inherits them). */
  rt(args: string[], opts: { input?: string; timeout?: number } = {}): Result {
    const out = path.join(this.suite.work, `out-${++idCounter}`);
    const err = `${out}.err`;
    const o = openSync(out, 'w');
    const e = openSync(err, 'w');
    try {
      const rt = this.suite.runtime;
      const r = spawnSync(rt.bin, ['--root', rt.root, ...rt.globalArgs, ...args], {
        stdio: ['pipe', o, e],
        input: opts.input ?? '',
        timeout: opts.timeout ?? 30_000,
      });
      return { code: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    } finally {
      closeSync(o);
      closeSync(e);
      rmSync(out, { force: true });
      rmSync(err, { force: true });
    }
  }

  create(bundleDir: string, id: string, extra: string[] = []): Result {
    return this.rt(['create', '--bundle', bundleDir, ...extra, id]);
  }

  mustCreate(bundleDir: string, id: string, extra: string[] = []): void {
    const r = this.create(bundleDir, id, extra);
    if (r.code !== 0) throw new Failure(`create failed (exit ${r.code}): ${r.stderr.trim()}`);
  }

  state(id: string): Record<string, unknown> {
    const r = this.rt(['state', id]);
    if (r.code !== 0) throw new Failure(`state failed (exit ${r.code}): ${r.stderr.trim()}`);
    try {
      return JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      throw new Failure(`state did not print JSON: ${r.stdout}`);
    }
  }

  /** Polls state until the status is the one wanted. */
  waitStatus(id: string, status: string, ms = 10_000): void {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      last = String(this.state(id).status);
      if (last === status) return;
      sleepMs(10);
    }
    throw new Failure(`status stayed "${last}", expected "${status}"`);
  }

  /** run of a bundle; returns the checker's report (or throws with the runtime's error). */
  runReport(bundleDir: string, extra: string[] = []): Report {
    const id = this.newId();
    const r = this.rt(['run', '--bundle', bundleDir, ...extra, id]);
    if (r.code !== 0) throw new Failure(`run failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
    try {
      return JSON.parse(r.stdout) as Report;
    } catch {
      throw new Failure(`the checker's output is not JSON: ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`);
    }
  }

  /** A bundle run with the checker, returning its report. */
  check(edit?: (c: OciConfig, dir: string) => void, requests: string[] = []): Report {
    return this.runReport(this.bundle(edit, requests).dir);
  }

  /** A console socket server (python3) that receives the pty master and returns what the container wrote. */
  async withConsole(run: (socketPath: string) => void): Promise<{ name: string; output: string }> {
    const sock = path.join(this.scratch(), 'console.sock');
    const py = spawn('python3', [this.suite.consoleServer, sock], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    py.stdout.on('data', (d: Buffer) => (buf += d.toString()));
    const exited = new Promise<void>((resolve) => py.on('exit', () => resolve()));
    for (let i = 0; i < 500 && !buf.startsWith('ready'); i++) await new Promise((r) => setTimeout(r, 10));
    try {
      run(sock);
      const timer = setTimeout(() => py.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    } finally {
      py.kill('SIGKILL');
    }
    const last = buf.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as { name: string; output: string };
    } catch {
      throw new Failure(`the console socket received nothing usable (${buf.slice(0, 200)})`);
    }
  }

  /**
   * check with process.terminal on: created with --console-socket and
   * started; the report is what the checker wrote on the pty.
   */
  async checkOnConsole(edit: (c: OciConfig) => void = () => {}, requests: string[] = []): Promise<Report> {
    const id = this.newId();
    const { dir } = this.bundle((c) => {
      c.process!.terminal = true;
      edit(c);
    }, requests);
    const { output } = await this.withConsole((sock) => {
      this.mustCreate(dir, id, ['--console-socket', sock]);
      this.succeeds(this.rt(['start', id]), 'start');
    });
    try {
      return JSON.parse(output.slice(output.indexOf('{'), output.lastIndexOf('}') + 1)) as Report;
    } catch {
      throw new Failure(`the checker's output on the pty is not JSON: ${output.slice(0, 200)}`);
    }
  }

  /** Runs fn after the test, before its directories are removed. */
  onCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /**
   * A host directory with a tmpfs mounted at sub/ (unmounted after the test),
   * to check what bind mounts do with the mounts below their source.
   */
  treeWithSubmount(): string {
    const dir = this.scratch();
    const sub = path.join(dir, 'sub');
    mkdirSync(sub);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'conformance', sub]);
    if (r.status !== 0) throw new Failure('cannot mount a tmpfs for the test');
    this.onCleanup(() => spawnSync('umount', ['-l', sub]));
    return dir;
  }

  /**
   * Deletes the test's containers and removes what they left. Returns the
   * cgroup directories a runtime left behind after delete --force (the
   * harness removes them, and the report says so).
   */
  cleanup(): string[] {
    for (const id of this.ids.reverse()) this.rt(['delete', '--force', id]);
    for (const fn of this.cleanups.reverse()) fn();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    const left = leftoverCgroups(new Set(this.ids));
    for (const d of left) spawnSync('rmdir', [d]);
    return left;
  }

  // Assertions: a failure says what was expected and what was seen.
  equal<T>(actual: T, expected: T, what: string): void {
    if (canonical(actual) !== canonical(expected)) {
      throw new Failure(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
  }

  ok(cond: unknown, what: string): void {
    if (!cond) throw new Failure(what);
  }

  fails(r: Result, what: string): void {
    if (r.code === 0) throw new Failure(`${what}: the runtime succeeded (exit 0) where the spec requires an error`);
  }

  succeeds(r: Result, what: string): void {
    if (r.code !== 0) throw new Failure(`${what}: exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
  }

  skip(reason: string): never {
    throw new Skip(reason);
  }
}

/**
 * Cgroup directories, in the first levels of each mounted hierarchy, named
 * after a container id. Only real cgroup mounts count: where
 * conformance:compare hides the cgroup2 for crun, the tmpfs in its place
 * (and crun's writes there) goes with the namespace.
 */
function leftoverCgroups(ids: Set<string>): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (depth < 4) walk(p, depth + 1);
      if (ids.has(e.name)) found.push(p);
    }
  };
  for (const h of hostLayout().hierarchies) walk(h.mountPoint, 0);
  return found.sort().reverse();
}

export interface ConformanceTest {
  /** Stable name, e.g. "config.process.user.uid". */
  id: string;
  /** Spec file and anchor, e.g. "config.md#user". */
  section: string;
  level: Level;
  /** The requirement's words, quoted from the spec. */
  requirement: string;
  /** Host facts the test needs; unmet ones make it a skip with the reason. */
  requires?: HostRequirement[];
  run(t: TestContext): void | Promise<void>;
}

export interface HostRequirement {
  what: string;
  met(): boolean;
}

export function hostHas(what: string, met: () => boolean): HostRequirement {
  let cached: boolean | undefined;
  return { what, met: () => (cached ??= met()) };
}

export const HOST = {
  negativeOomScoreAdj: hostHas('lowering oom_score_adj (this sandbox refuses it to every process)', () => {
    const r = spawnSync('sh', ['-c', 'echo -1 > /proc/self/oom_score_adj'], { stdio: 'ignore' });
    return r.status === 0;
  }),
  cgroupV1Controller: (name: string) =>
    hostHas(`the cgroup v1 ${name} controller mounted`, () => existsSync(`/sys/fs/cgroup/${name}`) && !existsSync('/sys/fs/cgroup/cgroup.controllers')),
  cgroupV2: hostHas('a cgroup v2 (unified) host', () => existsSync('/sys/fs/cgroup/cgroup.controllers')),
  apparmor: hostHas('AppArmor enabled', () => {
    try {
      return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
    } catch {
      return false;
    }
  }),
  selinux: hostHas('SELinux enabled', () => existsSync('/sys/fs/selinux/enforce')),
  resctrl: hostHas('a mounted resctrl filesystem (Intel RDT)', () => existsSync('/sys/fs/resctrl/schemata')),
  timeNamespace: hostHas('time namespaces in the kernel', () => existsSync('/proc/self/ns/time')),
  sharedRoot: hostHas('a shared root mount (/ in a peer group, as under systemd), for a slave to have a master', () =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[4] === '/' && / shared:\d+/.test(l.split(' - ')[0] ?? '')),
  ),
  python3: hostHas('python3 (the console socket peer)', () => spawnSync('python3', ['--version']).status === 0),
  ip: hostHas('the ip command (to make a network namespace)', () => spawnSync('ip', ['-V']).status === 0),
};
