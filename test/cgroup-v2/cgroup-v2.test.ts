// Runs inside a pure cgroup v2 VM (scripts/cgroup-v2-vm.sh, started by
// test/integration/cgroup-v2-vm.test.ts): the v2 side of cgroup placement.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync } from 'node:fs';
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

// pause and resume through the v2 freezer: cgroup.freeze is the request,
// cgroup.events' "frozen 1" the fact that pause waits for.
describe.skipIf(!isRoot || !onV2)('cgroup v2: pause and resume', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  const events = (id: string) => readFileSync(`/sys/fs/cgroup/runts-test/${id}/cgroup.events`, 'utf8');
  const status = (id: string) => JSON.parse(runts(['state', id]).stdout).status as string;
  const pids = (id: string) => JSON.parse(runts(['ps', '--format', 'json', id]).stdout) as number[];

  it('pause freezes the processes (frozen 1) and resume lets them go on', () => {
    const id = sb.id('fz-v2');
    const bundle = sb.bundle(id, ['sh', '-c', 'sleep 1000 & i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done'], (c) => {
      c.root!.readonly = false;
    });
    expect(runts(['run', '-d', '-b', bundle, id]).code).toBe(0);
    const file = path.join(bundle, 'rootfs/tmp/count');
    const count = () => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim() || 0) : 0);
    waitFor(() => count() > 0);
    expect(runts(['pause', id])).toMatchObject({ code: 0, stderr: '' });
    expect(status(id)).toBe('paused');
    expect(readFileSync(`/sys/fs/cgroup/runts-test/${id}/cgroup.freeze`, 'utf8')).toBe('1\n');
    expect(events(id)).toMatch(/^frozen 1$/m);
    const frozenAt = count();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    expect(count()).toBe(frozenAt);
    expect(pids(id).length).toBeGreaterThanOrEqual(2);
    expect(runts(['pause', id])).toMatchObject({ code: 1, stderr: expect.stringContaining('container not running') });
    expect(runts(['resume', id])).toMatchObject({ code: 0, stderr: '' });
    expect(status(id)).toBe('running');
    waitFor(() => count() > frozenAt + 2);
    expect(count()).toBeGreaterThan(frozenAt + 2);
    expect(events(id)).toMatch(/^frozen 0$/m);
    expect(runts(['resume', id])).toMatchObject({ code: 1, stderr: expect.stringContaining('container not paused') });
  });

  it('kill --all and delete --force of a paused container leave nothing', () => {
    const withoutPidNs = (c: OciConfig) => {
      c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'pid');
    };
    const a = sb.id('fz-v2');
    expect(runts(['run', '-d', '-b', sb.bundle(a, ['sh', '-c', 'sleep 60 & sleep 60'], withoutPidNs), a]).code).toBe(0);
    waitFor(() => pids(a).length >= 2);
    expect(runts(['pause', a]).code).toBe(0);
    expect(runts(['kill', '--all', a, 'KILL']).code).toBe(0);
    waitFor(() => pids(a).length === 0);
    expect(pids(a)).toEqual([]);
    expect(runts(['delete', a]).code).toBe(0);
    expect(traces(a)).toEqual([]);

    const b = sb.id('fz-v2');
    expect(runts(['run', '-d', '-b', sb.bundle(b, ['sh', '-c', 'sleep 60 & sleep 60'], withoutPidNs), b]).code).toBe(0);
    waitFor(() => pids(b).length >= 2);
    expect(runts(['pause', b]).code).toBe(0);
    expect(runts(['delete', '--force', b])).toMatchObject({ code: 0, stderr: '' });
    expect(traces(b)).toEqual([]);
  });
});

// A relative linux.cgroupsPath on pure v2, as runc's fs2 driver places it:
// beside runts' own cgroup (under its parent), because runts' own cgroup has
// processes and the no-internal-process rule would keep a child of it from
// taking any limit.
describe.skipIf(!isRoot || !onV2)('cgroup v2: relative cgroupsPath', () => {
  let sb: Sandbox;
  const parent = `/sys/fs/cgroup/runts-test-own-${process.pid}`;
  beforeEach(() => {
    sb = new Sandbox();
    mkdirSync(`${parent}/leaf`, { recursive: true });
  });
  afterEach(() => {
    sb.cleanup();
    for (const d of [`${parent}/leaf`, parent]) {
      try {
        rmdirSync(d);
      } catch {
        // a container left in it: sb.cleanup() removed the containers, so this is a failure the test shows
      }
    }
  });

  /**
   * runts started from a shell that first moved itself into <parent>/leaf.
   * Output goes to files: the container inherits it and outlives create.
   */
  const fromLeaf = (args: string[]) => {
    const out = path.join(sb.dir, 'leaf.out');
    const err = path.join(sb.dir, 'leaf.err');
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    try {
      const r = spawnSync('sh', ['-c', `echo $$ > ${parent}/leaf/cgroup.procs && exec "$@"`, 'sh', RUNTS, '--root', ROOT, ...args], {
        stdio: ['ignore', fds[0]!, fds[1]!],
        timeout: 30_000,
      });
      return { status: r.status, out, stderr: readFileSync(err, 'utf8') };
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  };

  it('goes under the parent of runts\' own cgroup, takes its limits there, and shows them inside', () => {
    const id = sb.id('rel');
    const bundle = sb.bundle(id, ['sh', '-c', 'cat /proc/self/cgroup /sys/fs/cgroup/pids.max'], (c) => {
      c.linux!.cgroupsPath = `rel-${id}`;
      c.linux!.resources = { pids: { limit: 33 } };
    });
    const created = fromLeaf(['create', '-b', bundle, id]);
    expect(created.status, created.stderr).toBe(0);
    const pid = JSON.parse(runts(['state', id]).stdout).pid as number;
    const name = path.basename(parent);
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/${name}/rel-${id}\n`);
    expect(readFileSync(`${parent}/rel-${id}/pids.max`, 'utf8')).toBe('33\n');
    expect(existsSync(`${parent}/leaf/rel-${id}`)).toBe(false);
    expect(runts(['start', id]).code).toBe(0);
    waitFor(() => JSON.parse(runts(['state', id]).stdout).status === 'stopped');
    // Inside: its own cgroup as the root of the namespace, with its limit.
    expect(readFileSync(created.out, 'utf8')).toBe('0::/\n33\n');
    expect(runts(['delete', id]).code).toBe(0);
    expect(existsSync(`${parent}/rel-${id}`)).toBe(false);
  });
});
