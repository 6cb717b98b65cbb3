// linux.resources: the planners (v1 and v2, runc's conversions and order),
// the checks, the writer against a temporary directory laid out like
// /sys/fs/cgroup and against a fake kernel, v2 delegation, and update's
// command line.
import { errnoText } from '../../src/errors';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectLayout } from '../../src/cgroups/layout';
import type { CgroupPlacement } from '../../src/cgroups/placement';
import {
  blkioToIoWeight,
  decimal,
  memorySwapToV2,
  sharesToWeight,
  type CurrentValues,
  type LinuxResources,
  type ResourceProbe,
  type ResourceWrite,
} from '../../src/cgroups/resources';
import { applyResourcePlan, currentValues, realResourceFiles, resourceProbe, resourceTarget, type ResourceFiles } from '../../src/cgroups/resources-apply';
import { planResources } from '../../src/cgroups/resources-plan';
import { ancestorsOf, enableSubtreeControllers } from '../../src/cgroups/subtree';
import { hugepageSizeNames, resourceProblems, type ResourceHost } from '../../src/config/resources';
import { placementFromRecord } from '../../src/container/update';
import { ramInBytes, resourcesFromFlags } from '../../src/cli/update-flags';
import { RuntsError } from '../../src/errors';

/** A probe over a table "controller/file" -> content (present files only). */
function probe(files: Record<string, string> = {}): ResourceProbe {
  return {
    exists: (c, f) => Object.hasOwn(files, `${c}/${f}`),
    read: (c, f) => files[`${c}/${f}`],
  };
}

const brief = (ws: ResourceWrite[]) => ws.map((w) => `${w.controller}/${w.file}=${w.value} <${w.field}>`);

function v1(r: LinuxResources, files: Record<string, string> = {}) {
  return planResources(r, 1, { base: 'linux.resources', probe: probe(files) });
}
function v2(r: LinuxResources, files: Record<string, string> = {}, current?: CurrentValues) {
  return planResources(r, 2, { base: 'linux.resources', probe: probe(files), current });
}

describe('conversions (runc 1.1/1.2)', () => {
  it('cpu shares to cpu.weight: 1 + ((shares - 2) * 9999) / 262142', () => {
    expect([0, 2, 3, 1024, 2048, 131072, 262144].map(sharesToWeight)).toEqual([0, 1, 1, 39, 79, 5000, 10000]);
  });

  it('blkio weight to io.weight: 1 + (weight - 10) * 9999 / 990', () => {
    expect([0, 10, 100, 500, 1000].map(blkioToIoWeight)).toEqual([0, 1, 910, 4950, 10000]);
  });

  it('memory+swap to memory.swap.max: swap - limit, with runc\'s special cases', () => {
    expect(memorySwapToV2(200, 100)).toBe(100);
    expect(memorySwapToV2(100, 100)).toBe(0);
    expect(memorySwapToV2(-1, 100)).toBe(-1);
    expect(memorySwapToV2(0, 100)).toBe(0);
    expect(memorySwapToV2(0, -1)).toBe(-1);
    expect(memorySwapToV2(300, -1)).toBe(300);
    expect(memorySwapToV2(300, 0)).toEqual({ error: 'unable to set swap limit without memory limit' });
    expect(memorySwapToV2(50, 100)).toEqual({ error: 'memory+swap limit should be >= memory limit' });
  });

  it('writes JSON integers as exact decimals, INT64_MAX as itself', () => {
    expect(decimal(67108864)).toBe('67108864');
    expect(decimal(9223372036854775807)).toBe('9223372036854775807');
    expect(decimal(2 ** 60)).toBe('1152921504606846976');
  });
});

describe('the v1 plan', () => {
  const files = { 'memory/memory.limit_in_bytes': '9223372036854771712', 'memory/memory.memsw.limit_in_bytes': '9223372036854771712', 'blkio/blkio.bfq.weight': '100' };

  it('writes every field to its file, in runc\'s subsystem order', () => {
    const plan = v1(
      {
        memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, kernelTCP: 16 << 20, swappiness: 10, disableOOMKiller: true, useHierarchy: true },
        cpu: { shares: 512, quota: 20000, period: 100000, burst: 1000, realtimeRuntime: 1000, realtimePeriod: 10000, cpus: '0-1', mems: '0', idle: 1 },
        pids: { limit: 50 },
        blockIO: {
          weight: 300,
          leafWeight: 200,
          weightDevice: [{ major: 8, minor: 0, weight: 400, leafWeight: 100 }],
          throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
          throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
          throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
          throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
        },
        hugepageLimits: [{ pageSize: '2MB', limit: 1 << 30 }],
        network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }, { name: 'lo', priority: 1 }] },
        rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 7 } },
      },
      { ...files, 'memory/memory.kmem.tcp.limit_in_bytes': '9223372036854771712' },
    );
    expect(plan.problems).toEqual([]);
    expect(brief(plan.writes)).toEqual([
      'cpuset/cpuset.cpus=0-1 <linux.resources.cpu.cpus>',
      'cpuset/cpuset.mems=0 <linux.resources.cpu.mems>',
      // raising both from "unlimited": the limit in force is above the new
      // memsw, so the limit goes first
      'memory/memory.limit_in_bytes=67108864 <linux.resources.memory.limit>',
      'memory/memory.memsw.limit_in_bytes=134217728 <linux.resources.memory.swap>',
      'memory/memory.kmem.tcp.limit_in_bytes=16777216 <linux.resources.memory.kernelTCP>',
      'memory/memory.use_hierarchy=1 <linux.resources.memory.useHierarchy>',
      'memory/memory.soft_limit_in_bytes=33554432 <linux.resources.memory.reservation>',
      'memory/memory.oom_control=1 <linux.resources.memory.disableOOMKiller>',
      'memory/memory.swappiness=10 <linux.resources.memory.swappiness>',
      'cpu/cpu.shares=512 <linux.resources.cpu.shares>',
      'cpu/cpu.cfs_period_us=100000 <linux.resources.cpu.period>',
      'cpu/cpu.cfs_burst_us=1000 <linux.resources.cpu.burst>',
      'cpu/cpu.cfs_quota_us=20000 <linux.resources.cpu.quota>',
      'cpu/cpu.idle=1 <linux.resources.cpu.idle>',
      'cpu/cpu.rt_period_us=10000 <linux.resources.cpu.realtimePeriod>',
      'cpu/cpu.rt_runtime_us=1000 <linux.resources.cpu.realtimeRuntime>',
      'pids/pids.max=50 <linux.resources.pids.limit>',
      // no blkio.weight (CFQ): BFQ's files
      'blkio/blkio.bfq.weight=300 <linux.resources.blockIO.weight>',
      'blkio/blkio.leaf_weight=200 <linux.resources.blockIO.leafWeight>',
      'blkio/blkio.bfq.weight_device=8:0 400 <linux.resources.blockIO.weightDevice[0].weight>',
      'blkio/blkio.leaf_weight_device=8:0 100 <linux.resources.blockIO.weightDevice[0].leafWeight>',
      'blkio/blkio.throttle.read_bps_device=8:0 1048576 <linux.resources.blockIO.throttleReadBpsDevice[0]>',
      'blkio/blkio.throttle.write_bps_device=8:0 2097152 <linux.resources.blockIO.throttleWriteBpsDevice[0]>',
      'blkio/blkio.throttle.read_iops_device=8:0 100 <linux.resources.blockIO.throttleReadIOPSDevice[0]>',
      'blkio/blkio.throttle.write_iops_device=8:0 200 <linux.resources.blockIO.throttleWriteIOPSDevice[0]>',
      'hugetlb/hugetlb.2MB.limit_in_bytes=1073741824 <linux.resources.hugepageLimits[0]>',
      'hugetlb/hugetlb.2MB.rsvd.limit_in_bytes=1073741824 <linux.resources.hugepageLimits[0]>',
      'net_cls/net_cls.classid=1048577 <linux.resources.network.classID>',
      'net_prio/net_prio.ifpriomap=eth0 500 <linux.resources.network.priorities[0]>',
      'net_prio/net_prio.ifpriomap=lo 1 <linux.resources.network.priorities[1]>',
      'rdma/rdma.max=mlx4_0 hca_object=7 <linux.resources.rdma.mlx4_0>',
      'rdma/rdma.max=mlx5_1 hca_handle=3 hca_object=10000 <linux.resources.rdma.mlx5_1>',
    ]);
    // The period and burst the kernel may refuse before the quota is in, and the optional reservation limit.
    expect(plan.writes.filter((w) => w.retryAfter).map((w) => [w.file, w.retryAfter])).toEqual([
      ['cpu.cfs_period_us', 'cpu.cfs_quota_us'],
      ['cpu.cfs_burst_us', 'cpu.cfs_quota_us'],
    ]);
    expect(plan.writes.filter((w) => w.skipIfMissing).map((w) => w.file)).toEqual(['hugetlb.2MB.rsvd.limit_in_bytes']);
  });

  it('orders memory and memsw by the limit in force (runc\'s setMemoryAndSwap)', () => {
    const lowLimit = { ...files, 'memory/memory.limit_in_bytes': String(32 << 20) };
    // raising from 32M: memsw first, so that limit <= memsw holds at every step
    expect(brief(v1({ memory: { limit: 64 << 20, swap: 128 << 20 } }, lowLimit).writes).map((s) => s.split('=')[0])).toEqual([
      'memory/memory.memsw.limit_in_bytes',
      'memory/memory.limit_in_bytes',
    ]);
    expect(brief(v1({ memory: { limit: 64 << 20, swap: -1 } }, files).writes)).toEqual([
      'memory/memory.memsw.limit_in_bytes=-1 <linux.resources.memory.swap>',
      'memory/memory.limit_in_bytes=67108864 <linux.resources.memory.limit>',
    ]);
    // unlimited memory without a swap value: unlimited swap, where swap is accounted
    expect(brief(v1({ memory: { limit: -1 } }, files).writes)).toEqual([
      'memory/memory.memsw.limit_in_bytes=-1 <linux.resources.memory.limit>',
      'memory/memory.limit_in_bytes=-1 <linux.resources.memory.limit>',
    ]);
    expect(brief(v1({ memory: { limit: -1 } }, { 'memory/memory.limit_in_bytes': '1' }).writes)).toEqual([
      'memory/memory.limit_in_bytes=-1 <linux.resources.memory.limit>',
    ]);
    // 0 is "not set", as for runc
    expect(v1({ memory: { limit: 0, swap: 0, reservation: 0 }, cpu: { shares: 0, quota: 0, period: 0 } }, files).writes).toEqual([]);
  });

  it('turns pids <= 0 into "max", uses CFQ\'s files where the kernel has them, and drops swappiness -1', () => {
    expect(brief(v1({ pids: { limit: 0 } }).writes)).toEqual(['pids/pids.max=max <linux.resources.pids.limit>']);
    expect(brief(v1({ pids: { limit: -1 } }).writes)).toEqual(['pids/pids.max=max <linux.resources.pids.limit>']);
    expect(brief(v1({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 16, weight: 600 }] } }, { 'blkio/blkio.weight': '500' }).writes)).toEqual([
      'blkio/blkio.weight=500 <linux.resources.blockIO.weight>',
      'blkio/blkio.weight_device=8:16 600 <linux.resources.blockIO.weightDevice[0].weight>',
    ]);
    expect(v1({ memory: { swappiness: -1 } }).writes).toEqual([]);
  });

  it('writes kernel memory where the kernel has the file and warns (runc\'s words) where not', () => {
    const plan = v1({ memory: { kernel: 1 << 20, kernelTCP: 1 << 20 } }, { 'memory/memory.kmem.limit_in_bytes': 'x' });
    expect(brief(plan.writes)).toEqual(['memory/memory.kmem.limit_in_bytes=1048576 <linux.resources.memory.kernel>']);
    expect(plan.writes[0]?.warnIfIgnored).toMatch(/does not enforce it/);
    expect(plan.warnings).toEqual(['linux.resources.memory.kernelTCP: Kernel memory settings are ignored and will be removed (this kernel has no memory.kmem.tcp.limit_in_bytes)']);
  });

  it('refuses unified on cgroup v1', () => {
    expect(v1({ unified: { 'memory.high': '1' } }).problems).toEqual([
      { path: 'linux.resources.unified', message: expect.stringMatching(/^invalid configuration: cannot use unified on cgroup v1/) },
    ]);
  });
});

describe('the v2 plan', () => {
  it('writes every field to its unified file, converted, in runc\'s fs2 order', () => {
    const plan = v2(
      {
        memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 },
        cpu: { shares: 1024, quota: 20000, period: 50000, burst: 1000, cpus: '0', mems: '0', idle: 0 },
        pids: { limit: 99 },
        blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 10 }] },
        hugepageLimits: [{ pageSize: '1GB', limit: 1 << 30 }],
        rdma: { mlx5_1: { hcaHandles: 3 } },
        unified: { 'memory.high': '50000000', 'io.max': '8:0 rbps=1\n8:16 wbps=2\n' },
      },
      {},
    );
    expect(plan.problems).toEqual([]);
    expect(brief(plan.writes)).toEqual([
      'pids/pids.max=99 <linux.resources.pids.limit>',
      'memory/memory.swap.max=33554432 <linux.resources.memory.swap>',
      'memory/memory.max=67108864 <linux.resources.memory.limit>',
      'memory/memory.low=33554432 <linux.resources.memory.reservation>',
      'io/io.weight=4950 <linux.resources.blockIO.weight>',
      'io/io.max=8:0 rbps=1048576 <linux.resources.blockIO.throttleReadBpsDevice[0]>',
      'io/io.max=8:0 wiops=10 <linux.resources.blockIO.throttleWriteIOPSDevice[0]>',
      'cpu/cpu.idle=0 <linux.resources.cpu.idle>',
      'cpu/cpu.weight=39 <linux.resources.cpu.shares>',
      'cpu/cpu.max.burst=1000 <linux.resources.cpu.burst>',
      'cpu/cpu.max=20000 50000 <linux.resources.cpu.quota>',
      'cpuset/cpuset.cpus=0 <linux.resources.cpu.cpus>',
      'cpuset/cpuset.mems=0 <linux.resources.cpu.mems>',
      'hugetlb/hugetlb.1GB.max=1073741824 <linux.resources.hugepageLimits[0]>',
      'hugetlb/hugetlb.1GB.rsvd.max=1073741824 <linux.resources.hugepageLimits[0]>',
      'rdma/rdma.max=mlx5_1 hca_handle=3 <linux.resources.rdma.mlx5_1>',
      // unified last, a line per write
      'io/io.max=8:0 rbps=1 <linux.resources.unified["io.max"]>',
      'io/io.max=8:16 wbps=2 <linux.resources.unified["io.max"]>',
      'memory/memory.high=50000000 <linux.resources.unified["memory.high"]>',
    ]);
    expect(plan.writes.find((w) => w.file === 'cpu.max.burst')?.retryAfter).toBe('cpu.max');
  });

  it('converts memory+swap: equal means no swap, -1 means max, unlimited memory takes swap as is', () => {
    const swapOf = (limit: number, swap: number | undefined) => brief(v2({ memory: { limit, swap } }).writes).filter((w) => w.includes('swap'));
    expect(swapOf(100, 100)).toEqual(['memory/memory.swap.max=0 <linux.resources.memory.swap>']);
    expect(swapOf(100, -1)).toEqual(['memory/memory.swap.max=max <linux.resources.memory.swap>']);
    expect(swapOf(-1, undefined)).toEqual(['memory/memory.swap.max=max <linux.resources.memory.limit>']);
    expect(swapOf(-1, 300)).toEqual(['memory/memory.swap.max=300 <linux.resources.memory.swap>']);
    expect(swapOf(100, undefined)).toEqual([]);
    expect(brief(v2({ memory: { limit: -1 } }).writes)).toContain('memory/memory.max=max <linux.resources.memory.limit>');
    // without swap accounting "max" and "0" mean nothing: skipped if the file is missing
    expect(v2({ memory: { limit: 100, swap: 100 } }).writes[0]?.skipIfMissing).toBe(true);
    expect(v2({ memory: { limit: 100, swap: 300 } }).writes[0]?.skipIfMissing).toBe(false);
    expect(v2({ memory: { swap: 300 } }).problems).toEqual([
      { path: 'linux.resources.memory.swap', message: expect.stringMatching(/^unable to set swap limit without memory limit/) },
    ]);
  });

  it('takes the half of a pair an update does not give from the cgroup', () => {
    // only the period: the quota in force stays (runc: the saved config's)
    expect(brief(v2({ cpu: { period: 200000 } }, {}, { cpuQuota: 50000, cpuPeriod: 100000 }).writes)).toEqual([
      'cpu/cpu.max=50000 200000 <linux.resources.cpu.period>',
    ]);
    expect(brief(v2({ cpu: { period: 200000 } }, {}, { cpuQuota: -1 }).writes)).toEqual(['cpu/cpu.max=max 200000 <linux.resources.cpu.period>']);
    expect(brief(v2({ cpu: { quota: 30000 } }, {}, { cpuQuota: -1, cpuPeriod: 250000 }).writes)).toEqual(['cpu/cpu.max=30000 250000 <linux.resources.cpu.quota>']);
    // at create the period defaults to 100000
    expect(brief(v2({ cpu: { quota: 30000 } }).writes)).toEqual(['cpu/cpu.max=30000 100000 <linux.resources.cpu.quota>']);
    expect(brief(v2({ cpu: { quota: -1 } }).writes)).toEqual(['cpu/cpu.max=max 100000 <linux.resources.cpu.quota>']);
    // a new limit keeps the memory+swap in force: swap.max follows
    expect(brief(v2({ memory: { limit: 150 } }, {}, { memoryLimit: 100, memorySwap: 300 }).writes)).toEqual([
      'memory/memory.swap.max=150 <linux.resources.memory.limit>',
      'memory/memory.max=150 <linux.resources.memory.limit>',
    ]);
    // only swap: the limit in force is the other half
    expect(brief(v2({ memory: { swap: 500 } }, {}, { memoryLimit: 100 }).writes)).toEqual(['memory/memory.swap.max=400 <linux.resources.memory.swap>']);
    expect(v2({ memory: { limit: 400 } }, {}, { memoryLimit: 100, memorySwap: 300 }).problems[0]?.message).toMatch(/memory\+swap limit should be >= memory limit/);
  });

  it('uses BFQ where the cgroup has io.bfq.weight, and refuses per-device weights without it', () => {
    const bfq = { 'io/io.bfq.weight': 'default 100' };
    expect(brief(v2({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }] } }, bfq).writes)).toEqual([
      'io/io.bfq.weight=500 <linux.resources.blockIO.weight>',
      'io/io.bfq.weight=8:0 300 <linux.resources.blockIO.weightDevice[0].weight>',
    ]);
    expect(v2({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 300 }] } }).problems).toEqual([
      { path: 'linux.resources.blockIO.weightDevice[0].weight', message: expect.stringMatching(/need the BFQ I\/O scheduler/) },
    ]);
    expect(v2({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 300 }] } }, { 'io/io.bfq.weight': '100' }).problems[0]?.message).toMatch(
      /takes no per-device weights/,
    );
  });

  it('checks the usage before an update when checkBeforeUpdate is set', () => {
    const usage = { 'memory/memory.current': '50000' };
    expect(v2({ memory: { limit: 40000, checkBeforeUpdate: true } }, usage).problems).toEqual([
      { path: 'linux.resources.memory.limit', message: 'rejecting memory limit 40000 <= usage 50000 (checkBeforeUpdate)' },
    ]);
    expect(v2({ memory: { limit: 40000 } }, usage).problems).toEqual([]);
    expect(v2({ memory: { limit: 60000, checkBeforeUpdate: true } }, usage).problems).toEqual([]);
  });

  it('refuses what cgroup v2 has no file for, and warns about kernel memory as runc', () => {
    const plan = v2({
      memory: { swappiness: 10, disableOOMKiller: true, useHierarchy: false, kernel: 1, kernelTCP: 1 },
      cpu: { realtimePeriod: 1000, realtimeRuntime: 100 },
      blockIO: { leafWeight: 100, weightDevice: [{ major: 8, minor: 0, leafWeight: 100 }] },
      network: { classID: 1, priorities: [{ name: 'eth0', priority: 1 }] },
    });
    expect(plan.problems.map((p) => p.path)).toEqual([
      'linux.resources.memory.swappiness',
      'linux.resources.memory.disableOOMKiller',
      'linux.resources.memory.useHierarchy',
      'linux.resources.cpu.realtimePeriod',
      'linux.resources.cpu.realtimeRuntime',
      'linux.resources.blockIO.leafWeight',
      'linux.resources.blockIO.weightDevice[0].leafWeight',
      'linux.resources.network.classID',
      'linux.resources.network.priorities',
    ]);
    expect(plan.warnings).toEqual([
      'linux.resources.memory.kernel: Kernel memory settings are ignored and will be removed (cgroup v2 counts kernel memory in memory.max)',
      'linux.resources.memory.kernelTCP: Kernel memory settings are ignored and will be removed (cgroup v2 counts kernel memory in memory.max)',
    ]);
    expect(v2({ memory: { useHierarchy: true, swappiness: -1, disableOOMKiller: false } }).problems).toEqual([]);
  });
});

// This host: hybrid, v1 controllers without hugetlb, net_cls, rdma.
const HYBRID: ResourceHost = {
  mode: 'hybrid',
  controllers: new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids']),
  unifiedControllers: new Set(['hugetlb']),
  hugepageSizes: ['1GB', '2MB'],
};
const V2: ResourceHost = { mode: 'v2', controllers: new Set(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']), hugepageSizes: ['2MB'] };

describe('the checks before any system call', () => {
  const check = (r: unknown, host: ResourceHost, types = false) => resourceProblems(r, 'linux.resources', host, { types });

  it('accepts a sound set and returns it typed', () => {
    const r = { memory: { limit: 1 << 26, swap: 1 << 27 }, cpu: { shares: 512, quota: 20000, period: 100000, cpus: '0-1,3' }, pids: { limit: 10 } };
    expect(check(r, HYBRID)).toEqual({ problems: [], warnings: [], resources: r });
  });

  it('reports every absurd value with its path', () => {
    const r = check(
      {
        memory: { limit: -2, swap: 10, swappiness: 101, reservation: -7 },
        cpu: { shares: 1, quota: 999, period: 999, burst: 5, realtimeRuntime: -3, idle: 2, cpus: '0-', mems: 'a' },
        blockIO: { weight: 5, leafWeight: 2000, weightDevice: [{ major: -1, minor: 0, weight: 9 }] },
      },
      HYBRID,
    );
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'linux.resources.memory.limit: -2 is not a memory size: use -1 for no limit, or a number of bytes',
      'linux.resources.memory.reservation: -7 is not a memory size: use -1 for no limit, or a number of bytes',
      'linux.resources.memory.swappiness: invalid value: 101: the valid memory swappiness range is 0-100',
      'linux.resources.cpu.shares: 1 is outside the kernel\'s range of cpu shares, 2..262144',
      'linux.resources.cpu.quota: 999 µs is below the kernel\'s minimum CFS quota of 1000 µs',
      'linux.resources.cpu.period: 999 µs is outside the kernel\'s CFS period range, 1000..1000000 µs',
      'linux.resources.cpu.realtimeRuntime: -3 is not a real-time runtime: use -1 for no limit, or microseconds',
      'linux.resources.cpu.idle: 2 is not 0 (normal) or 1 (SCHED_IDLE)',
      'linux.resources.cpu.cpus: "0-" is not a list such as "0-3,5"',
      'linux.resources.cpu.mems: "a" is not a list such as "0-3,5"',
      'linux.resources.blockIO.weight: 5 is outside the block I/O weight range, 10..1000',
      'linux.resources.blockIO.leafWeight: 2000 is outside the block I/O weight range, 10..1000',
      'linux.resources.blockIO.weightDevice[0]: -1:0 is not a device number',
      'linux.resources.blockIO.weightDevice[0].weight: 9 is outside the block I/O weight range, 10..1000',
    ]);
  });

  it('refuses swap below the limit, a burst above the quota, a real-time runtime above its period', () => {
    const r = check({ memory: { limit: 200, swap: 100 }, cpu: { quota: 10000, burst: 20000, realtimeRuntime: 2000, realtimePeriod: 1000 } }, HYBRID);
    expect(r.problems.map((p) => p.path)).toEqual(['linux.resources.memory.swap', 'linux.resources.cpu.burst', 'linux.resources.cpu.realtimeRuntime']);
  });

  it('names the field and the controller this host lacks', () => {
    const r = check({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }], network: { classID: 7, priorities: [{ name: 'eth0', priority: 1 }] }, rdma: { mlx5_1: { hcaHandles: 1 } } }, HYBRID);
    expect(r.problems).toEqual([
      {
        path: 'linux.resources.hugepageLimits[0]',
        message:
          'this host has no hugetlb cgroup controller (it is not mounted as a v1 hierarchy; this hybrid host has it only in the unified hierarchy, where runts (as runc) sets no limits): remove linux.resources.hugepageLimits[0] or run on a host with it',
      },
      {
        path: 'linux.resources.network.classID',
        message: 'this host has no net_cls cgroup controller (it is not mounted as a v1 hierarchy under /sys/fs/cgroup): remove linux.resources.network.classID or run on a host with it',
      },
      {
        path: 'linux.resources.network.priorities[0]',
        message: 'this host has no net_prio cgroup controller (it is not mounted as a v1 hierarchy under /sys/fs/cgroup): remove linux.resources.network.priorities[0] or run on a host with it',
      },
      {
        path: 'linux.resources.rdma.mlx5_1',
        message: 'this host has no rdma cgroup controller (it is not mounted as a v1 hierarchy under /sys/fs/cgroup): remove linux.resources.rdma.mlx5_1 or run on a host with it',
      },
    ]);
    expect(check({ hugepageLimits: [{ pageSize: '64KB', limit: 1 }] }, V2).problems[0]?.message).toBe('this kernel has no 64KB huge pages (it has 2MB)');
    expect(check({ cpu: { shares: 100 } }, { mode: 'v2', controllers: new Set(['memory']) }).problems[0]?.message).toMatch(
      /^this host has no cpu cgroup controller \(the cgroup v2 hierarchy does not offer it \(its cgroup.controllers: "memory"\)\)/,
    );
  });

  it('refuses unified on v1 and hybrid hosts, and unsafe or unknown unified keys on v2', () => {
    expect(check({ unified: { 'memory.high': '1' } }, HYBRID).problems[0]?.message).toMatch(/^invalid configuration: cannot use unified on cgroup v1 \(this hybrid host/);
    expect(check({ unified: {} }, HYBRID).problems).toEqual([]);
    const r = check(
      {
        unified: {
          'memory.high': '1',
          '../memory.max': '1',
          'cgroup.procs': '1',
          'cgroup.subtree_control': '+memory',
          'cgroup.kill': '1',
          'cgroup.freeze': '1',
          'cgroup.max.depth': '3',
          'cgroup.events': 'x',
          nodot: '1',
          'net_cls.classid': '1',
        },
      },
      V2,
    );
    expect(r.problems.map((p) => p.path)).toEqual([
      'linux.resources.unified["../memory.max"]',
      'linux.resources.unified["cgroup.procs"]',
      'linux.resources.unified["cgroup.subtree_control"]',
      'linux.resources.unified["cgroup.kill"]',
      'linux.resources.unified["cgroup.freeze"]',
      'linux.resources.unified["cgroup.events"]',
      'linux.resources.unified.nodot',
      'linux.resources.unified["net_cls.classid"]',
    ]);
    expect(r.resources.unified).toEqual({ 'memory.high': '1', 'cgroup.max.depth': '3' });
  });

  it('refuses v1-only fields on a v2 host and a v2 swap without a limit at create', () => {
    const r = check({ memory: { swap: 100, swappiness: 5 }, cpu: { realtimePeriod: 1000 }, network: { classID: 1 } }, V2);
    expect(r.problems.map((p) => p.path)).toEqual([
      'linux.resources.memory.swap',
      'linux.resources.memory.swappiness',
      'linux.resources.cpu.realtimePeriod',
      'linux.resources.network.classID',
    ]);
    // an update takes the limit in force
    expect(resourceProblems({ memory: { swap: 100 } }, '', V2, { types: true, update: true }).problems).toEqual([]);
  });

  it('checks the types of an update document (no schema) and keeps only sound fields', () => {
    const r = resourceProblems({ memory: { limit: '1', swappiness: -1 }, cpu: { cpus: 3, shares: 1.5 }, pids: {}, blockIO: { throttleReadBpsDevice: [{ major: 8 }] } }, '', HYBRID, {
      types: true,
    });
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'memory.limit: must be an integer (int64)',
      'cpu.shares: must be an integer (uint64)',
      'cpu.cpus: must be a string',
      'pids.limit: is required',
      'blockIO.throttleReadBpsDevice[0]: needs major and minor',
      'blockIO.throttleReadBpsDevice[0]: needs a rate',
    ]);
    expect(r.resources).toEqual({ memory: { swappiness: -1 }, cpu: {}, blockIO: { throttleReadBpsDevice: [] } });
    // config.json: the schema reports types, these checks say nothing of them
    expect(check({ memory: { limit: '1' } }, HYBRID).problems).toEqual([]);
    expect(() => check('junk', HYBRID)).not.toThrow();
  });

  it('names huge page sizes as runc does', () => {
    expect(hugepageSizeNames(['hugepages-2048kB', 'hugepages-1048576kB', 'hugepages-64kB', 'other'])).toEqual(['2MB', '1GB', '64KB']);
  });
});

/** A fake cgroupfs: files in a map, writes recorded, errno per file on demand. */
class FakeKernel implements ResourceFiles {
  readonly files = new Map<string, string>();
  readonly writes: string[] = [];
  readonly fail = new Map<string, string[]>();
  write(file: string, value: string): void {
    const errs = this.fail.get(file);
    const code = errs?.shift();
    if (code) throw Object.assign(new Error(`${code}: fake`), { code });
    if (!this.files.has(file)) throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    this.writes.push(`${file}=${value}`);
    if (file.endsWith('cgroup.subtree_control')) {
      const on = new Set((this.files.get(file) ?? '').split(' ').filter(Boolean));
      for (const w of value.split(' ')) on.add(w.slice(1));
      this.files.set(file, [...on].join(' '));
    } else this.files.set(file, value);
  }
  read(file: string): string | undefined {
    return this.files.get(file);
  }
  exists(file: string): boolean {
    return this.files.has(file);
  }
}

describe('the writer', () => {
  const placementV1: Pick<CgroupPlacement, 'mode' | 'dirs'> = {
    mode: 'hybrid',
    dirs: [
      { hierarchy: 'cpu', version: 1, cgroupPath: '/c', dir: '/cg/cpu/c', mountPoint: '/cg/cpu' },
      { hierarchy: 'memory', version: 1, cgroupPath: '/c', dir: '/cg/memory/c', mountPoint: '/cg/memory' },
      { hierarchy: '', version: 2, cgroupPath: '/c', dir: '/cg/unified/c', mountPoint: '/cg/unified' },
    ],
  };

  it('retries a refused CFS period after the quota, as runc', () => {
    const k = new FakeKernel();
    for (const f of ['cpu.cfs_period_us', 'cpu.cfs_quota_us', 'cpu.shares']) k.files.set(`/cg/cpu/c/${f}`, '0');
    k.fail.set('/cg/cpu/c/cpu.cfs_period_us', ['EINVAL']);
    const target = resourceTarget(placementV1);
    const plan = planResources({ cpu: { shares: 100, period: 50000, quota: 10000 } }, 1, { base: 'r', probe: resourceProbe(target, k) });
    applyResourcePlan(plan, target, k);
    expect(k.writes).toEqual(['/cg/cpu/c/cpu.shares=100', '/cg/cpu/c/cpu.cfs_quota_us=10000', '/cg/cpu/c/cpu.cfs_period_us=50000']);
  });

  it('reports a refused write with file, value, errno and field; EBUSY of a memory limit with the usage', () => {
    const k = new FakeKernel();
    for (const f of ['memory.limit_in_bytes', 'memory.usage_in_bytes', 'memory.max_usage_in_bytes']) k.files.set(`/cg/memory/c/${f}`, '300');
    k.fail.set('/cg/memory/c/memory.limit_in_bytes', ['EBUSY']);
    const target = resourceTarget(placementV1);
    const plan = planResources({ memory: { limit: 100 } }, 1, { base: 'linux.resources', probe: resourceProbe(target, k) });
    expect(() => applyResourcePlan(plan, target, k)).toThrow(
      'cgroup /cg/memory/c/memory.limit_in_bytes: write "100": Device or resource busy (linux.resources.memory.limit): unable to set memory limit to 100 (current usage: 300, peak usage: 300)',
    );
    k.fail.set('/cg/memory/c/memory.limit_in_bytes', ['EINVAL']);
    expect(() => applyResourcePlan(plan, target, k)).toThrow('cgroup /cg/memory/c/memory.limit_in_bytes: write "100": Invalid argument (linux.resources.memory.limit)');
  });

  it('checks every controller and file before the first write', () => {
    const k = new FakeKernel();
    k.files.set('/cg/memory/c/memory.limit_in_bytes', '1');
    const target = resourceTarget(placementV1);
    const plan = planResources({ memory: { limit: 100, swap: 200 }, pids: { limit: 3 }, cpu: { burst: 10 } }, 1, { base: 'linux.resources', probe: resourceProbe(target, k) });
    let err: RuntsError | undefined;
    try {
      applyResourcePlan(plan, target, k);
    } catch (e) {
      err = e as RuntsError;
    }
    expect(err?.message).toBe('cannot apply linux.resources: 3 problems with this host\'s cgroups, nothing was written');
    expect(err?.details).toEqual([
      'linux.resources.memory.swap: /cg/memory/c/memory.memsw.limit_in_bytes does not exist: this kernel does not account swap (boot it with swapaccount=1)',
      'linux.resources.cpu.burst: /cg/cpu/c/cpu.cfs_burst_us does not exist: CFS burst needs Linux 5.14+',
      'linux.resources.pids.limit: the container has no pids cgroup (this host has no pids controller)',
    ]);
    expect(k.writes).toEqual([]);
  });

  it('on v2, refuses a controller the cgroup does not have enabled', () => {
    const k = new FakeKernel();
    k.files.set('/cg/c/cgroup.controllers', 'cpu pids');
    k.files.set('/cg/c/memory.max', 'max');
    const placement: Pick<CgroupPlacement, 'mode' | 'dirs'> = { mode: 'v2', dirs: [{ hierarchy: '', version: 2, cgroupPath: '/c', dir: '/cg/c', mountPoint: '/cg' }] };
    const target = resourceTarget(placement);
    expect(() => applyResourcePlan(planResources({ memory: { limit: 100 } }, 2, { base: 'r', probe: resourceProbe(target, k) }), target, k)).toThrow(/problem with this host's cgroups/);
  });

  it('skips the optional files the kernel lacks and warns when the kernel ignores a knob', () => {
    const k = new FakeKernel();
    k.files.set('/cg/memory/c/memory.kmem.limit_in_bytes', '9223372036854771712');
    const target = resourceTarget(placementV1);
    const plan = planResources({ memory: { kernel: 1 << 20 } }, 1, { base: 'r', probe: resourceProbe(target, k) });
    // the fake keeps what is written: no warning
    expect(applyResourcePlan(plan, target, k).warnings).toEqual([]);
    const ignoring: ResourceFiles = { ...k, write: () => {}, read: () => '9223372036854771712', exists: () => true };
    expect(applyResourcePlan(plan, target, ignoring).warnings).toEqual(['r.memory.kernel: the kernel accepts memory.kmem.limit_in_bytes but does not enforce it (kernel memory is counted in the memory limit)']);
  });

  it('names errnos with strerror\'s words', () => {
    expect(errnoText(Object.assign(new Error('x'), { code: 'EINVAL' }))).toBe('Invalid argument');
    expect(errnoText(Object.assign(new Error('EWEIRD: odd'), { code: 'EWEIRD' }))).toBe('EWEIRD: odd');
  });
});

describe('against a directory laid out like /sys/fs/cgroup', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'runts-res-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const touch = (dir: string, files: Record<string, string>) => {
    mkdirSync(dir, { recursive: true });
    for (const [f, v] of Object.entries(files)) writeFileSync(path.join(dir, f), v);
  };

  it('writes a v1 plan to the controllers\' directories and reads the values back', () => {
    const mountinfo = ['cpu', 'memory', 'pids', 'cpuset'].map((c, i) => `3${i} 30 0:2${i} / ${root}/${c} rw - cgroup cgroup rw,${c}`).join('\n');
    const layout = detectLayout(mountinfo, '1:cpu:/\n2:memory:/\n3:pids:/\n4:cpuset:/\n');
    const dirs = layout.hierarchies.map((h) => ({ hierarchy: h.name, version: h.version, cgroupPath: '/t', dir: `${h.mountPoint}/t`, mountPoint: h.mountPoint }));
    touch(`${root}/cpu/t`, { 'cpu.shares': '1024', 'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000' });
    touch(`${root}/memory/t`, { 'memory.limit_in_bytes': '9223372036854771712', 'memory.memsw.limit_in_bytes': '9223372036854771712', 'memory.soft_limit_in_bytes': '0' });
    touch(`${root}/pids/t`, { 'pids.max': 'max' });
    touch(`${root}/cpuset/t`, { 'cpuset.cpus': '0-1', 'cpuset.mems': '0' });
    const target = resourceTarget({ mode: layout.mode, dirs });
    const plan = planResources(
      { memory: { limit: 1 << 26, swap: 1 << 27, reservation: 1 << 25 }, cpu: { shares: 256, quota: 50000, period: 100000, cpus: '1' }, pids: { limit: 20 } },
      1,
      { base: 'linux.resources', probe: resourceProbe(target) },
    );
    const applied = applyResourcePlan(plan, target);
    expect(applied.written).toHaveLength(8);
    const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
    expect([read('memory/t/memory.limit_in_bytes'), read('memory/t/memory.memsw.limit_in_bytes'), read('memory/t/memory.soft_limit_in_bytes')]).toEqual(['67108864', '134217728', '33554432']);
    expect([read('cpu/t/cpu.shares'), read('cpu/t/cpu.cfs_quota_us'), read('cpu/t/cpu.cfs_period_us'), read('pids/t/pids.max'), read('cpuset/t/cpuset.cpus')]).toEqual([
      '256',
      '50000',
      '100000',
      '20',
      '1',
    ]);
    // what an update reads back as the values in force
    expect(currentValues(resourceProbe(target, realResourceFiles), 1)).toEqual({ memoryLimit: 67108864, memorySwap: 134217728, cpuQuota: 50000, cpuPeriod: 100000 });
  });

  it('writes a v2 plan to the one directory and reads cpu.max and memory back as values in force', () => {
    touch(`${root}/t`, { 'cgroup.controllers': 'cpu memory pids', 'cpu.max': 'max 100000', 'cpu.weight': '100', 'memory.max': 'max', 'memory.swap.max': 'max', 'pids.max': 'max' });
    const target = resourceTarget({ mode: 'v2', dirs: [{ hierarchy: '', version: 2, cgroupPath: '/t', dir: `${root}/t`, mountPoint: root }] });
    const probeV2 = resourceProbe(target);
    applyResourcePlan(planResources({ memory: { limit: 1000, swap: 3000 }, cpu: { shares: 2048, quota: 25000 }, pids: { limit: -1 } }, 2, { base: '', probe: probeV2 }), target);
    const read = (f: string) => readFileSync(path.join(root, 't', f), 'utf8');
    expect([read('memory.max'), read('memory.swap.max'), read('cpu.weight'), read('cpu.max'), read('pids.max')]).toEqual(['1000', '2000', '79', '25000 100000', 'max']);
    expect(currentValues(probeV2, 2)).toEqual({ memoryLimit: 1000, memorySwap: 3000, cpuQuota: 25000, cpuPeriod: 100000 });
  });
});

describe('v2 delegation (cgroup.subtree_control)', () => {
  it('enables every controller each ancestor has, from the mount root down to the parent', () => {
    const k = new FakeKernel();
    k.files.set('/cg/cgroup.controllers', 'cpu memory pids io');
    k.files.set('/cg/cgroup.subtree_control', 'memory');
    k.files.set('/cg/a/cgroup.controllers', 'cpu memory pids io');
    k.files.set('/cg/a/cgroup.subtree_control', '');
    const placement: Pick<CgroupPlacement, 'mode' | 'dirs'> = { mode: 'v2', dirs: [{ hierarchy: '', version: 2, cgroupPath: '/a/c', dir: '/cg/a/c', mountPoint: '/cg' }] };
    expect(ancestorsOf('/cg/a/c', '/cg')).toEqual(['/cg', '/cg/a']);
    expect(enableSubtreeControllers(placement, k)).toEqual({ enabled: ['/cg: +cpu +pids +io', '/cg/a: +cpu +memory +pids +io'], refused: [] });
    // enabled already: nothing to write
    expect(enableSubtreeControllers(placement, k).enabled).toEqual([]);
  });

  it('enables what it can one by one, and leaves hybrid hosts alone', () => {
    const k = new FakeKernel();
    k.files.set('/cg/cgroup.controllers', 'cpu memory');
    k.files.set('/cg/cgroup.subtree_control', '');
    k.fail.set('/cg/cgroup.subtree_control', ['EBUSY', 'EBUSY']);
    const dirs = [{ hierarchy: '', version: 2 as const, cgroupPath: '/c', dir: '/cg/c', mountPoint: '/cg' }];
    expect(enableSubtreeControllers({ mode: 'v2', dirs }, k)).toEqual({ enabled: ['/cg: +memory'], refused: ['/cg: +cpu: EBUSY'] });
    expect(enableSubtreeControllers({ mode: 'hybrid', dirs }, new FakeKernel())).toEqual({ enabled: [], refused: [] });
  });
});

describe('update', () => {
  it('parses memory sizes as runc (docker/go-units RAMInBytes)', () => {
    expect(['1024', '64m', '64M', '1g', '1.5g', '512KiB', '2 mb', '10b', 'abc', '-5', '1x'].map(ramInBytes)).toEqual([
      1024, 67108864, 67108864, 1073741824, 1610612736, 524288, 2097152, 10, undefined, undefined, undefined,
    ]);
  });

  it('turns runc\'s flags into a resources document', () => {
    expect(
      resourcesFromFlags({
        memory: '64m',
        'memory-swap': '-1',
        'memory-reservation': '32m',
        'kernel-memory': '1m',
        'kernel-memory-tcp': '2m',
        'cpu-quota': '-1',
        'cpu-period': '100000',
        'cpu-burst': '10',
        'cpu-rt-runtime': '900',
        'cpu-rt-period': '1000',
        'cpu-share': '512',
        'cpu-idle': '1',
        'cpuset-cpus': '0',
        'cpuset-mems': '0',
        'pids-limit': '-1',
        'blkio-weight': '300',
      }),
    ).toEqual({
      blockIO: { weight: 300 },
      pids: { limit: -1 },
      memory: { limit: 67108864, swap: -1, kernel: 1048576, kernelTCP: 2097152, reservation: 33554432 },
      cpu: { cpus: '0', mems: '0', idle: 1, burst: 10, period: 100000, realtimePeriod: 1000, shares: 512, quota: -1, realtimeRuntime: 900 },
    });
    expect(resourcesFromFlags({ 'blkio-weight': '0' })).toEqual({});
    expect(() => resourcesFromFlags({ memory: 'lots' })).toThrow('invalid value for --memory: "lots" is not a size in bytes, with an optional unit (k, m, g, t, p), or -1');
    expect(() => resourcesFromFlags({ 'cpu-share': '-2' })).toThrow('invalid value for --cpu-share: "-2" is not an unsigned integer');
    expect(() => resourcesFromFlags({ 'l3-cache-schema': 'L3:0=f' })).toThrow(/^--l3-cache-schema: runts has no Intel RDT support/);
    expect(() => resourcesFromFlags({ 'mem-bw-schema': 'MB:0=50' })).toThrow(/^--mem-bw-schema: runts has no Intel RDT support/);
  });

  it('finds each cgroup of the state record in this host\'s hierarchies', () => {
    const layout = detectLayout(
      '31 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n32 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n33 30 0:30 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n',
      '',
    );
    const p = placementFromRecord('x', [{ path: '/sys/fs/cgroup/memory/runts/x' }, { path: '/sys/fs/cgroup/cpu,cpuacct/runts/x' }, { path: '/sys/fs/cgroup/unified/runts/x' }], layout);
    expect(p.dirs.map((d) => [d.hierarchy, d.version, d.dir])).toEqual([
      ['memory', 1, '/sys/fs/cgroup/memory/runts/x'],
      ['cpu,cpuacct', 1, '/sys/fs/cgroup/cpu,cpuacct/runts/x'],
      ['', 2, '/sys/fs/cgroup/unified/runts/x'],
    ]);
    expect(resourceTarget(p).dirOf('cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct/runts/x');
    expect(() => placementFromRecord('x', [{ path: '/sys/fs/cgroup/memory/../../etc' }], layout)).toThrow(/not a clean absolute path/);
    expect(() => placementFromRecord('x', [{ path: '/tmp/x' }], layout)).toThrow(/in no cgroup hierarchy of this host/);
    expect(() => placementFromRecord('x', [{ path: '/sys/fs/cgroup/memory' }], layout)).toThrow(/hierarchy's root/);
  });
});

describe('hostile shapes', () => {
  // A small deterministic generator of JSON values of every shape.
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const values = (): unknown[] => [null, true, -1, 0, 1.5, -(2 ** 63), 2 ** 64, 'x', '0-1', [], {}, [{}], { a: 1 }, [1, 'x', null]];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keys = ['memory', 'cpu', 'pids', 'blockIO', 'hugepageLimits', 'network', 'rdma', 'unified', 'devices', 'limit', 'swap', 'shares', 'quota', 'weightDevice', 'throttleReadBpsDevice', 'priorities', 'pageSize', 'major', 'minor', 'rate', 'weight', 'name'];
  function value(depth: number): unknown {
    if (depth > 3 || rnd() < 0.4) return pick(values());
    if (rnd() < 0.3) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(keys), value(depth + 1)]));
  }

  it('never throws, and plans what it keeps without throwing', () => {
    for (let i = 0; i < 3000; i++) {
      const raw = value(0);
      for (const host of [HYBRID, V2]) {
        for (const types of [true, false]) {
          const r = resourceProblems(raw, 'linux.resources', host, { types });
          planResources(r.resources, host.mode === 'v2' ? 2 : 1, { base: 'linux.resources', probe: probe() });
        }
      }
    }
  });
});
