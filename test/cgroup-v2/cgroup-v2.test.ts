// Runs inside a pure cgroup v2 VM (scripts/cgroup-v2-vm.sh, started by
// test/integration/cgroup-v2-vm.test.ts): the v2 side of cgroup placement.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostLayout } from '../../src/cgroups/layout';
import type { OciConfig } from '../../src/config/types';
import { native } from '../../src/native/binding';
import { isRoot, ROOT, RUNTS, runts, Sandbox, traces } from '../helpers/sandbox';

const onV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

function waitFor(check: () => boolean): void {
  for (let i = 0; i < 500 && !check(); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
}

describe.skipIf(!isRoot || !onV2)('cgroup v2', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  it('sees a pure v2 host', () => {
    expect(hostLayout().mode).toBe('v2');
  });

  it('places the container in its own cgroup, shows it through a cgroup namespace, and removes it', () => {
    const id = sb.id('v2');
    expect(runts(['create', '-b', sb.bundle(id, ['sh', '-c', 'cat /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo | sed "s/.* - //"']), id]).code).toBe(0);
    const pid = JSON.parse(runts(['state', id]).stdout).pid as number;
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/runts-test/${id}\n`);
    expect(readFileSync(`/sys/fs/cgroup/runts-test/${id}/cgroup.procs`, 'utf8')).toBe(`${pid}\n`);
    const state = JSON.parse(readFileSync(`/run/runts-test/${id}/state.json`, 'utf8'));
    expect(state.runts).toMatchObject({
      procsFile: `/sys/fs/cgroup/runts-test/${id}/cgroup.procs`,
      killFile: `/sys/fs/cgroup/runts-test/${id}/cgroup.kill`,
      freezerFile: `/sys/fs/cgroup/runts-test/${id}/cgroup.freeze`,
    });
    expect(runts(['delete', '--force', id]).code).toBe(0);
    expect(existsSync(`/sys/fs/cgroup/runts-test/${id}`)).toBe(false);
  });

  it('mounts cgroup2 in a cgroup namespace, and binds its own cgroup without one', () => {
    expect(sb.sh('cat /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1')).toBe('0::/\ncgroup2\n');
    const out = sb.sh('ls /sys/fs/cgroup/cgroup.procs && cat /sys/fs/cgroup/cgroup.procs | wc -l', (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
    });
    expect(out).toMatch(/^\/sys\/fs\/cgroup\/cgroup.procs\n[1-9]\d*\n$/);
  });

  it('uses the default /runts/<id> cgroup', () => {
    const id = sb.id('v2');
    expect(runts(['create', '-b', sb.bundle(id, ['true'], (c) => delete c.linux!.cgroupsPath), id]).code).toBe(0);
    expect(existsSync(`/sys/fs/cgroup/runts/${id}`)).toBe(true);
    expect(runts(['delete', id]).code).toBe(0);
    expect(existsSync(`/sys/fs/cgroup/runts/${id}`)).toBe(false);
  });

  it('kill --all and delete --force reach every process through cgroup.kill', () => {
    const id = sb.id('v2');
    const bundle = sb.bundle(id, ['sh', '-c', 'sleep 60 & sleep 60'], (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'pid');
    });
    expect(runts(['run', '-d', '-b', bundle, id]).code).toBe(0);
    const procs = () => readFileSync(`/sys/fs/cgroup/runts-test/${id}/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean);
    waitFor(() => procs().length >= 2);
    expect(runts(['kill', '--all', id, 'KILL']).code).toBe(0);
    waitFor(() => procs().length === 0);
    expect(procs()).toEqual([]);
    expect(runts(['delete', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  // A host device outside the default allow list that a container's root can
  // open without capabilities (a read of /dev/kmsg needs CAP_SYSLOG; its
  // write-only open does not), and that the VM has.
  const target = [
    { path: '/dev/vcs', major: 7, minor: 0, mode: '<', flags: 'r' },
    { path: '/dev/tty0', major: 4, minor: 0, mode: '<', flags: 'r' },
    { path: '/dev/kmsg', major: 1, minor: 11, mode: '>', flags: 'w' },
  ].find((d) => {
    try {
      closeSync(openSync(d.path, d.flags));
      return true;
    } catch {
      return false;
    }
  })!;
  const probe = (p: string, mode = '<') => `if (exec 3${mode}${p}) 2>/dev/null; then echo "${p} ok"; else echo "${p} $( (exec 3${mode}${p}) 2>&1 | sed 's/.*: //')"; fi`;
  const withMknod = (c: OciConfig) => {
    for (const set of ['bounding', 'effective', 'permitted'] as const) c.process!.capabilities![set]!.push('CAP_MKNOD');
  };

  it('attaches the device program: a node shipped in the image does not open (EPERM), the standard ones do', () => {
    expect(target).toBeDefined();
    const script = [
      probe('/shipped', target.mode),
      probe('/dev/null', '<>'),
      probe('/dev/zero', '<>'),
      probe('/dev/urandom'),
      probe('/dev/ptmx', '<>'),
      `mknod /dev/made c ${target.major} ${target.minor}`,
      probe('/dev/made', target.mode),
    ].join('; ');
    const shipIn = (bundle: string) => expect(spawnSync('mknod', ['-m', '0666', path.join(bundle, 'rootfs', 'shipped'), 'c', `${target.major}`, `${target.minor}`]).status).toBe(0);
    const id = sb.id('dv-v2');
    const bundle = sb.bundle(id, ['sh', '-c', script], withMknod);
    shipIn(bundle);
    const log = path.join(sb.dir, 'create.log');
    expect(runts(['--debug', '--log', log, 'create', '-b', bundle, id]).code).toBe(0);
    expect(native().bpfQueryDevicePrograms(`/sys/fs/cgroup/runts-test/${id}`)).toHaveLength(1);
    // The figure for docs/devices.md (under TCG emulation, so slower than real hardware).
    console.log(`${target.path}: ${/device cgroup v2 [^"]*/.exec(readFileSync(log, 'utf8'))?.[0]}`);
    expect(runts(['start', id]).code).toBe(0);
    waitFor(() => JSON.parse(runts(['state', id]).stdout).status === 'stopped');
    expect(runts(['delete', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
    const denied = sb.run(['sh', '-c', script], (c) => {
      withMknod(c);
      c.root!.path = path.join(bundle, 'rootfs');
    });
    expect(denied.stdout).toBe(
      '/shipped Operation not permitted\n/dev/null ok\n/dev/zero ok\n/dev/urandom ok\n/dev/ptmx ok\n/dev/made Operation not permitted\n',
    );
    // Control: with a rule for the device both nodes open, so the EPERM was the program's.
    const allowed = sb.run(['sh', '-c', script], (c) => {
      withMknod(c);
      c.root!.path = path.join(bundle, 'rootfs');
      c.linux!.resources = { devices: [{ allow: true, type: 'c', major: target.major, minor: target.minor, access: target.flags }] };
    });
    expect(allowed.stdout).toBe('/shipped ok\n/dev/null ok\n/dev/zero ok\n/dev/urandom ok\n/dev/ptmx ok\n/dev/made ok\n');
  });

  it('a deny rule closes a device that linux.devices defines', () => {
    const out = sb.sh(probe('/dev/zero', '<>'), (c) => {
      c.linux!.devices = [{ path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 }];
      c.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 5, access: 'rwm' }] };
    });
    expect(out).toBe('/dev/zero Operation not permitted\n');
  });

  it('runs the whole lifecycle', () => {
    expect(sb.run(['sh', '-c', 'exit 3'])).toMatchObject({ code: 3 });
  });
});

// `events` on v2: the stats of the unified cgroup, and OOM kills seen
// through memory.events (inotify and its oom_kill counter).
describe.skipIf(!isRoot || !onV2)('events on cgroup v2', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
    // create does not enable controllers for its cgroups yet (that comes
    // with linux.resources): enabled here, on the VM's root and the tests' parent.
    for (const dir of ['/sys/fs/cgroup', '/sys/fs/cgroup/runts-test']) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'cgroup.subtree_control'), '+cpu +io +memory +pids');
    }
  });
  afterEach(() => sb.cleanup());

  it('events --stats reads the unified cgroup in runc\'s v2 layout', () => {
    const id = sb.id('ev-v2');
    expect(runts(['run', '-d', '-b', sb.bundle(id, ['sleep', '60']), id]).code).toBe(0);
    const r = runts(['events', '--stats', id]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const { type, id: eventId, data } = JSON.parse(r.stdout);
    expect({ type, eventId }).toEqual({ type: 'stats', eventId: id });
    expect(data.pids.current).toBeGreaterThanOrEqual(1);
    expect(data.memory.usage.usage).toBeGreaterThan(0);
    expect(data.cpu.usage.total).toBeGreaterThan(0);
    // v2 has no per-CPU counters and no v1 kernel memory counters; memory.stat's keys are v2's.
    expect(data.cpu.usage.percpu).toBeUndefined();
    expect(data.memory.kernel).toEqual({ limit: 0, failcnt: 0 });
    expect(data.memory.raw).toHaveProperty('anon');
    expect(data.memory.raw).not.toHaveProperty('total_rss');
  });

  it('an OOM kill is an oom event, and the stream ends with the container', async () => {
    const id = sb.id('oom-v2');
    const bundle = sb.bundle(id, ['sh', '-c', 'sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1; echo "dd: $?"; sleep 0.5']);
    expect(runts(['create', '-b', bundle, id]).code).toBe(0);
    // Set directly until create applies linux.resources.memory.
    writeFileSync(`/sys/fs/cgroup/runts-test/${id}/memory.max`, String(16 << 20));
    const lines = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(RUNTS, ['--root', ROOT, 'events', '--interval', '500ms', id], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
      child.on('spawn', () => {
        if (runts(['start', id]).code !== 0) child.kill('SIGKILL');
      });
    });
    expect(lines.code).toBe(0);
    expect(lines.out.split('\n').filter((l) => l === `{"type":"oom","id":"${id}"}`)).toHaveLength(1);
    expect(readFileSync(`/sys/fs/cgroup/runts-test/${id}/memory.events`, 'utf8')).toMatch(/^oom_kill 1$/m);
  });
});
