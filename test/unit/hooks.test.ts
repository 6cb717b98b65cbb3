// Hooks without root: how config.json's hooks are resolved and planned, the
// hook record's checks, the config checks, and the native runner itself.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { schemaProblems } from '../../src/config/validate';
import {
  environmentOf,
  hookProblems,
  hookState,
  hookStateBase,
  launchTimeoutMs,
  MAX_HOOK_TIMEOUT_SECONDS,
  planHooks,
  resolveHooks,
  startReported,
  verbsNeedingNode,
} from '../../src/hooks/plan';
import { checkHookRecord, readHookRecord, type HookRecord } from '../../src/hooks/record';
import { createStageHandler } from '../../src/hooks/lifecycle';
import { native } from '../../src/native/binding';
import { defaultConfig } from '../../src/config/defaults';
import { detectLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { buildPlan } from '../../src/plan/build';
import { fakeHost } from '../helpers/fake-host';

function config(hooks: OciConfig['hooks']): OciConfig {
  return { ociVersion: '1.3.0', root: { path: 'rootfs' }, hooks };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'runts-test-hooks-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('resolving hooks', () => {
  it('keeps args and env exactly; defaults argv to [path] and envp to the runtime environment', () => {
    const r = resolveHooks(
      config({
        createRuntime: [{ path: '/a', args: ['zero', 'one'], env: ['X=1', 'X=2', 'NOEQ'], timeout: 3 }, { path: '/b' }, { path: '/c', args: [] }],
      }),
      { HOME: '/root', UNSET: undefined },
    );
    expect(r.createRuntime).toEqual([
      { kind: 'createRuntime', index: 0, path: '/a', args: ['zero', 'one'], env: ['X=1', 'X=2', 'NOEQ'], timeoutMs: 3000 },
      { kind: 'createRuntime', index: 1, path: '/b', args: ['/b'], env: ['HOME=/root'], timeoutMs: 0 },
      { kind: 'createRuntime', index: 2, path: '/c', args: ['/c'], env: ['HOME=/root'], timeoutMs: 0 },
    ]);
    expect(r.prestart).toEqual([]);
    // In the container, the default is the process's environment, never the runtime's.
    const inner = resolveHooks({ ...config({ createContainer: [{ path: '/a' }], startContainer: [{ path: '/b' }, { path: '/c', env: ['X=1'] }], poststart: [{ path: '/d' }] }), process: { cwd: '/', env: ['PATH=/bin', 'TERM=xterm'] } }, { HOME: '/root' });
    expect(inner.createContainer[0]!.env).toEqual(['PATH=/bin', 'TERM=xterm']);
    expect(inner.startContainer.map((h) => h.env)).toEqual([['PATH=/bin', 'TERM=xterm'], ['X=1']]);
    expect(inner.poststart[0]!.env).toEqual(['HOME=/root']);
    expect(environmentOf({ A: 'x=y', B: '' })).toEqual(['A=x=y', 'B=']);
  });

  it('plans the createRuntime stop whenever a create- or start-time hook exists, and only the init kinds go to the init', () => {
    expect(planHooks(resolveHooks(config(undefined), {}))).toBeNull();
    expect(planHooks(resolveHooks(config({ poststart: [{ path: '/p' }], poststop: [{ path: '/q' }] }), {}))).toBeNull();
    for (const kind of ['prestart', 'createRuntime', 'createContainer', 'startContainer'] as const) {
      const plan = planHooks(resolveHooks(config({ [kind]: [{ path: '/h' }] }), {}));
      expect(plan?.stops).toEqual(['createRuntime']);
    }
    const plan = planHooks(resolveHooks(config({ createContainer: [{ path: '/cc', timeout: 2 }], startContainer: [{ path: '/sc', env: [] }], createRuntime: [{ path: '/cr' }] }), {}));
    expect(plan).toEqual({
      stops: ['createRuntime'],
      createContainer: [{ kind: 'createContainer', index: 0, path: '/cc', args: ['/cc'], env: [], timeoutMs: 2000 }],
      startContainer: [{ kind: 'startContainer', index: 0, path: '/sc', args: ['/sc'], env: [], timeoutMs: 0 }],
    });
  });

  it('sends start to Node for startContainer or poststart hooks, delete for poststop hooks', () => {
    const verbs = (h: OciConfig['hooks']) => verbsNeedingNode(resolveHooks(config(h), {}));
    expect(verbs(undefined)).toEqual([]);
    expect(verbs({ prestart: [{ path: '/x' }], createRuntime: [{ path: '/x' }], createContainer: [{ path: '/x' }] })).toEqual([]);
    expect(verbs({ startContainer: [{ path: '/x' }] })).toEqual(['start']);
    expect(verbs({ poststart: [{ path: '/x' }] })).toEqual(['start']);
    expect(verbs({ poststop: [{ path: '/x' }] })).toEqual(['delete']);
    expect(verbs({ poststart: [{ path: '/x' }], poststop: [{ path: '/x' }] })).toEqual(['start', 'delete']);
    expect(startReported(resolveHooks(config({ poststop: [{ path: '/x' }] }), {}))).toBe(false);
    expect(startReported(resolveHooks(config({ poststart: [{ path: '/x' }] }), {}))).toBe(true);
  });

  it('waits for the init as long as its createContainer hooks may take', () => {
    expect(launchTimeoutMs(resolveHooks(config(undefined), {}))).toBe(60_000);
    expect(launchTimeoutMs(resolveHooks(config({ createContainer: [{ path: '/a', timeout: 5 }, { path: '/b', timeout: 7 }], createRuntime: [{ path: '/c' }] }), {}))).toBe(72_000);
    expect(launchTimeoutMs(resolveHooks(config({ createContainer: [{ path: '/a', timeout: 5 }, { path: '/b' }] }), {}))).toBe(-1);
    const long = { path: '/a', timeout: MAX_HOOK_TIMEOUT_SECONDS };
    expect(launchTimeoutMs(resolveHooks(config({ createContainer: [long, long, long] }), {}))).toBe(2 ** 31 - 1);
  });

  it('gives hooks the runtime-spec state', () => {
    const base = hookStateBase({ ...config(undefined), annotations: { k: 'v' } }, 'id1', '/bundle');
    expect(JSON.parse(hookState(base, 'creating', 42))).toEqual({ ociVersion: '1.3.0', id: 'id1', status: 'creating', pid: 42, bundle: '/bundle', annotations: { k: 'v' } });
    expect(JSON.parse(hookState(hookStateBase(config(undefined), 'id2', '/b'), 'stopped', 0))).toEqual({ ociVersion: '1.3.0', id: 'id2', status: 'stopped', pid: 0, bundle: '/b' });
  });
});

describe('config checks of hooks', () => {
  it('refuses a relative path and a timeout that is not positive, with their JSON paths', () => {
    const c = defaultConfig() as OciConfig;
    c.hooks = { createRuntime: [{ path: 'rel' }], poststop: [{ path: '/ok', timeout: 0 }], prestart: [{ path: '/ok', timeout: -1 }] };
    const paths = schemaProblems(c).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['hooks.createRuntime[0].path', 'hooks.poststop[0].timeout', 'hooks.prestart[0].timeout']));
  });

  it('refuses a timeout longer than runts can wait', () => {
    expect(hookProblems({ poststart: [{ path: '/x', timeout: MAX_HOOK_TIMEOUT_SECONDS }, { path: '/x', timeout: MAX_HOOK_TIMEOUT_SECONDS + 1 }] })).toEqual([
      { path: 'hooks.poststart[1].timeout', message: `must be at most ${MAX_HOOK_TIMEOUT_SECONDS} seconds` },
    ]);
    expect(hookProblems('nonsense')).toEqual([]);
    expect(hookProblems({ poststart: 'nonsense', poststop: [null, 3] })).toEqual([]);
  });

  it("runts-init's plan reader refuses a relative hook path and a negative timeout", () => {
    const base = {
      stops: ['createRuntime'],
      // Without env: the container process's environment.
      createContainer: [{ kind: 'createContainer', index: 0, path: '/x', args: ['/x'], env: (defaultConfig() as OciConfig).process!.env!, timeoutMs: 0 }],
      startContainer: [],
    };
    const c = defaultConfig() as OciConfig;
    c.hooks = { createContainer: [{ path: '/x' }] };
    const layout = detectLayout('33 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n', '1:memory:/\n');
    const { plan } = buildPlan(c, { id: 'h', bundle: '/bundle', host: fakeHost({}), cgroups: placeContainer(layout, undefined, 'h'), env: {} });
    expect(plan.hooks).toEqual(base);
    const check = (hooks: unknown) => native().checkLaunchPlan(JSON.stringify({ ...plan, hooks }));
    expect(check(base)).toBeNull();
    expect(check(null)).toBeNull();
    expect(check({ ...base, createContainer: [{ ...base.createContainer[0], path: 'x' }] })).toContain('hooks.createContainer[0].path "x" is not absolute');
    expect(check({ ...base, createContainer: [{ ...base.createContainer[0], timeoutMs: -5 }] })).toContain('timeoutMs is out of range');
    expect(check({ ...base, extra: 1 })).not.toBeNull();
  });
});

describe('the hook record (hooks.json)', () => {
  const good: HookRecord = {
    version: 1,
    state: { ociVersion: '1.3.0', id: 'c1', bundle: '/b', annotations: { a: 'b' } },
    startReport: true,
    poststart: [{ kind: 'poststart', index: 0, path: '/p', args: ['/p'], env: [], timeoutMs: 0 }],
    poststop: [],
  };

  it('reads back what create wrote; a container without one has none', () => {
    const dir = mkdtempSync(path.join(scratch, 'rec-'));
    expect(readHookRecord(dir, 'c1')).toBeNull();
    writeFileSync(path.join(dir, 'hooks.json'), JSON.stringify(good));
    expect(readHookRecord(dir, 'c1')).toEqual(good);
  });

  it('refuses a damaged record before anything in it runs', () => {
    const bad = (edit: (r: Record<string, unknown>) => void) => {
      const r = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      edit(r);
      return () => checkHookRecord(r, 'c1');
    };
    expect(bad(() => {})).not.toThrow();
    expect(bad((r) => (r.version = 2))).toThrow(/not a version 1 hook record/);
    expect(bad((r) => ((r.state as Record<string, unknown>).id = 'other'))).toThrow(/belongs to container "other"/);
    expect(bad((r) => ((r.poststart as Record<string, unknown>[])[0]!.path = 'relative'))).toThrow(/poststart\[0\] has no absolute path/);
    expect(bad((r) => ((r.poststart as Record<string, unknown>[])[0]!.kind = 'poststop'))).toThrow(/has kind/);
    expect(bad((r) => ((r.poststart as Record<string, unknown>[])[0]!.args = 'x'))).toThrow(/args or env/);
    expect(bad((r) => ((r.poststart as Record<string, unknown>[])[0]!.timeoutMs = -1))).toThrow(/timeoutMs/);
    expect(bad((r) => (r.poststop = {}))).toThrow(/poststop is not a list/);
    expect(bad((r) => ((r.state as Record<string, unknown>).annotations = { a: 1 }))).toThrow(/annotations/);
    const dir = mkdtempSync(path.join(scratch, 'rec-'));
    writeFileSync(path.join(dir, 'hooks.json'), '{not json');
    expect(() => readHookRecord(dir, 'c1')).toThrow(/not valid JSON/);
  });
});

describe('the native hook runner', () => {
  const hook = (args: string[], extra: Partial<{ env: string[]; timeoutMs: number; path: string; cwd: string }> = {}) => ({
    kind: 'poststart',
    index: 2,
    path: extra.path ?? '/bin/sh',
    args,
    env: extra.env ?? ['A=1', 'B=two words'],
    timeoutMs: extra.timeoutMs ?? 0,
    cwd: extra.cwd,
  });

  it('passes argv, envp and the state on stdin exactly, and captures stdout and stderr', () => {
    const r = native().runHook(hook(['my-argv0', '-c', 'cat; echo; tr "\\0" "|" < /proc/$$/cmdline; echo; tr "\\0" "|" < /proc/$$/environ; echo err >&2', 'x']), '{"state":1}');
    expect(r).toMatchObject({ ok: true, message: '', exitStatus: 0, signal: null, timedOut: false, stderr: 'err\n' });
    expect(r.stdout).toBe(`{"state":1}\nmy-argv0|-c|${'cat; echo; tr "\\0" "|" < /proc/$$/cmdline; echo; tr "\\0" "|" < /proc/$$/environ; echo err >&2'}|x|\nA=1|B=two words|`);
  });

  it('names the hook, its status and the tail of its output when it fails', () => {
    const r = native().runHook(hook(['sh', '-c', 'echo out; echo "bad thing" >&2; exit 9']), '');
    expect(r).toMatchObject({ ok: false, exitStatus: 9 });
    expect(r.message).toBe('hook hooks.poststart[2] (/bin/sh) exited with status 9; stderr: bad thing; stdout: out');
    const killed = native().runHook(hook(['sh', '-c', 'kill -TERM $$']), '');
    expect(killed.message).toMatch(/^hook hooks.poststart\[2\] \(\/bin\/sh\) was killed by signal 15 \(Terminated\)$/);
    const missing = native().runHook(hook(['x'], { path: '/nonexistent/hook' }), '');
    expect(missing.message).toBe('hook hooks.poststart[2] (/nonexistent/hook) could not be started: No such file or directory');
  });

  it('kills the hook and what it started at the timeout', () => {
    const pidFile = path.join(scratch, 'bg.pid');
    const started = Date.now();
    const r = native().runHook(hook(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 }), '');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(r.message).toContain('did not finish within its timeout');
    const bg = Number(readFileSync(pidFile, 'utf8'));
    const end = Date.now() + 3000;
    let gone = false;
    while (!gone && Date.now() < end) {
      try {
        // A zombie still answers kill(0): look at its state.
        gone = /\) Z /.test(readFileSync(`/proc/${bg}/stat`, 'utf8'));
      } catch {
        gone = true;
      }
    }
    expect(gone).toBe(true);
  });

  it('survives a hook that never reads a large state, and one that leaves a process holding its output', () => {
    const big = 'x'.repeat(1024 * 1024);
    expect(native().runHook(hook(['sh', '-c', 'exit 0']), big)).toMatchObject({ ok: true });
    const started = Date.now();
    const r = native().runHook(hook(['sh', '-c', 'sleep 2 & echo left']), '');
    expect(r).toMatchObject({ ok: true, stdout: 'left\n' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('keeps only the tail of a flood of output', () => {
    const r = native().runHook(hook(['sh', '-c', 'yes 0123456789 | head -c 3000000; echo END >&2; exit 1']), '');
    expect(r.stdout.length).toBeLessThanOrEqual(32 * 1024);
    expect(r.message).toContain('stderr: END');
    expect(r.message.length).toBeLessThan(3000);
  });

  it('times out a hook that floods its output', () => {
    const started = Date.now();
    const r = native().runHook(hook(['sh', '-c', 'yes'], { timeoutMs: 300 }), '');
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('runs in the given working directory', () => {
    const r = native().runHook(hook(['sh', '-c', 'pwd'], { cwd: scratch }), '');
    expect(r.stdout).toBe(`${scratch}\n`);
  });
});

describe('the createRuntime stop', () => {
  it('runs prestart then createRuntime with the creating state, and replies the states of the init hooks', () => {
    const log = path.join(scratch, 'stage.log');
    const h = (tag: string) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${tag} >> ${log}; cat >> ${log}; echo >> ${log}`] });
    const hooks = resolveHooks(config({ prestart: [h('pre')], createRuntime: [h('cr')] }), {});
    const handler = createStageHandler({ hooks, base: hookStateBase(config(undefined), 'c9', '/b'), bundle: scratch });
    const reply = handler('createRuntime', 77);
    const state = '{"ociVersion":"1.3.0","id":"c9","status":"creating","pid":77,"bundle":"/b"}';
    expect(readFileSync(log, 'utf8')).toBe(`pre\n${state}\ncr\n${state}\n`);
    expect(JSON.parse(reply!.data!)).toEqual({ createContainer: state, startContainer: state.replace('creating', 'created') });
    expect(handler('somethingElse', 1)).toEqual({ error: 'runts-init stopped at an unknown stage "somethingElse"' });
  });

  it('returns the first failure and runs nothing after it', () => {
    const log = path.join(scratch, 'stage2.log');
    const hooks = resolveHooks(
      config({ prestart: [{ path: '/bin/false' }], createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo ran > ${log}`] }] }),
      {},
    );
    let reached = false;
    const handler = createStageHandler({ hooks, base: hookStateBase(config(undefined), 'c9', '/b'), bundle: scratch, reached: () => (reached = true) });
    expect(handler('createRuntime', 1)).toEqual({ error: 'hook hooks.prestart[0] (/bin/false) exited with status 1' });
    expect(reached).toBe(true);
    expect(() => readFileSync(log)).toThrow();
  });
});
