// `events` on real containers: --stats, the stream (stats every --interval,
// oom when the OOM killer acts, the end when the container stops), runc's
// errors, the same through Node's CLI and the library, and the keys next to
// those of `runc events --stats` for an equivalent runc container.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostLayout } from '../../src/cgroups/layout';
import { containerEvents, containerStats, type ContainerEvent, type ContainerStats } from '../../src/container/events';
import { CGROUP_PARENT, isRoot, ROOT, RUNTS, runts, Sandbox } from '../helpers/sandbox';

const RUNC = '/usr/sbin/runc';
const RUNC_ROOT = '/tmp/events-runc';
const hasRunc = existsSync(RUNC) && /runc version 1\.1\./.test(spawnSync(RUNC, ['--version'], { encoding: 'utf8' }).stdout ?? '');
const memoryHierarchy = hostLayout().hierarchies.find((h) => h.version === 1 && h.controllers.includes('memory'));
const NODE_CLI = { RUNTS_NATIVE_VERBS: '0' };

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function waitFor(check: () => boolean, ms = 10_000): void {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    sleepMs(10);
  }
}

const status = (id: string): string => JSON.parse(runts(['state', id]).stdout).status;

interface Stream {
  code: number | null;
  lines: string[];
  stderr: string;
}

/**
 * Runs `runts events ARGS` to its end, calling during(started) once it runs;
 * killed (by its pid) after timeoutMs so that a stream that never ends
 * fails the test instead of hanging it.
 */
function streamEvents(args: string[], during: () => void, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const child = spawn(RUNTS, ['--root', ROOT, 'events', ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split('\n').filter(Boolean), stderr: err });
    });
    child.on('spawn', () => {
      try {
        during();
      } catch (e) {
        child.kill('SIGKILL');
        reject(e);
      }
    });
  });
}

/** Every key path of a JSON value ("memory/usage/limit"), in order. */
function keyPaths(v: unknown, prefix = ''): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v).flatMap(([k, child]) => [`${prefix}${k}`, ...keyPaths(child, `${prefix}${k}/`)]);
}

function checkRunning(data: ContainerStats): void {
  expect(data.pids.current).toBeGreaterThanOrEqual(1);
  expect(data.memory.usage.usage).toBeGreaterThan(0);
  expect(data.cpu.usage.total).toBeGreaterThan(0);
}

describe.skipIf(!isRoot)('events', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  function running(args = ['sleep', '60']): string {
    const id = sb.id('ev');
    expect(runts(['run', '-d', '-b', sb.bundle(id, args), id])).toMatchObject({ code: 0, stderr: '' });
    return id;
  }

  function stopped(): string {
    const id = running(['true']);
    waitFor(() => status(id) === 'stopped');
    return id;
  }

  it('--stats prints one stats event of the running container and exits, natively and through Node alike', () => {
    const id = running();
    const native = runts(['events', '--stats', id]);
    expect(native).toMatchObject({ code: 0, stderr: '' });
    expect(native.stdout.endsWith('}\n')).toBe(true);
    expect(native.stdout.split('\n')).toHaveLength(2);
    const event = JSON.parse(native.stdout) as ContainerEvent;
    expect(event).toMatchObject({ type: 'stats', id });
    checkRunning(event.data!);
    expect(event.data).toMatchObject({ intel_rdt: {}, network_interfaces: null });
    const node = runts(['events', '--stats', '--interval=1s', id], { env: NODE_CLI });
    expect(node).toMatchObject({ code: 0, stderr: '' });
    expect(keyPaths(JSON.parse(node.stdout))).toEqual(keyPaths(event));
  });

  it('the stream: a stats event every --interval until the container stops, then exit 0', async () => {
    const id = running();
    const r = await streamEvents(['--interval', '200ms', id], () => {
      sleepMs(1100);
      expect(runts(['kill', id, 'KILL']).code).toBe(0);
    });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.lines.length).toBeGreaterThanOrEqual(2);
    for (const line of r.lines) expect(JSON.parse(line)).toMatchObject({ type: 'stats', id });
    checkRunning((JSON.parse(r.lines[0]!) as ContainerEvent).data!);
  });

  it('the stream through Node\'s CLI ends the same way', async () => {
    const id = running();
    const r = await streamEvents(['--interval=200ms', id], () => {
      sleepMs(1500);
      expect(runts(['kill', id, 'KILL']).code).toBe(0);
    }, { env: NODE_CLI });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.lines.length).toBeGreaterThanOrEqual(2);
    for (const line of r.lines) expect(JSON.parse(line)).toMatchObject({ type: 'stats', id });
  });

  it.skipIf(!memoryHierarchy)('an OOM kill in the container is an oom event', async () => {
    const id = sb.id('oom');
    // dd's 64 MiB buffer does not fit in 16 MiB: the OOM killer takes dd,
    // sh reports it and the container ends.
    const bundle = sb.bundle(id, ['sh', '-c', 'sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1; echo "dd: $?"; sleep 0.5']);
    expect(runts(['create', '-b', bundle, id]).code).toBe(0);
    // linux.resources.memory is not applied by create yet: the limit is set
    // on the container's memory cgroup directly, before its process starts.
    const memory = path.join(memoryHierarchy!.mountPoint, CGROUP_PARENT, id);
    writeFileSync(path.join(memory, 'memory.limit_in_bytes'), String(16 << 20));
    // With swap, no swapping instead of the kill.
    if (existsSync(path.join(memory, 'memory.memsw.limit_in_bytes'))) writeFileSync(path.join(memory, 'memory.memsw.limit_in_bytes'), String(16 << 20));
    const r = await streamEvents(['--interval', '300ms', id], () => {
      sleepMs(200);
      expect(runts(['start', id]).code).toBe(0);
    });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.lines.filter((l) => l === `{"type":"oom","id":"${id}"}`)).toHaveLength(1);
    expect(r.lines.filter((l) => JSON.parse(l).type === 'stats').length).toBeGreaterThanOrEqual(1);
    expect(status(id)).toBe('stopped');
  });

  it('a stopped or missing container, or a bad interval, is runc\'s error and exit code 1 (natively and through Node)', () => {
    const gone = stopped();
    const live = running();
    const cases: [string[], string][] = [
      [['events', '--stats', gone], `container with id ${gone} is not running`],
      [['events', gone], `container with id ${gone} is not running`],
      [['events', '--stats', 'runts-t-nope'], 'container "runts-t-nope" does not exist'],
      [['events', 'runts-t-nope'], 'container "runts-t-nope" does not exist'],
      [['events', '--interval', '0s', live], 'duration interval must be greater than 0'],
      [['events', '--interval=-1s', '--stats', live], 'duration interval must be greater than 0'],
      [['events', '--interval', '1x', live], 'invalid value "1x" for --interval: time: unknown unit "x" in duration "1x" (use a duration such as 5s, 100ms or 1m30s)'],
    ];
    for (const [args, message] of cases) {
      for (const env of [{}, NODE_CLI]) {
        const r = runts(args, { env });
        expect({ args, env, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ args, env, code: 1, stdout: '', stderr: `runts: ${message}\n` });
      }
    }
  });

  it('the library: containerStats and a stream of events that stop() ends', async () => {
    const id = running();
    const stats = await containerStats(id, { root: ROOT });
    expect(stats).toMatchObject({ type: 'stats', id });
    checkRunning(stats.data!);
    // 64-bit counters are exact in the text.
    expect(stats.json).toMatch(/"limit":\d{15,}/);
    const events: ContainerEvent[] = [];
    const stream = containerEvents(id, { root: ROOT, interval: 100 });
    for await (const e of stream) {
      events.push(e);
      if (events.length === 3) stream.stop();
    }
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.every((e) => e.type === 'stats' && e.id === id)).toBe(true);
    await expect(containerStats('runts-t-nope', { root: ROOT })).rejects.toThrow('container "runts-t-nope" does not exist');
    expect(() => containerEvents(id, { root: ROOT, interval: 0 })).toThrow('duration interval must be greater than 0');
  });
});

describe.skipIf(!isRoot || !hasRunc)('events --stats next to runc 1.1', () => {
  let sb: Sandbox;
  const runcIds: string[] = [];
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => {
    for (const id of runcIds.splice(0)) {
      spawnSync(RUNC, ['--root', RUNC_ROOT, 'delete', '--force', id], { stdio: 'ignore' });
      // runc removes its cgroups at delete; make sure, in every hierarchy.
      for (const h of hostLayout().hierarchies) {
        const d = path.join(h.mountPoint, CGROUP_PARENT, id);
        if (existsSync(d)) rmdirSync(d);
      }
    }
    sb.cleanup();
  });

  function runcEvent(bundle: string, id: string): ContainerEvent {
    runcIds.push(id);
    const errFile = path.join(sb.dir, `${id}.err`);
    const fd = openSync(errFile, 'w');
    try {
      // stdio to /dev/null and a file: the container's init keeps what it gets.
      expect(spawnSync(RUNC, ['--root', RUNC_ROOT, 'run', '-d', '-b', bundle, id], { stdio: ['ignore', 'ignore', fd], timeout: 20_000 }).status).toBe(0);
    } finally {
      closeSync(fd);
    }
    const r = spawnSync(RUNC, ['--root', RUNC_ROOT, 'events', '--stats', id], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as ContainerEvent;
  }

  it('has the keys runc prints, in runc\'s order', () => {
    const id = sb.id('ev');
    const runcId = `events-${process.pid}-${id.split('-').pop()}`;
    const args = ['sh', '-c', 'echo x > /tmp/f; sleep 60'];
    expect(runts(['run', '-d', '-b', sb.bundle(id, args), id]).code).toBe(0);
    const runcBundle = sb.bundle(runcId, args);
    sleepMs(300);
    const ours = JSON.parse(runts(['events', '--stats', id]).stdout) as ContainerEvent;
    const theirs = runcEvent(runcBundle, runcId);
    // Keys that runc leaves out when their value is 0 may differ between two
    // containers; every other key is the same, in the same order.
    const omitted = /^data\/(cpu\/usage\/(total|percpu|percpu_kernel|percpu_user)|cpu\/throttling\/\w+|memory\/cache|memory\/\w+\/(usage|max)|pids\/\w+|blkio\/\w+|hugetlb\/[^/]+\/(usage|max))$/;
    const fixed = (e: ContainerEvent) => keyPaths(e).filter((k) => !omitted.test(k));
    expect(fixed(ours)).toEqual(fixed(theirs));
    expect(Object.keys(ours.data!)).toEqual(['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
    expect(Object.keys(ours.data!)).toEqual(Object.keys(theirs.data!));
    // The same machine's memory.stat: the same raw keys.
    expect(Object.keys(ours.data!.memory.raw!)).toEqual(Object.keys(theirs.data!.memory.raw!));
  });
});
