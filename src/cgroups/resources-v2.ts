// cgroup v2: one directory, the unified files. The writes follow runc's
// fs2 manager (runc 1.1/1.2): pids, memory, io, cpu, cpuset, hugetlb, rdma,
// then the raw `unified` files, with runc's conversions of the v1-shaped
// spec values (shares to cpu.weight, blkio weight to io.weight, memory+swap
// to memory.swap.max). Where v2 has no file for a field (swappiness,
// real-time periods, leaf weights, net_cls/net_prio) runc drops the value
// silently; runts refuses it, with the reason.
import type { ConfigProblem } from '../errors';
import {
  blkioToIoWeight,
  decimal,
  KERNEL_MEMORY_IGNORED,
  memorySwapToV2,
  sharesToWeight,
  sortedEntries,
  type LinuxBlockIO,
  type LinuxCpu,
  type LinuxMemory,
  type LinuxResources,
  type PlanBuilder,
} from './resources';
import { rdmaLine } from './resources-v1';

type PathOf = (...keys: (string | number)[]) => string;

/** The fields cgroup v2 cannot express, each with its reason. */
export function v2Unsupported(r: LinuxResources, at: PathOf): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const no = (path: string, message: string) => out.push({ path, message });
  const m = r.memory;
  if (m?.swappiness !== undefined && m.swappiness !== -1) {
    no(at('memory', 'swappiness'), 'cgroup v2 has no per-cgroup swappiness (no memory.swappiness): remove it, or use memory.swap / unified "memory.swap.max"');
  }
  if (m?.disableOOMKiller) no(at('memory', 'disableOOMKiller'), 'cgroup v2 cannot disable the OOM killer (there is no memory.oom_control)');
  if (m?.useHierarchy === false) no(at('memory', 'useHierarchy'), 'cgroup v2 is always hierarchical: false cannot be honoured');
  if (r.cpu?.realtimePeriod) no(at('cpu', 'realtimePeriod'), 'cgroup v2 has no real-time group scheduling (no cpu.rt_period_us)');
  if (r.cpu?.realtimeRuntime) no(at('cpu', 'realtimeRuntime'), 'cgroup v2 has no real-time group scheduling (no cpu.rt_runtime_us)');
  if (r.blockIO?.leafWeight) no(at('blockIO', 'leafWeight'), 'cgroup v2 has no leaf weights (blkio.leaf_weight is cgroup v1, CFQ)');
  (r.blockIO?.weightDevice ?? []).forEach((wd, i) => {
    if (wd.leafWeight) no(at('blockIO', 'weightDevice', i, 'leafWeight'), 'cgroup v2 has no leaf weights');
  });
  if (r.network?.classID) no(at('network', 'classID'), 'net_cls is a cgroup v1 controller: cgroup v2 has no class id');
  if (r.network?.priorities?.length) no(at('network', 'priorities'), 'net_prio is a cgroup v1 controller: cgroup v2 has no interface priorities');
  return out;
}

/** runc's numToStr for .max/.low files: 0 is "not set", -1 is "max". */
function numToStr(n: number): string {
  if (n === 0) return '';
  if (n === -1) return 'max';
  return decimal(n);
}

function memory(m: LinuxMemory | undefined, b: PlanBuilder): void {
  if (!m) return;
  for (const key of ['kernel', 'kernelTCP'] as const) {
    if (m[key] !== undefined) b.warnings.push(`${b.path('memory', key)}: ${KERNEL_MEMORY_IGNORED} (cgroup v2 counts kernel memory in memory.max)`);
  }
  const limit = m.limit ?? 0;
  const reservation = m.reservation ?? 0;
  const swapGiven = m.swap ?? 0;
  if (!limit && !reservation && !swapGiven) return;
  const current = b.ctx.current;
  if (m.checkBeforeUpdate && (limit > 0 || swapGiven > 0)) {
    const usage = Number(b.ctx.probe.read('memory', 'memory.current'));
    // As runc: a best effort, skipped when the usage cannot be read.
    if (Number.isFinite(usage)) {
      if (swapGiven > 0 && swapGiven <= usage) b.problem(b.path('memory', 'swap'), `rejecting memory+swap limit ${decimal(swapGiven)} <= usage ${usage} (checkBeforeUpdate)`);
      if (limit > 0 && limit <= usage) b.problem(b.path('memory', 'limit'), `rejecting memory limit ${decimal(limit)} <= usage ${usage} (checkBeforeUpdate)`);
    }
  }
  // An update that changes only one of the two gets the other from the
  // cgroup, as runc's gets it from its saved config.
  const memoryForSwap = limit !== 0 ? limit : (current?.memoryLimit ?? 0);
  let swapTotal = swapGiven;
  if (m.swap === undefined && limit !== 0 && (current?.memorySwap ?? 0) > 0) swapTotal = current?.memorySwap ?? 0;
  const swap = memorySwapToV2(swapTotal, memoryForSwap);
  const swapField = b.path('memory', swapGiven !== 0 ? 'swap' : 'limit');
  if (typeof swap === 'object') {
    b.problem(swapField, `${swap.error} (cgroup v2's memory.swap.max is memory.swap minus memory.limit)`);
    return;
  }
  let swapStr = numToStr(swap);
  // memory and memory+swap the same: no swap at all.
  if (swapStr === '' && swap === 0 && swapTotal > 0) swapStr = '0';
  // Without swap accounting there is no memory.swap.max: "max" and "0"
  // mean nothing then, any other value is refused by the kernel.
  if (swapStr) b.write('memory', 'memory.swap.max', swapStr, swapField, { skipIfMissing: swapStr === 'max' || swapStr === '0' });
  if (limit) b.write('memory', 'memory.max', numToStr(limit), b.path('memory', 'limit'));
  if (reservation) b.write('memory', 'memory.low', numToStr(reservation), b.path('memory', 'reservation'));
}

const THROTTLES = [
  ['throttleReadBpsDevice', 'rbps'],
  ['throttleWriteBpsDevice', 'wbps'],
  ['throttleReadIOPSDevice', 'riops'],
  ['throttleWriteIOPSDevice', 'wiops'],
] as const;

function io(blk: LinuxBlockIO | undefined, b: PlanBuilder): void {
  if (!blk) return;
  const weightDevices = blk.weightDevice ?? [];
  // BFQ's io.bfq.weight takes the blkio range as is; without BFQ, io.weight
  // takes 1..10000 and the value is converted.
  const bfq = (blk.weight || weightDevices.length > 0) && b.ctx.probe.exists('io', 'io.bfq.weight');
  if (blk.weight) {
    if (bfq) b.write('io', 'io.bfq.weight', decimal(blk.weight), b.path('blockIO', 'weight'));
    else b.write('io', 'io.weight', decimal(blkioToIoWeight(blk.weight)), b.path('blockIO', 'weight'));
  }
  if (weightDevices.length) {
    // Per-device BFQ weights (Linux 5.4+) read back as "default N" lines;
    // an older io.bfq.weight holds a single number.
    const perDevice = bfq && !/^\d+$/.test(b.ctx.probe.read('io', 'io.bfq.weight') ?? '');
    weightDevices.forEach((wd, i) => {
      if (wd.weight === undefined) return;
      const field = b.path('blockIO', 'weightDevice', i, 'weight');
      if (!perDevice) {
        b.problem(field, bfq
          ? 'this kernel\'s io.bfq.weight takes no per-device weights (Linux 5.4+)'
          : 'per-device weights need the BFQ I/O scheduler on cgroup v2 (io.bfq.weight), and this cgroup has none');
        return;
      }
      b.write('io', 'io.bfq.weight', `${decimal(wd.major)}:${decimal(wd.minor)} ${decimal(wd.weight)}`, field);
    });
  }
  for (const [key, name] of THROTTLES) {
    (blk[key] ?? []).forEach((td, i) => {
      b.write('io', 'io.max', `${decimal(td.major)}:${decimal(td.minor)} ${name}=${decimal(td.rate)}`, b.path('blockIO', key, i));
    });
  }
}

function cpu(c: LinuxCpu | undefined, b: PlanBuilder): void {
  if (!c) return;
  const quota = c.quota ?? 0;
  const period = c.period ?? 0;
  if (c.idle !== undefined) b.write('cpu', 'cpu.idle', decimal(c.idle), b.path('cpu', 'idle'));
  if (c.shares) b.write('cpu', 'cpu.weight', decimal(sharesToWeight(c.shares)), b.path('cpu', 'shares'));
  if (c.burst !== undefined) {
    b.write('cpu', 'cpu.max.burst', decimal(c.burst), b.path('cpu', 'burst'), quota !== 0 ? { retryAfter: 'cpu.max' } : {});
  }
  if (quota !== 0 || period !== 0) {
    // cpu.max holds both: the one not given is the one in force (runc:
    // the one in its saved config), the period's default is 100000.
    const q = quota !== 0 ? quota : (b.ctx.current?.cpuQuota ?? 0);
    const p = period !== 0 ? period : (b.ctx.current?.cpuPeriod ?? 100000);
    b.write('cpu', 'cpu.max', `${q > 0 ? decimal(q) : 'max'} ${decimal(p)}`, b.path('cpu', quota !== 0 ? 'quota' : 'period'));
  }
}

export function planV2(r: LinuxResources, b: PlanBuilder): void {
  b.problems.push(...v2Unsupported(r, (...keys) => b.path(...keys)));
  if (r.pids) b.write('pids', 'pids.max', r.pids.limit > 0 ? decimal(r.pids.limit) : 'max', b.path('pids', 'limit'));
  memory(r.memory, b);
  io(r.blockIO, b);
  cpu(r.cpu, b);
  if (r.cpu?.cpus) b.write('cpuset', 'cpuset.cpus', r.cpu.cpus, b.path('cpu', 'cpus'));
  if (r.cpu?.mems) b.write('cpuset', 'cpuset.mems', r.cpu.mems, b.path('cpu', 'mems'));
  (r.hugepageLimits ?? []).forEach((h, i) => {
    const field = b.path('hugepageLimits', i);
    b.write('hugetlb', `hugetlb.${h.pageSize}.max`, decimal(h.limit), field);
    b.write('hugetlb', `hugetlb.${h.pageSize}.rsvd.max`, decimal(h.limit), field, { skipIfMissing: true });
  });
  for (const [device, limits] of sortedEntries(r.rdma)) {
    b.write('rdma', 'rdma.max', rdmaLine(device, limits), b.path('rdma', device));
  }
  // Last, as runc: a raw file wins over the converted fields. A value of
  // several lines (io.max) is written a line at a time.
  for (const [key, value] of sortedEntries(r.unified)) {
    const controller = key.slice(0, Math.max(0, key.indexOf('.')));
    for (const line of value.split('\n')) {
      if (line !== '') b.write(controller, key, line, b.path('unified', key));
    }
  }
}
