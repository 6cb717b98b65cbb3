// Runs inside a pure cgroup v2 VM (scripts/cgroup-v2-vm.sh, started by
// test/integration/cgroup-v2-vm.test.ts): the v2 side of cgroup placement.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
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

/** A file of a test container's cgroup. */
const cg2 = (id: string, file: string) => readFileSync(`/sys/fs/cgroup/runts-test/${id}/${file}`, 'utf8').trim();
const resources = (r: Record<string, unknown>) => (c: OciConfig) => {
  c.linux!.resources = r;
};

describe.skipIf(!isRoot || !onV2)('cgroup v2 resources', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  const ALL = {
    memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 },
    cpu: { shares: 1024, quota: 20000, period: 50000, burst: 1000, cpus: '0', mems: '0', idle: 0 },
    pids: { limit: 40 },
    blockIO: { weight: 500 },
    hugepageLimits: [{ pageSize: '2MB', limit: 8 << 20 }],
    unified: { 'memory.high': '61440000', 'cgroup.max.depth': '5' },
  };

  it('writes every field to its v2 file with runc\'s conversions, delegated down to the container', () => {
    const id = sb.id('res-v2');
    const script = 'for f in memory.max cpu.max cpu.weight pids.max; do echo "$f=$(cat /sys/fs/cgroup/$f)"; done';
    expect(runts(['create', '-b', sb.bundle(id, ['true'], resources(ALL)), id])).toMatchObject({ code: 0, stderr: '' });
    expect(cg2(id, 'memory.max')).toBe(String(64 << 20));
    expect(cg2(id, 'memory.low')).toBe(String(32 << 20));
    // memory+swap 96M with memory 64M: 32M of swap
    expect(cg2(id, 'memory.swap.max')).toBe(String(32 << 20));
    // shares 1024: 1 + (1022 * 9999) / 262142
    expect(cg2(id, 'cpu.weight')).toBe('39');
    expect(cg2(id, 'cpu.max')).toBe('20000 50000');
    expect(cg2(id, 'cpu.max.burst')).toBe('1000');
    expect(cg2(id, 'cpu.idle')).toBe('0');
    expect([cg2(id, 'cpuset.cpus'), cg2(id, 'cpuset.mems')]).toEqual(['0', '0']);
    expect(cg2(id, 'pids.max')).toBe('40');
    // no BFQ here: io.weight, blkio 500 converted to 1 + 490 * 9999 / 990
    expect(cg2(id, 'io.weight')).toBe('default 4950');
    expect([cg2(id, 'hugetlb.2MB.max'), cg2(id, 'hugetlb.2MB.rsvd.max')]).toEqual([String(8 << 20), String(8 << 20)]);
    expect([cg2(id, 'memory.high'), cg2(id, 'cgroup.max.depth')]).toEqual(['61440000', '5']);
    // every controller of the root, delegated down to the container's parent
    const delegated = readFileSync('/sys/fs/cgroup/runts-test/cgroup.subtree_control', 'utf8').trim().split(' ');
    expect(delegated).toEqual(expect.arrayContaining(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids']));
    expect(runts(['delete', '--force', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
    // and the container reads its limits in its own cgroup2 mount
    expect(sb.sh(script, resources(ALL))).toBe(`memory.max=${64 << 20}\ncpu.max=20000 50000\ncpu.weight=39\npids.max=40\n`);
  });

  it('OOM-kills a memory hog at memory.max (exit 137)', () => {
    const id = sb.id('res-v2');
    expect(runts(['create', '-b', sb.bundle(id, ['tail', '/dev/zero'], resources({ memory: { limit: 32 << 20, swap: 32 << 20 } })), id]).code).toBe(0);
    // memory and memory+swap equal: no swap at all
    expect(cg2(id, 'memory.swap.max')).toBe('0');
    expect(runts(['start', id]).code).toBe(0);
    waitFor(() => JSON.parse(runts(['state', id]).stdout).status === 'stopped');
    expect(cg2(id, 'memory.events')).toMatch(/oom_kill [1-9]/);
    expect(runts(['delete', id]).code).toBe(0);
    expect(sb.run(['tail', '/dev/zero'], resources({ memory: { limit: 32 << 20, swap: 32 << 20 } }), { timeout: 60_000 }).code).toBe(137);
  });

  it('update changes only what it is given, the other half of a pair from the cgroup', () => {
    const id = sb.id('res-v2');
    expect(runts(['create', '-b', sb.bundle(id, ['sleep', '120'], resources(ALL)), id]).code).toBe(0);
    const steps: [string[], string, string][] = [
      // memory+swap in force (96M) stays: swap.max = 96M - 80M
      [['--memory', '80m'], 'memory.swap.max', String(16 << 20)],
      [['--memory-swap', '200m'], 'memory.swap.max', String(120 << 20)],
      [['--cpu-period', '200000'], 'cpu.max', '20000 200000'],
      [['--cpu-quota', '-1'], 'cpu.max', 'max 200000'],
      [['--cpu-share', '2048'], 'cpu.weight', '79'],
      [['--cpu-burst', '500'], 'cpu.max.burst', '500'],
      [['--pids-limit', '9'], 'pids.max', '9'],
      [['--blkio-weight', '100'], 'io.weight', 'default 910'],
      [['--cpuset-cpus', '1'], 'cpuset.cpus', '1'],
      [['--memory-reservation', '1m'], 'memory.low', String(1 << 20)],
    ];
    for (const [args, file, expected] of steps) {
      expect(runts(['update', ...args, id]), args.join(' ')).toMatchObject({ code: 0, stderr: '' });
      expect(cg2(id, file), args.join(' ')).toBe(expected);
    }
    expect(cg2(id, 'memory.max')).toBe(String(80 << 20));
    const doc = JSON.stringify({ memory: { limit: 90 << 20 }, unified: { 'memory.high': '69632000' } });
    expect(runts(['update', '--resources', '-', id], { input: doc })).toMatchObject({ code: 0, stderr: '' });
    expect([cg2(id, 'memory.max'), cg2(id, 'memory.high'), cg2(id, 'pids.max')]).toEqual([String(90 << 20), '69632000', '9']);
    // checkBeforeUpdate: a limit at or below the usage is refused, nothing changes
    expect(runts(['start', id]).code).toBe(0);
    const low = runts(['update', '--resources', '-', id], { input: JSON.stringify({ memory: { limit: 4096, checkBeforeUpdate: true } }) });
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(/^runts: cannot apply linux.resources: 1 problem found, nothing was written\n  memory\.limit: rejecting memory limit 4096 <= usage \d+ \(checkBeforeUpdate\)\n$/);
    expect(cg2(id, 'memory.max')).toBe(String(90 << 20));
    // what cgroup v2 cannot take is refused before anything is written
    const refused: [string[], string | undefined, RegExp][] = [
      [['--cpu-rt-period', '1000'], undefined, /cpu\.realtimePeriod: cgroup v2 has no real-time group scheduling/],
      [['--resources', '-'], '{"memory":{"swappiness":10}}', /memory\.swappiness: cgroup v2 has no per-cgroup swappiness/],
      [['--resources', '-'], '{"unified":{"cgroup.procs":"1"}}', /unified\["cgroup\.procs"\]: cgroup\.procs is not a resource/],
    ];
    for (const [args, input, message] of refused) {
      const r = runts(['update', ...args, id], { input });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(runts(['delete', '--force', id]).code).toBe(0);
  });

  it('refuses at create, before any system call, what cgroup v2 has no file for', () => {
    const id = sb.id('res-v2');
    const bundle = sb.bundle(
      id,
      ['true'],
      resources({
        memory: { swap: 1 << 27, swappiness: 10, disableOOMKiller: true },
        cpu: { realtimeRuntime: 1000, realtimePeriod: 10000 },
        network: { classID: 1 },
        unified: { 'cgroup.subtree_control': '+memory', 'nosuch.file': '1' },
      }),
    );
    const r = runts(['create', '-b', bundle, id]);
    expect(r.code).toBe(1);
    for (const p of [
      'linux.resources.memory.swap: needs memory.limit on cgroup v2',
      'linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness',
      'linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer',
      'linux.resources.cpu.realtimePeriod: cgroup v2 has no real-time group scheduling',
      'linux.resources.cpu.realtimeRuntime: cgroup v2 has no real-time group scheduling',
      'linux.resources.network.classID: net_cls is a cgroup v1 controller',
      'linux.resources.unified["cgroup.subtree_control"]: cgroup.subtree_control is not a resource',
      'linux.resources.unified["nosuch.file"]: unified resource "nosuch.file" can\'t be set: controller "nosuch" not available',
    ]) {
      expect(r.stderr).toContain(p);
    }
    expect(traces(id)).toEqual([]);
  });

  it('reports a write the kernel refuses with file, value, errno and field, and leaves nothing behind', () => {
    const id = sb.id('res-v2');
    // no such block device in the VM
    const r = runts(['create', '-b', sb.bundle(id, ['true'], resources({ pids: { limit: 5 }, blockIO: { throttleReadBpsDevice: [{ major: 259, minor: 99, rate: 1 }] } })), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^runts: cgroup /sys/fs/cgroup/runts-test/${id}/io\\.max: write "259:99 rbps=1": [A-Z][a-z ]+ \\(linux\\.resources\\.blockIO\\.throttleReadBpsDevice\\[0\\]\\)\\n$`));
    expect(traces(id)).toEqual([]);
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
