// The command line as engines drive it: containerd's runc shim (--log FILE
// --log-format json, stdio that cannot be written, kill --all after a stop),
// conmon, and crun's test suite. Every case runs through both paths: the
// native launcher and Node (RUNTS_NATIVE_VERBS=0).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRoot, ROOT, RUNTS, runts, traces, useSandbox } from '../helpers/sandbox';

const viaNode = { env: { RUNTS_NATIVE_VERBS: '0' } };
const PATHS = [
  ['native', {}],
  ['node', viaNode],
] as const;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function status(id: string): string {
  return JSON.parse(runts(['state', id]).stdout).status as string;
}

function waitStopped(id: string): void {
  for (let i = 0; i < 300 && status(id) !== 'stopped'; i++) sleepMs(10);
  expect(status(id)).toBe('stopped');
}

function logLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** runts under sh with its fd 1 and 2 redirected by `redirect` ("1</dev/null 2</dev/null", ">&- 2>&-"). */
function runtsWithStdio(redirect: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): number | null {
  const r = spawnSync('/bin/sh', ['-c', `exec "$@" ${redirect}`, 'sh', RUNTS, '--root', ROOT, ...args], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
  return r.status;
}

describe.skipIf(!isRoot)('--log and --log-format', () => {
  const sb = useSandbox();
  const bogusCap = (c: { process?: { capabilities?: { bounding?: string[] } } }) => {
    c.process!.capabilities!.bounding = [...(c.process!.capabilities!.bounding ?? []), 'CAP_BOGUS'];
  };

  it('with --log, warnings go to the log only and errors to the log (JSON lines) and one plain line to stderr', () => {
    const id = sb.id('log');
    const log = path.join(sb.dir, 'log.json');
    const created = runts(['--log', log, '--log-format', 'json', 'create', '-b', sb.bundle(id, ['sleep', '60'], bogusCap), id]);
    expect(created).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const warning = logLines(log).find((l) => l.level === 'warning');
    expect(warning).toMatchObject({ msg: expect.stringContaining('unknown capability "CAP_BOGUS"'), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    for (const [name, opts] of PATHS) {
      const r = runts(['--log', log, '--log-format', 'json', 'kill', 'nope', '9'], opts);
      expect(r.code, name).toBe(1);
      expect(r.stdout, name).toBe('');
      const last = logLines(log).at(-1);
      expect(last, name).toMatchObject({ level: 'error', msg: expect.stringContaining('"nope"') });
      expect(r.stderr, name).toBe(`runts: ${String(last?.msg)}\n`);
    }
    expect(runts(['delete', '--force', id]).code).toBe(0);
  });

  it('with --log, a failing create (whose stderr is the container\'s) writes its error to the log only', () => {
    const id = sb.id('logcreate');
    const log = path.join(sb.dir, 'create-log.json');
    const r = runts(['--log', log, '--log-format', 'json', 'create', '-b', sb.bundle(id, ['/no/such/program']), id]);
    expect(r.code).not.toBe(0);
    expect(r).toMatchObject({ stdout: '', stderr: '' });
    expect(logLines(log).at(-1)).toMatchObject({ level: 'error', msg: expect.stringContaining('/no/such/program') });
    expect(runts(['state', id]).code).toBe(1);
  });

  it('fails at once, on both paths, when the --log file cannot be opened (as runc; crun\'s --log=invalid:/path)', () => {
    for (const [name, opts] of PATHS) {
      for (const verb of [['list'], ['state', 'nope']]) {
        const r = runts(['--log=invalid:/path', ...verb], opts);
        expect(r, `${name} ${verb[0]}`).toMatchObject({ code: 1, stdout: '', stderr: 'runts: open log file invalid:/path: No such file or directory\n' });
      }
    }
  });

  it('logs command-line errors too, in both formats, without the usage text', () => {
    const json = path.join(sb.dir, 'log.json');
    const r = runts(['--log', json, '--log-format', 'json', 'state', 'x', '--frob']);
    expect(r.code).toBe(1);
    expect(logLines(json).at(-1)).toMatchObject({ level: 'error', msg: 'Unknown argument: frob', time: expect.any(String) });
    expect(r.stderr).toBe('runts: Unknown argument: frob\n');
    const text = path.join(sb.dir, 'log.txt');
    const t = runts(['--log', text, 'frobnicate']);
    expect(t.code).toBe(1);
    expect(readFileSync(text, 'utf8')).toMatch(/^time="[^"]+" level=error msg="Unknown argument: frobnicate"\n$/);
    expect(t.stderr).toBe('runts: Unknown argument: frobnicate\n');
  });

  it('text lines follow logrus; without --log, warnings stay on stderr as before', () => {
    const id = sb.id('logt');
    const log = path.join(sb.dir, 'log.txt');
    expect(runts(['--log', log, 'create', '-b', sb.bundle(id, ['sleep', '60'], bogusCap), id])).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(log, 'utf8')).toMatch(/^time="\S+Z" level=warning msg=".*unknown capability \\"CAP_BOGUS\\" is ignored"$/m);
    const id2 = sb.id('nolog');
    const plain = runts(['create', '-b', sb.bundle(id2, ['sleep', '60'], bogusCap), id2]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/^runts: warning: .*unknown capability "CAP_BOGUS" is ignored\n/);
    expect(runts(['delete', '--force', id]).code).toBe(0);
    expect(runts(['delete', '--force', id2]).code).toBe(0);
  });
});

describe.skipIf(!isRoot)('stdout and stderr that cannot be written', () => {
  const sb = useSandbox();

  it.each([
    ['opened read-only on /dev/null', '1</dev/null 2</dev/null'],
    ['closed', '>&- 2>&-'],
  ])('with fd 1 and 2 %s, create, state, start, kill and delete succeed on both paths', (_what, redirect) => {
    for (const [name, opts] of PATHS) {
      const id = sb.id(name);
      // An unknown capability: create warns, and the warning goes to fd 2.
      const bundle = sb.bundle(id, ['sleep', '60'], (c) => {
        c.process!.capabilities!.bounding = [...(c.process!.capabilities!.bounding ?? []), 'CAP_BOGUS'];
      });
      const env = 'env' in opts ? opts.env : {};
      expect(runtsWithStdio(redirect, ['create', '--bundle', bundle, id], env), `${name} create`).toBe(0);
      expect(runtsWithStdio(redirect, ['state', id], env), `${name} state`).toBe(0);
      expect(runtsWithStdio(redirect, ['start', id], env), `${name} start`).toBe(0);
      expect(status(id)).toBe('running');
      // An error message, to a stderr that takes none.
      expect(runtsWithStdio(redirect, ['start', id], env), `${name} start again`).toBe(1);
      expect(runtsWithStdio(redirect, ['kill', id, '9'], env), `${name} kill`).toBe(0);
      waitStopped(id);
      expect(runtsWithStdio(redirect, ['delete', id], env), `${name} delete`).toBe(0);
      expect(traces(id)).toEqual([]);
    }
  });
});

describe.skipIf(!isRoot)('kill as engines send it', () => {
  const sb = useSandbox();

  it('kill ID 0 probes a live container; a stopped one is "container not running"; kill --all of a stopped one succeeds', () => {
    const id = sb.id('kill');
    expect(runts(['create', '-b', sb.bundle(id, ['sleep', '60']), id]).code).toBe(0);
    for (const [name, opts] of PATHS) expect(runts(['kill', id, '0'], opts), `${name} created`).toMatchObject({ code: 0, stderr: '' });
    expect(runts(['start', id]).code).toBe(0);
    for (const [name, opts] of PATHS) expect(runts(['kill', id, '0'], opts), `${name} running`).toMatchObject({ code: 0, stderr: '' });
    expect(status(id)).toBe('running');
    expect(runts(['kill', id, '9']).code).toBe(0);
    waitStopped(id);
    for (const args of [['kill', id, '9'], ['kill', id, '0'], ['kill', id]]) {
      const native = runts(args);
      expect(native, args.join(' ')).toEqual({ code: 1, signal: null, stdout: '', stderr: `runts: container not running: "${id}" is stopped\n` });
      expect(runts(args, viaNode), args.join(' ')).toEqual(native);
    }
    for (const [name, opts] of PATHS) {
      expect(runts(['kill', '--all', id, '9'], opts), name).toMatchObject({ code: 0, stderr: '' });
      expect(runts(['kill', '-a', id, 'KILL'], opts), name).toMatchObject({ code: 0, stderr: '' });
    }
    // The shim reads the message from the log as well.
    const log = path.join(sb.dir, 'log.json');
    expect(runts(['--log', log, '--log-format', 'json', 'kill', id, '15']).code).toBe(1);
    expect(logLines(log).at(-1)).toMatchObject({ level: 'error', msg: `container not running: "${id}" is stopped` });
    expect(runts(['delete', id]).code).toBe(0);
  });

  it('kill --all of a stopped container still kills what is left in its cgroup', () => {
    const id = sb.id('left');
    // The init exits at once and leaves a child behind in the cgroup (the pid namespace is shared with the host's here).
    const bundle = sb.bundle(id, ['sh', '-c', 'sleep 60 & echo $! > /tmp/child; sleep 0.3'], (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'pid');
    });
    expect(runts(['run', '-d', '-b', bundle, id]).code).toBe(0);
    waitStopped(id);
    const procs = cgroupProcs(id);
    expect(procs.length).toBeGreaterThan(0);
    expect(runts(['kill', '--all', id, '9'])).toMatchObject({ code: 0, stderr: '' });
    for (let i = 0; i < 100 && cgroupProcs(id).length; i++) sleepMs(10);
    expect(cgroupProcs(id)).toEqual([]);
    expect(runts(['delete', id]).code).toBe(0);
  });
});

function cgroupProcs(id: string): number[] {
  const file = path.join('/sys/fs/cgroup/pids/runts-test', id, 'cgroup.procs');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

describe.skipIf(!isRoot)("the launcher's cgroup warm-up helper", () => {
  const sb = useSandbox();

  it("holds none of the caller's fds", async () => {
    const id = sb.id('warm');
    const bundle = sb.bundle(id, ['true']);
    const out = openSync(path.join(sb.dir, 'out'), 'w');
    const extra = openSync(path.join(sb.dir, 'extra'), 'w');
    // The create stops itself before its cgroups are made: the helper runs its full ~150 ms meanwhile.
    const child = spawn(RUNTS, ['--root', ROOT, 'create', '--bundle', bundle, id], {
      stdio: ['ignore', out, out, extra],
      env: { ...process.env, RUNTS_TEST_STOP_AT: 'recorded' },
    });
    const exited = new Promise((r) => child.on('exit', r));
    const launcher = realpathSync(RUNTS);
    let helperFds: string[] | undefined;
    try {
      for (let i = 0; i < 400 && !helperFds; i++) {
        helperFds = findHelperFds(launcher, child.pid!, id);
        if (!helperFds) await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
      closeSync(out);
      closeSync(extra);
    }
    expect(helperFds).toBeDefined();
    // Its own: the cgroup.procs it writes to, opened and closed in a loop.
    expect(helperFds!.filter((l) => !l.endsWith('/cgroup.procs'))).toEqual(['0 -> /dev/null', '1 -> /dev/null', '2 -> /dev/null']);
    expect(runts(['delete', '--force', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });
});

/** The fds of the helper (a fork of the launcher with the same command line, not the runtime's pid). */
function findHelperFds(launcher: string, runtime: number, id: string): string[] | undefined {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!pid || pid === runtime) continue;
    try {
      if (readlinkSync(`/proc/${pid}/exe`) !== launcher) continue;
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(id)) continue;
      return readdirSync(`/proc/${pid}/fd`)
        .map(Number)
        .sort((a, b) => a - b)
        .map((fd) => `${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

describe.skipIf(!isRoot)('run of a terminal container without a terminal', () => {
  const sb = useSandbox();

  it('fails at once with a message, as runc, and leaves nothing', () => {
    const id = sb.id('tty');
    const bundle = sb.bundle(id, ['sh'], (c) => (c.process!.terminal = true));
    const started = Date.now();
    // stdin /dev/null, stdout and stderr pipes, and setsid: no controlling terminal either.
    const r = spawnSync('setsid', ['-w', RUNTS, '--root', ROOT, 'run', '-b', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 5000 });
    expect(r.signal).toBe(null);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^runts: process\.terminal is true, but none of stdin, stdout and stderr is a terminal and there is no controlling terminal \(open \/dev\/tty: E\w+\)/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(traces(id)).toEqual([]);
  });
});

describe.skipIf(!isRoot)("crun's dialect", () => {
  const sb = useSandbox();

  /** runts as crun's tests_utils.py runs crun: from the bundle directory, with --cgroup-manager first. */
  function asCrunTests(cwd: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(RUNTS, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('run --config FILE reads that file (relative to the bundle), not <bundle>/config.json', () => {
    const id = sb.id('cfg');
    const bundle = sb.bundle(id, ['echo', 'from-sub-config']);
    mkdirSync(path.join(bundle, 'sub'));
    renameSync(path.join(bundle, 'config.json'), path.join(bundle, 'sub', 'other.json'));
    const r = asCrunTests(bundle, ['--cgroup-manager', 'cgroupfs', '--root', ROOT, 'run', '--config', 'sub/other.json', id]);
    expect(r).toEqual({ status: 0, stdout: 'from-sub-config\n', stderr: '' });
    expect(traces(id)).toEqual([]);
    const missing = asCrunTests(bundle, ['--root', ROOT, 'create', '-f', 'nope.json', id]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`runts: no config file ${path.join(bundle, 'nope.json')} (given with --config)\n`);
    expect(traces(id)).toEqual([]);
  });

  it('--cgroup-manager disabled runs the container in no cgroup of its own and ignores linux.resources with a warning', () => {
    const id = sb.id('nocg');
    const bundle = sb.bundle(id, ['sleep', '60'], (c) => {
      c.linux!.resources = { pids: { limit: 10 } };
    });
    const r = runts(['--cgroup-manager', 'disabled', 'run', '-d', '-b', bundle, id]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^runts: warning: linux\.resources is ignored: with --cgroup-manager disabled the container has no cgroup/);
    const state = JSON.parse(runts(['state', id]).stdout);
    expect(state.status).toBe('running');
    expect(traces(id)).toEqual([path.join(ROOT, id)]);
    // Its process stays in the cgroups runts ran in, as crun leaves it.
    const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /:pids:/.test(l));
    const its = readFileSync(`/proc/${state.pid}/cgroup`, 'utf8').split('\n').find((l) => /:pids:/.test(l));
    expect(its).toBe(own);
    for (const [name, opts] of PATHS) expect(runts(['--cgroup-manager', 'disabled', 'kill', id, '0'], opts), name).toMatchObject({ code: 0 });
    expect(runts(['delete', '--force', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('--cgroup-manager systemd is refused with what to use instead, before anything is made', () => {
    const id = sb.id('sd');
    for (const [name, opts] of PATHS) {
      const r = runts(['--cgroup-manager', 'systemd', 'create', '-b', sb.bundle(id, ['true']), id], opts);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(/^runts: --cgroup-manager systemd: the systemd cgroup driver is not supported by runts yet; use --cgroup-manager cgroupfs/);
      expect(traces(id)).toEqual([]);
    }
  });

  it('run --keep leaves the stopped container for delete', () => {
    const id = sb.id('keep');
    const r = runts(['run', '--keep', '-b', sb.bundle(id, ['sh', '-c', 'exit 3']), id]);
    expect(r.code).toBe(3);
    expect(status(id)).toBe('stopped');
    expect(runts(['delete', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('delete --regex deletes every container whose id matches, and no other', () => {
    const ids = [sb.id('rxa'), sb.id('rxa'), sb.id('rxb')];
    for (const id of ids) expect(runts(['create', '-b', sb.bundle(id, ['sleep', '60']), id]).code).toBe(0);
    const pattern = `rxa-${process.pid}-`;
    // Created containers are not running: no --force needed.
    expect(runts(['delete', '--regex', pattern])).toMatchObject({ code: 0, stderr: '' });
    expect(traces(ids[0]!)).toEqual([]);
    expect(traces(ids[1]!)).toEqual([]);
    expect(status(ids[2]!)).toBe('created');
    expect(runts(['start', ids[2]!]).code).toBe(0);
    const running = runts(['delete', '-r', `^${ids[2]}$`]);
    expect(running.code).toBe(1);
    expect(running.stderr).toMatch(/^runts: cannot delete container "[^"]+" that is not stopped: running/);
    expect(runts(['delete', '-r', '-f', `^${ids[2]}$`])).toMatchObject({ code: 0, stderr: '' });
    expect(traces(ids[2]!)).toEqual([]);
    expect(runts(['delete', '--regex', '('])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^runts: delete --regex: "\(" is not a valid regular expression/) });
  });
});
