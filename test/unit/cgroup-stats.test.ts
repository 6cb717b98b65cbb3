// The stats reader of `events` (addon/common/cgroup-stats.cc) without root:
// cgroup files captured from containers run by runc 1.1.5 must give what
// `runc events --stats` printed for them, byte for byte; directories laid
// out like v1 and v2 cgroups check each of runc's rules (what is optional,
// what is omitted when zero, what fails); Go's duration syntax for --interval.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerStats } from '../../src/container/events';
import { native, type StatsSources } from '../../src/native/binding';

const FIXTURES = path.resolve(__dirname, '../fixtures/cgroup-stats');

/** The "data" member of runc's event line, as text. */
function runcData(file: string): string {
  const line = readFileSync(file, 'utf8');
  const start = line.indexOf('"data":') + '"data":'.length;
  expect(line.endsWith('}}\n')).toBe(true);
  return line.slice(start, -2);
}

const stats = (sources: StatsSources): string => native().statsFromDirs(sources);
const parsed = (sources: StatsSources): ContainerStats => JSON.parse(stats(sources)) as ContainerStats;

describe('stats of cgroup files runc read', () => {
  it('v1: the same text as runc events --stats', () => {
    const dir = path.join(FIXTURES, 'v1-runc');
    const controllers = Object.fromEntries(['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio'].map((c) => [c, path.join(dir, c)]));
    expect(stats({ unified: false, controllers })).toBe(runcData(path.join(dir, 'runc-events-stats.json')));
  });

  it('v2: the same text as runc events --stats', () => {
    const dir = path.join(FIXTURES, 'v2-runc');
    // One counter differs, and it is runc's doing: `runc init` loaded the
    // runc binary's pages inside the container's cgroup, so they are charged
    // to it, and `runc events` maps that very binary while it reads: the
    // container's file_mapped counts it then (188416 to 221184 bytes more
    // while runc runs; 0 for any other reader, the copy of the files included).
    const want = runcData(path.join(dir, 'runc-events-stats.json')).replace('"file_mapped":221184', '"file_mapped":0');
    expect(stats({ unified: true, unifiedDir: path.join(dir, 'cgroup'), hugepagesDir: path.join(dir, 'hugepages') })).toBe(want);
  });
});

describe('stats rules', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'runts-stats-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function lay(files: Record<string, string>): void {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
  }
  const v1 = (...names: string[]): StatsSources => ({
    unified: false,
    controllers: Object.fromEntries(names.map((c) => [c, path.join(dir, c)])),
    hugepagesDir: path.join(dir, 'hugepages'),
  });
  const v2 = (): StatsSources => ({ unified: true, unifiedDir: path.join(dir, 'cg'), hugepagesDir: path.join(dir, 'hugepages') });

  const ZERO_CPUSET = {
    cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
    memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
  };
  const ZERO_ENTRY = { limit: 0, failcnt: 0 };

  it('a container without cgroup directories has the zero stats, with runc\'s omissions', () => {
    expect(stats(v1('cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb'))).toBe(
      '{"cpu":{"usage":{"kernel":0,"user":0},"throttling":{}},' +
        '"cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,' +
        '"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":0},' +
        '"memory":{"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},' +
        '"pids":{},"blkio":{},"hugetlb":{},"intel_rdt":{},"network_interfaces":null}',
    );
  });

  it('v1: each controller\'s files, optional ones missing', () => {
    lay({
      'cpu/cpu.stat': 'nr_periods 10\nnr_throttled 3\nthrottled_time 4500\nnr_bursts 0\n',
      'cpuacct/cpuacct.stat': 'user 150\nsystem 25\n',
      'cpuacct/cpuacct.usage': '1750000000\n',
      'cpuacct/cpuacct.usage_percpu': '1000000000 750000000 \n',
      // cpuacct.usage_all is missing (older kernels): no per-mode lists.
      'cpuset/cpuset.cpus': '0-2,5\n',
      'cpuset/cpuset.mems': '0\n',
      'cpuset/cpuset.sched_load_balance': '1\n',
      'cpuset/cpuset.sched_relax_domain_level': '-1\n',
      'memory/memory.stat': 'cache 8192\nrss 4096\ntotal_cache 8192\n',
      'memory/memory.usage_in_bytes': '12288\n',
      'memory/memory.max_usage_in_bytes': '20480\n',
      'memory/memory.failcnt': '-3\n', // a kernel bug's negative counter reads as 0
      'memory/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/memory.use_hierarchy': '1\n',
      // no memsw (swap accounting off) and no kmem: zero entries
      'pids/pids.current': '4\n',
      'pids/pids.max': 'max\n',
      'blkio/blkio.throttle.io_serviced_recursive': '8:0 Read 5\n8:0 Write 7\nTotal 12\n',
      'blkio/blkio.throttle.io_service_bytes_recursive': '8:0 Read 0\n8:0 Write 4096\nTotal 4096\n',
      'hugetlb/hugetlb.2MB.usage_in_bytes': '2097152\n',
      'hugetlb/hugetlb.2MB.max_usage_in_bytes': '4194304\n',
      'hugetlb/hugetlb.2MB.failcnt': '0\n',
      'hugetlb/hugetlb.1GB.usage_in_bytes': '0\n',
      'hugetlb/hugetlb.1GB.max_usage_in_bytes': '0\n',
      'hugetlb/hugetlb.1GB.failcnt': '2\n',
      'hugepages/hugepages-2048kB': '',
      'hugepages/hugepages-1048576kB': '',
      'hugepages/unrelated': '',
    });
    const s = parsed(v1('cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb'));
    expect(s.cpu).toEqual({
      usage: { total: 1750000000, percpu: [1000000000, 750000000], kernel: 250000000, user: 1500000000 },
      throttling: { periods: 10, throttledPeriods: 3, throttledTime: 4500 },
    });
    expect(s.cpuset).toEqual({ ...ZERO_CPUSET, cpus: [0, 1, 2, 5], mems: [0], sched_load_balance: 1, sched_relax_domain_level: -1 });
    expect(s.memory).toEqual({
      cache: 8192,
      usage: { limit: 9223372036854771712, usage: 12288, max: 20480, failcnt: 0 },
      swap: ZERO_ENTRY,
      kernel: ZERO_ENTRY,
      kernelTCP: ZERO_ENTRY,
      raw: { cache: 8192, rss: 4096, total_cache: 8192 },
    });
    expect(s.pids).toEqual({ current: 4 });
    expect(s.blkio).toEqual({
      ioServiceBytesRecursive: [{ major: 8, op: 'Read' }, { major: 8, op: 'Write', value: 4096 }],
      ioServicedRecursive: [{ major: 8, op: 'Read', value: 5 }, { major: 8, op: 'Write', value: 7 }],
    });
    expect(s.hugetlb).toEqual({ '1GB': { failcnt: 2 }, '2MB': { usage: 2097152, max: 4194304, failcnt: 0 } });
    // The raw text keeps JSON's key order of runc (Go sorts map keys).
    expect(stats(v1('hugetlb'))).toContain('"hugetlb":{"1GB":{"failcnt":2},"2MB":{"usage":2097152,"max":4194304,"failcnt":0}}');
  });

  it('v1 blkio: the first group of files with entries wins, bfq before cfq before throttle', () => {
    lay({
      'blkio/blkio.bfq.io_serviced_recursive': '8:16 Read 1\n',
      'blkio/blkio.bfq.io_service_bytes_recursive': '8:16 Read 512\n',
      'blkio/blkio.throttle.io_serviced_recursive': '8:0 Write 9\n',
      'blkio/blkio.throttle.io_service_bytes_recursive': '8:0 Write 9\n',
    });
    expect(parsed(v1('blkio')).blkio).toEqual({
      ioServiceBytesRecursive: [{ major: 8, minor: 16, op: 'Read', value: 512 }],
      ioServicedRecursive: [{ major: 8, minor: 16, op: 'Read', value: 1 }],
    });
    // A group whose first file has only its Total line, or cannot be read,
    // is skipped.
    const throttle = {
      ioServiceBytesRecursive: [{ major: 8, op: 'Write', value: 9 }],
      ioServicedRecursive: [{ major: 8, op: 'Write', value: 9 }],
    };
    writeFileSync(path.join(dir, 'blkio/blkio.bfq.io_serviced_recursive'), 'Total 0\n');
    expect(parsed(v1('blkio')).blkio).toEqual(throttle);
    writeFileSync(path.join(dir, 'blkio/blkio.bfq.io_serviced_recursive'), 'garbage\n');
    expect(parsed(v1('blkio')).blkio).toEqual(throttle);
    // One whose later file is empty ends the search with what it has (runc's loop).
    writeFileSync(path.join(dir, 'blkio/blkio.bfq.io_serviced_recursive'), '8:16 Read 1\n');
    writeFileSync(path.join(dir, 'blkio/blkio.bfq.io_service_bytes_recursive'), 'Total 0\n');
    expect(parsed(v1('blkio')).blkio).toEqual({ ioServicedRecursive: [{ major: 8, minor: 16, op: 'Read', value: 1 }] });
  });

  it.each([
    ['pids/pids.current', 'four\n', /^parse .*\/pids\/pids.current: four is not an unsigned integer$/],
    ['pids/pids.max', '-\n', /pids\/pids.max: - is not a number or "max"/],
    ['cpuacct/cpuacct.stat', 'user 1\n', /cpuacct\/cpuacct.stat: it is not "user N\\nsystem N"/],
    ['cpuset/cpuset.cpus', '\n', /cpuset\/cpuset.cpus: it is empty/],
    ['cpuset/cpuset.cpus', '3-1\n', /cpuset\/cpuset.cpus: 3-1 is not a CPU or node number or range/],
    ['memory/memory.stat', 'cache\n', /memory\/memory.stat: line cache is not "key value"/],
    ['cpu/cpu.stat', 'nr_periods 1 2\n', /cpu\/cpu.stat: line nr_periods 1 2 is not "key value"/],
    // (a bad first file of a group only skips the group, as in runc)
    ['blkio/blkio.throttle.io_service_bytes', '8:0\n', /blkio.throttle.io_service_bytes: line 8:0 is not "major:minor \[op\] value"/],
  ])('v1: %s holding %j fails, naming the file', (file, text, message) => {
    lay({
      'pids/pids.current': '1\n', 'pids/pids.max': 'max\n',
      'cpuacct/cpuacct.stat': 'user 0\nsystem 0\n', 'cpuacct/cpuacct.usage': '0\n', 'cpuacct/cpuacct.usage_percpu': '0\n',
      'blkio/blkio.throttle.io_serviced': '8:0 Read 1\n',
      [file]: text,
    });
    expect(() => stats(v1('cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio'))).toThrow(message);
  });

  it('v1: the memory counters memory.stat has are required', () => {
    lay({ 'memory/memory.stat': 'cache 0\n' });
    expect(() => stats(v1('memory'))).toThrow(/^open .*\/memory\/memory.usage_in_bytes: No such file or directory$/);
  });

  it('v2: memory with swap counted as v1 does, io in v1\'s tables, pids from cgroup.procs without the pids controller', () => {
    lay({
      'cg/cpu.stat': 'usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\nnr_periods 4\nnr_throttled 1\nthrottled_usec 50\n',
      'cg/memory.stat': 'anon 4096\nfile 8192\n',
      'cg/memory.current': '12288\n',
      'cg/memory.max': 'max\n',
      'cg/memory.swap.current': '4096\n',
      'cg/memory.swap.max': '1048576\n',
      'cg/io.stat': '8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n254:16 rbytes=0 wbytes=512 rios=0 wios=1\n',
      'cg/cgroup.procs': '10\n11\n12\n',
      'hugepages/hugepages-2048kB': '',
    });
    const s = parsed(v2());
    expect(s.cpu).toEqual({
      usage: { total: 3000000, kernel: 1000000, user: 2000000 },
      throttling: { periods: 4, throttledPeriods: 1, throttledTime: 50000 },
    });
    expect(s.cpuset).toEqual(ZERO_CPUSET);
    expect(s.memory).toEqual({
      cache: 8192,
      usage: { limit: 18446744073709551615, usage: 12288, failcnt: 0 },
      // memory.swap.max + memory.max, wrapping at 2^64 as runc's uint64 does.
      swap: { limit: 1048575, usage: 16384, failcnt: 0 },
      kernel: ZERO_ENTRY,
      kernelTCP: ZERO_ENTRY,
      raw: { anon: 4096, file: 8192 },
    });
    expect(stats(v2())).toContain('"usage":{"limit":18446744073709551615,"usage":12288,"failcnt":0},"swap":{"limit":1048575,');
    expect(s.pids).toEqual({ current: 3 });
    expect(s.blkio).toEqual({
      ioServiceBytesRecursive: [
        { major: 8, op: 'Read', value: 1024 }, { major: 8, op: 'Write', value: 2048 },
        { major: 254, minor: 16, op: 'Read' }, { major: 254, minor: 16, op: 'Write', value: 512 },
      ],
      ioServicedRecursive: [
        { major: 8, op: 'Read', value: 1 }, { major: 8, op: 'Write', value: 2 },
        { major: 254, minor: 16, op: 'Read' }, { major: 254, minor: 16, op: 'Write', value: 1 },
      ],
    });
    // No hugetlb files: the controller is not enabled for this cgroup.
    expect(s.hugetlb).toEqual({});
  });

  it('v2: swap without a limit stays unlimited; no swap accounting counts memory only', () => {
    lay({ 'cg/memory.stat': '', 'cg/memory.current': '100\n', 'cg/memory.max': '1000\n', 'cg/memory.swap.current': '5\n', 'cg/memory.swap.max': 'max\n', 'cg/cgroup.procs': '' });
    expect(parsed(v2()).memory.swap).toEqual({ limit: 18446744073709551615, usage: 105, failcnt: 0 });
    rmSync(path.join(dir, 'cg/memory.swap.current'));
    expect(parsed(v2()).memory.swap).toEqual({ limit: 1000, usage: 100, failcnt: 0 });
  });

  it('v2: every failing controller is reported at once', () => {
    lay({ 'cg/cpu.stat': 'usage_usec\n', 'cg/io.stat': 'x:1 rbytes=1\n', 'cg/cgroup.procs': '' });
    expect(() => stats(v2())).toThrow(/io\.stat: x:1 is not major:minor; parse .*cpu\.stat: line usage_usec is not "key value"$/);
  });
});

describe('--interval: Go durations', () => {
  it.each([
    ['5s', 5e9], ['100ms', 1e8], ['1m30s', 9e10], ['1.5h', 5.4e12], ['-2s', -2e9], ['+3s', 3e9], ['0', 0], ['-0', 0],
    ['1us', 1e3], ['1\u00b5s', 1e3], ['1\u03bcs', 1e3], ['.5s', 5e8], ['5.s', 5e9], ['1h2m3s4ms5us6ns', 3723004005006],
    ['0.000000001s', 1], ['2562047h', 9223369200000000000], ['-9223372036854775808ns', -9223372036854775808],
  ])('%s is %d ns', (text, ns) => expect(native().parseDuration(text)).toBe(ns));

  it.each([
    ['', 'time: invalid duration ""'],
    ['5', 'time: missing unit in duration "5"'],
    ['1x', 'time: unknown unit "x" in duration "1x"'],
    ['5 s', 'time: unknown unit " s" in duration "5 s"'],
    ['s', 'time: invalid duration "s"'],
    ['.s', 'time: invalid duration ".s"'],
    ['1.2.3s', 'time: missing unit in duration "1.2.3s"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['2562048h', 'time: invalid duration "2562048h"'],
  ])('%j is refused: %s', (text, message) => expect(() => native().parseDuration(text)).toThrow(message));
});
