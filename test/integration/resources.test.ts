// linux.resources on this host's real cgroup v1 controllers (a hybrid
// host): each limit is written at create, read back from the host's cgroup
// files and from inside the container (its /sys/fs/cgroup mount shows its
// own cgroups), compared with what runc 1.1.5 writes for the same bundle,
// and the important ones are shown to bite: a memory hog is OOM-killed, a
// fork bomb stops at pids.max, a CPU hog is throttled. Then `update`, with
// each of runc's flags and with --resources, and the bad inputs.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostLayout } from '../../src/cgroups/layout';
import type { LinuxResources } from '../../src/cgroups/resources';
import type { OciConfig } from '../../src/config/types';
import { CGROUP_PARENT, isRoot, runts, Sandbox, traces } from '../helpers/sandbox';

const layout = hostLayout();
const v1 = (controller: string) => layout.hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller));
const onV1 = isRoot && (layout.mode === 'v1' || layout.mode === 'hybrid') && Boolean(v1('memory') && v1('cpu') && v1('pids') && v1('cpuset') && v1('blkio'));
const RUNC = '/usr/sbin/runc';
const hasRunc = existsSync(RUNC) && /runc version 1\.1\.5/.test(spawnSync(RUNC, ['--version'], { encoding: 'utf8' }).stdout ?? '');
/** The block device of the root disk (throttling needs a real one). */
const DISK = ((): { major: number; minor: number } | undefined => {
  for (const name of ['vda', 'sda', 'nvme0n1', 'xvda']) {
    try {
      const [major, minor] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
      return { major: major!, minor: minor! };
    } catch {
      // not this one
    }
  }
  return undefined;
})();

/** A file of the container's cgroup in a v1 hierarchy, read from the host. */
function cg(id: string, controller: string, file: string): string {
  return readFileSync(path.join(v1(controller)!.mountPoint, CGROUP_PARENT, id, file), 'utf8').trim();
}

function waitFor(check: () => boolean, ms = 5000): boolean {
  for (let waited = 0; waited < ms; waited += 20) {
    if (check()) return true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return check();
}

function status(id: string): string {
  return (JSON.parse(runts(['state', id]).stdout || '{}') as { status?: string }).status ?? '';
}

const withResources = (r: LinuxResources) => (c: OciConfig) => {
  c.linux!.resources = { ...(c.linux!.resources ?? {}), ...(r as Record<string, unknown>) };
};

// Limits every v1 controller of this host takes, as runc 1.1.5 would write them too.
const COMMON: LinuxResources = {
  memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20, swappiness: 10, disableOOMKiller: false },
  cpu: { shares: 512, quota: 30000, period: 150000, cpus: '0', mems: '0', realtimePeriod: 500000 },
  pids: { limit: 40 },
  blockIO: {
    weight: 300,
    ...(DISK
      ? {
          throttleReadBpsDevice: [{ ...DISK, rate: 10485760 }],
          throttleWriteBpsDevice: [{ ...DISK, rate: 5242880 }],
          throttleReadIOPSDevice: [{ ...DISK, rate: 1000 }],
          throttleWriteIOPSDevice: [{ ...DISK, rate: 500 }],
        }
      : {}),
  },
};

/** The files COMMON sets, per controller. */
const COMMON_FILES: [string, string][] = [
  ['memory', 'memory.limit_in_bytes'],
  ['memory', 'memory.soft_limit_in_bytes'],
  ['memory', 'memory.memsw.limit_in_bytes'],
  ['memory', 'memory.swappiness'],
  ['memory', 'memory.oom_control'],
  ['cpu', 'cpu.shares'],
  ['cpu', 'cpu.cfs_quota_us'],
  ['cpu', 'cpu.cfs_period_us'],
  ['cpu', 'cpu.rt_period_us'],
  ['cpuset', 'cpuset.cpus'],
  ['cpuset', 'cpuset.mems'],
  ['pids', 'pids.max'],
  ['blkio', 'blkio.bfq.weight'],
  ['blkio', 'blkio.throttle.read_bps_device'],
  ['blkio', 'blkio.throttle.write_bps_device'],
  ['blkio', 'blkio.throttle.read_iops_device'],
  ['blkio', 'blkio.throttle.write_iops_device'],
];

describe.skipIf(!onV1)('linux.resources on cgroup v1', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  /** Creates a container that sleeps; returns its id. */
  function created(r: LinuxResources, args = ['sleep', '60'], edit: (c: OciConfig) => void = () => {}): string {
    const id = sb.id('res');
    const bundle = sb.bundle(id, args, (c) => {
      withResources(r)(c);
      edit(c);
    });
    const res = runts(['create', '-b', bundle, id]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    return id;
  }

  it('writes each limit to its file at create, and the container sees it in its own cgroups', () => {
    const script = [
      'cat /proc/self/cgroup | grep -E ":(memory|cpu|pids):"',
      ...COMMON_FILES.map(([c, f]) => `echo "${f}=$(cat /sys/fs/cgroup/${c}/${f} | tr '\\n' ';')"`),
    ].join('; ');
    const out = sb.sh(script, withResources(COMMON));
    const lines = out.trim().split('\n');
    // a cgroup namespace: the container's own cgroups are its root
    expect(lines.slice(0, 3)).toHaveLength(3);
    for (const l of lines.slice(0, 3)) expect(l).toMatch(/^\d+:(memory|cpu|pids):\/$/);
    const inside = Object.fromEntries(lines.slice(3).map((l) => l.split('=') as [string, string]));
    expect(inside).toMatchObject({
      'memory.limit_in_bytes': '67108864;',
      'memory.soft_limit_in_bytes': '33554432;',
      'memory.memsw.limit_in_bytes': '100663296;',
      'memory.swappiness': '10;',
      'cpu.shares': '512;',
      'cpu.cfs_quota_us': '30000;',
      'cpu.cfs_period_us': '150000;',
      'cpu.rt_period_us': '500000;',
      'cpuset.cpus': '0;',
      'cpuset.mems': '0;',
      'pids.max': '40;',
      'blkio.bfq.weight': '300;',
    });
    if (DISK) expect(inside['blkio.throttle.read_bps_device']).toBe(`${DISK.major}:${DISK.minor} 10485760;`);
    expect(inside['memory.oom_control']).toMatch(/^oom_kill_disable 0;/);
  });

  it('reads the same values from the host, and removes the cgroups at delete', () => {
    const id = created(COMMON);
    expect(cg(id, 'memory', 'memory.limit_in_bytes')).toBe('67108864');
    expect(cg(id, 'memory', 'memory.memsw.limit_in_bytes')).toBe('100663296');
    expect(cg(id, 'cpu', 'cpu.cfs_quota_us')).toBe('30000');
    expect(cg(id, 'pids', 'pids.max')).toBe('40');
    expect(runts(['delete', '--force', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it.skipIf(!hasRunc)('writes what runc 1.1.5 writes for the same bundle', () => {
    const runcRoot = path.join(sb.dir, 'runc-root');
    const values = (runtime: 'runc' | 'runts'): Record<string, string> => {
      const id = sb.id(`cmp-${runtime}`);
      const bundle = sb.bundle(id, ['sleep', '60'], withResources(COMMON));
      const errFile = path.join(sb.dir, `${id}.err`);
      const run = (bin: string, args: string[]) => {
        const fd = openSync(errFile, 'w');
        try {
          return spawnSync(bin, args, { timeout: 20_000, stdio: ['ignore', 'ignore', fd] }).status;
        } finally {
          closeSync(fd);
        }
      };
      const create = runtime === 'runc' ? run(RUNC, ['--root', runcRoot, 'create', '-b', bundle, id]) : runts(['create', '-b', bundle, id]).code;
      try {
        expect(create, runtime === 'runc' ? readFileSync(errFile, 'utf8') : '').toBe(0);
        return Object.fromEntries(COMMON_FILES.map(([c, f]) => [f, cg(id, c, f)]));
      } finally {
        if (runtime === 'runc') {
          run(RUNC, ['--root', runcRoot, 'delete', '--force', id]);
          for (const h of hostLayout().hierarchies) {
            const d = path.join(h.mountPoint, CGROUP_PARENT, id);
            if (existsSync(d)) rmdirSync(d);
          }
        } else runts(['delete', '--force', id]);
      }
    };
    expect(values('runts')).toEqual(values('runc'));
  });

  it('writes the rest: disableOOMKiller, kernelTCP, burst, idle, useHierarchy, leaf-less BFQ weight', () => {
    const id = created({ memory: { limit: 64 << 20, disableOOMKiller: true, kernelTCP: 8 << 20, useHierarchy: true }, cpu: { quota: 20000, burst: 5000, idle: 0 } });
    expect(cg(id, 'memory', 'memory.oom_control')).toMatch(/^oom_kill_disable 1\n/);
    expect(cg(id, 'memory', 'memory.kmem.tcp.limit_in_bytes')).toBe(String(8 << 20));
    expect(cg(id, 'memory', 'memory.use_hierarchy')).toBe('1');
    expect(cg(id, 'cpu', 'cpu.cfs_burst_us')).toBe('5000');
    expect(cg(id, 'cpu', 'cpu.idle')).toBe('0');
  });

  it('OOM-kills a memory hog at memory.limit (exit 137)', () => {
    const id = created({ memory: { limit: 32 << 20, swap: 32 << 20 } }, ['tail', '/dev/zero']);
    expect(runts(['start', id]).code).toBe(0);
    expect(waitFor(() => status(id) === 'stopped', 15000)).toBe(true);
    expect(cg(id, 'memory', 'memory.oom_control')).toMatch(/oom_kill [1-9]/);
    expect(Number(cg(id, 'memory', 'memory.max_usage_in_bytes'))).toBeLessThanOrEqual(32 << 20);
    expect(runts(['delete', id]).code).toBe(0);
    // and through `run`, the exit code engines see
    const r = sb.run(['tail', '/dev/zero'], withResources({ memory: { limit: 32 << 20, swap: 32 << 20 } }), { timeout: 20000 });
    expect(r.code).toBe(137);
  });

  it('stops a fork bomb at pids.max', () => {
    // The bomb runs in a subshell (ash gives up at the first refused fork);
    // the sleeps it made live on under the init, which then execs sleep.
    const id = created({ pids: { limit: 12 } }, ['sh', '-c', '(for i in $(seq 100); do sleep 30 & done) 2>/dev/null; exec sleep 30']);
    expect(runts(['start', id]).code).toBe(0);
    expect(waitFor(() => Number(cg(id, 'pids', 'pids.events').split(' ')[1]) > 0)).toBe(true);
    expect(waitFor(() => /^sleep/.test(readFileSync(`/proc/${JSON.parse(runts(['state', id]).stdout).pid}/cmdline`, 'utf8')))).toBe(true);
    const current = Number(cg(id, 'pids', 'pids.current'));
    // the init and the sleeps: at most the limit, and the bomb got close to it
    expect(current).toBeLessThanOrEqual(12);
    expect(current).toBeGreaterThanOrEqual(10);
    expect(status(id)).toBe('running');
    expect(runts(['kill', '--all', id, 'KILL']).code).toBe(0);
    expect(waitFor(() => status(id) === 'stopped')).toBe(true);
  });

  it('throttles a CPU hog at its CFS quota', () => {
    const id = created({ cpu: { quota: 10000, period: 100000 } }, ['sh', '-c', 'while :; do :; done']);
    expect(runts(['start', id]).code).toBe(0);
    const usage0 = Number(cg(id, 'cpuacct', 'cpuacct.usage'));
    const t0 = process.hrtime.bigint();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    const used = Number(cg(id, 'cpuacct', 'cpuacct.usage')) - usage0;
    const wall = Number(process.hrtime.bigint() - t0);
    const stat = Object.fromEntries(cg(id, 'cpu', 'cpu.stat').split('\n').map((l) => l.split(' ') as [string, string]));
    expect(Number(stat.nr_throttled)).toBeGreaterThan(0);
    expect(Number(stat.throttled_time)).toBeGreaterThan(0);
    // 10% of one CPU, with room for the period boundaries
    expect(used / wall).toBeLessThan(0.2);
    console.log(`CPU hog at quota 10000/100000: ${((100 * used) / wall).toFixed(1)}% of a CPU, nr_throttled ${stat.nr_throttled}`);
    runts(['kill', id, 'KILL']);
  });

  it('reports a write the kernel refuses with file, value, errno and field, and leaves nothing behind', () => {
    // /runts-test has no real-time budget of its own: the kernel refuses any runtime below it.
    const id = sb.id('res-bad');
    const bundle = sb.bundle(id, ['true'], withResources({ memory: { limit: 1 << 26 }, cpu: { realtimeRuntime: 1000 } }));
    const r = runts(['create', '-b', bundle, id]);
    expect(r.code).toBe(1);
    const dir = path.join(v1('cpu')!.mountPoint, CGROUP_PARENT, id);
    expect(r.stderr).toBe(`runts: cgroup ${dir}/cpu.rt_runtime_us: write "1000": Invalid argument (linux.resources.cpu.realtimeRuntime)\n`);
    expect(traces(id)).toEqual([]);
    if (DISK) {
      // a per-device BFQ weight on a disk that does not use BFQ
      const id2 = sb.id('res-bad');
      const r2 = runts(['create', '-b', sb.bundle(id2, ['true'], withResources({ blockIO: { weightDevice: [{ ...DISK, weight: 400 }] } })), id2]);
      expect(r2.stderr).toMatch(/^runts: cgroup \S+\/blkio\.bfq\.weight_device: write "\d+:\d+ 400": Operation not supported \(linux\.resources\.blockIO\.weightDevice\[0\]\.weight\)\n$/);
      expect(traces(id2)).toEqual([]);
    }
  });

  it('refuses before any system call what this host cannot take, every problem at once', () => {
    const id = sb.id('res-bad');
    const bundle = sb.bundle(
      id,
      ['true'],
      withResources({
        hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }],
        network: { classID: 0x100001 },
        memory: { limit: -3 },
        cpu: { shares: 1 },
        unified: { 'memory.high': '1' },
      }),
    );
    const r = runts(['create', '-b', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^runts: invalid \S+config.json: 5 problems found, nothing was created\n/);
    expect(r.stderr).toContain('linux.resources.hugepageLimits[0]: this host has no hugetlb cgroup controller');
    expect(r.stderr).toContain('linux.resources.network.classID: this host has no net_cls cgroup controller');
    expect(r.stderr).toContain('linux.resources.memory.limit: -3 is not a memory size');
    expect(r.stderr).toContain('linux.resources.cpu.shares: 1 is outside the kernel\'s range of cpu shares, 2..262144');
    expect(r.stderr).toContain('linux.resources.unified: invalid configuration: cannot use unified on cgroup v1');
    expect(traces(id)).toEqual([]);
  });

  describe('update', () => {
    it('changes each limit with runc\'s flags, and only the ones given', () => {
      const id = created({ memory: { limit: 64 << 20 }, cpu: { shares: 512 } });
      const flags: [string[], string, string, string][] = [
        [['--memory', '100m'], 'memory', 'memory.limit_in_bytes', String(100 << 20)],
        [['--memory-swap', '200m'], 'memory', 'memory.memsw.limit_in_bytes', String(200 << 20)],
        [['--memory-reservation', '50m'], 'memory', 'memory.soft_limit_in_bytes', String(50 << 20)],
        [['--kernel-memory-tcp', '16m'], 'memory', 'memory.kmem.tcp.limit_in_bytes', String(16 << 20)],
        [['--cpu-share', '300'], 'cpu', 'cpu.shares', '300'],
        [['--cpu-quota', '40000'], 'cpu', 'cpu.cfs_quota_us', '40000'],
        [['--cpu-period', '200000'], 'cpu', 'cpu.cfs_period_us', '200000'],
        [['--cpu-burst', '1000'], 'cpu', 'cpu.cfs_burst_us', '1000'],
        [['--cpu-idle', '0'], 'cpu', 'cpu.idle', '0'],
        [['--cpu-rt-period', '400000'], 'cpu', 'cpu.rt_period_us', '400000'],
        [['--cpuset-cpus', '1'], 'cpuset', 'cpuset.cpus', '1'],
        [['--cpuset-mems', '0'], 'cpuset', 'cpuset.mems', '0'],
        [['--pids-limit', '33'], 'pids', 'pids.max', '33'],
        [['--pids-limit', '-1'], 'pids', 'pids.max', 'max'],
        [['--blkio-weight', '700'], 'blkio', 'blkio.bfq.weight', '700'],
        [['--memory', '-1', '--memory-swap', '-1'], 'memory', 'memory.limit_in_bytes', '9223372036854771712'],
      ];
      for (const [args, controller, file, expected] of flags) {
        const r = runts(['update', ...args, id]);
        expect(r.stderr, args.join(' ')).toBe('');
        expect(r.code).toBe(0);
        expect(cg(id, controller, file), args.join(' ')).toBe(expected);
      }
      // runc's --kernel-memory: written, and the kernel's silence is said
      const kmem = runts(['update', '--kernel-memory', '8m', id]);
      expect(kmem.code).toBe(0);
      if (cg(id, 'memory', 'memory.kmem.limit_in_bytes') === String(8 << 20)) expect(kmem.stderr).toBe('');
      else expect(kmem.stderr).toBe('runts: warning: memory.kernel: the kernel accepts memory.kmem.limit_in_bytes but does not enforce it (kernel memory is counted in the memory limit)\n');
      // the container runs on, and what was not given kept its value
      expect(status(id)).toBe('created');
      expect(cg(id, 'cpu', 'cpu.cfs_quota_us')).toBe('40000');
    });

    it('takes a LinuxResources document on stdin (containerd) or from a file', () => {
      const id = created({ memory: { limit: 64 << 20 } });
      expect(runts(['start', id]).code).toBe(0);
      const doc = { memory: { limit: 80 << 20, swap: 160 << 20 }, cpu: { shares: 256, quota: 25000, period: 100000 }, pids: { limit: 21 }, blockIO: { weight: 250 } };
      const r = runts(['update', '--resources', '-', id], { input: JSON.stringify(doc) });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect([cg(id, 'memory', 'memory.limit_in_bytes'), cg(id, 'memory', 'memory.memsw.limit_in_bytes'), cg(id, 'cpu', 'cpu.shares'), cg(id, 'pids', 'pids.max')]).toEqual([
        String(80 << 20),
        String(160 << 20),
        '256',
        '21',
      ]);
      // lowering both: the limit first, then memsw (runc's order)
      const file = path.join(sb.dir, 'resources.json');
      writeFileSync(file, JSON.stringify({ memory: { limit: 40 << 20, swap: 50 << 20 } }));
      expect(runts(['update', '-r', file, id]).code).toBe(0);
      expect([cg(id, 'memory', 'memory.limit_in_bytes'), cg(id, 'memory', 'memory.memsw.limit_in_bytes')]).toEqual([String(40 << 20), String(50 << 20)]);
      expect(status(id)).toBe('running');
    });

    it('refuses bad input clearly, exit 1, nothing changed', () => {
      const id = created({ memory: { limit: 64 << 20 }, cpu: { shares: 512 } });
      const before = () => [cg(id, 'memory', 'memory.limit_in_bytes'), cg(id, 'cpu', 'cpu.shares')];
      const start = before();
      const cases: [string[], string | undefined, RegExp][] = [
        [['--memory', 'lots'], undefined, /^runts: invalid value for --memory: "lots" is not a size in bytes/],
        [['--cpu-share', '1', '--memory', '100m'], undefined, /^runts: invalid resources for container "[^"]+": 1 problem found, nothing was changed\n  cpu\.shares: 1 is outside/],
        [['--resources', '-'], '{"memory": {"limit": "1g"}', /^runts: the resources on stdin is not valid JSON at line 1, column 27/],
        [['--resources', '-'], '{"memory": {"limit": "1g"}, "cpu": {"shares": 100}}', /^runts: invalid resources for container "[^"]+": 1 problem found, nothing was changed\n  memory\.limit: must be an integer \(int64\)/],
        [['--resources', '-'], '{"unified": {"memory.max": "1"}}', /cannot use unified on cgroup v1/],
        [['--l3-cache-schema', 'L3:0=f'], undefined, /^runts: --l3-cache-schema: runts has no Intel RDT support/],
        [['--mem-bw-schema', 'MB:0=50'], undefined, /^runts: --mem-bw-schema: runts has no Intel RDT support/],
        [['--resources', path.join(sb.dir, 'missing.json')], undefined, /^runts: cannot read resources file \S+missing\.json: ENOENT/],
      ];
      for (const [args, input, message] of cases) {
        const r = runts(['update', ...args, id], { input });
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(before()).toEqual(start);
      }
      // the kernel's refusal: a limit below what the cgroup uses (v1 reclaims, then EBUSY)
      expect(runts(['start', id]).code).toBe(0);
      const busy = runts(['update', '--memory', '4k', id]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/^runts: cgroup \S+\/memory\.limit_in_bytes: write "4096": Device or resource busy \(memory\.limit\): unable to set memory limit to 4096 \(current usage: \d+, peak usage: \d+\)\n$/);
      expect(before()).toEqual(start);
    });

    it('refuses a stopped or missing container, exit 1', () => {
      const id = created({}, ['true']);
      expect(runts(['start', id]).code).toBe(0);
      expect(waitFor(() => status(id) === 'stopped')).toBe(true);
      const r = runts(['update', '--memory', '64m', id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`runts: container "${id}" is not running (status: stopped): only a created, running or paused container can be updated; nothing was changed\n`);
      const missing = runts(['update', '--resources', '-', 'resources-no-such-container'], { input: '{}' });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('runts: container "resources-no-such-container" does not exist\n');
    });
  });
});
