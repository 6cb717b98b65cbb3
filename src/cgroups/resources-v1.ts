// cgroup v1: each controller has its own hierarchy and files. The writes
// follow runc's fs manager (libcontainer/cgroups/fs, runc 1.1/1.2): the
// subsystems in its order (cpuset, memory, cpu, pids, blkio, hugetlb,
// net_cls, net_prio, rdma) and, within each, its order and its conditions
// (a 0 means "not set" where runc reads it so).
import {
  decimal,
  KERNEL_MEMORY_IGNORED,
  sortedEntries,
  type LinuxBlockIO,
  type LinuxCpu,
  type LinuxMemory,
  type LinuxResources,
  type LinuxThrottleDevice,
  type PlanBuilder,
} from './resources';

function cpuset(cpu: LinuxCpu | undefined, b: PlanBuilder): void {
  if (cpu?.cpus) b.write('cpuset', 'cpuset.cpus', cpu.cpus, b.path('cpu', 'cpus'));
  if (cpu?.mems) b.write('cpuset', 'cpuset.mems', cpu.mems, b.path('cpu', 'mems'));
}

/**
 * runc's setMemoryAndSwap. The kernel keeps memory.limit_in_bytes <=
 * memory.memsw.limit_in_bytes at every moment, so when both change the
 * order depends on the limit in force: raising both writes memsw first,
 * lowering both writes the limit first.
 */
function memoryAndSwap(m: LinuxMemory, b: PlanBuilder): void {
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  let swapField = b.path('memory', 'swap');
  const memsw = 'memory.memsw.limit_in_bytes';
  // An unlimited memory without a swap value means unlimited swap too
  // (where the kernel accounts swap).
  if (limit === -1 && swap === 0 && b.ctx.probe.exists('memory', memsw)) {
    swap = -1;
    swapField = b.path('memory', 'limit');
  }
  const writeLimit = () => {
    if (limit !== 0) b.write('memory', 'memory.limit_in_bytes', decimal(limit), b.path('memory', 'limit'));
  };
  const writeSwap = () => {
    // "No swap limit" means nothing where the kernel does not account swap.
    if (swap !== 0) b.write('memory', memsw, decimal(swap), swapField, swap === -1 ? { skipIfMissing: true } : {});
  };
  if (limit !== 0 && swap !== 0) {
    const current = Number(b.ctx.probe.read('memory', 'memory.limit_in_bytes'));
    if (swap === -1 || current < swap) {
      writeSwap();
      writeLimit();
      return;
    }
  }
  writeLimit();
  writeSwap();
}

function kernelMemory(m: LinuxMemory, b: PlanBuilder): void {
  const knobs = [
    ['kernel', 'memory.kmem.limit_in_bytes'],
    ['kernelTCP', 'memory.kmem.tcp.limit_in_bytes'],
  ] as const;
  for (const [key, file] of knobs) {
    const value = m[key];
    if (value === undefined) continue;
    const field = b.path('memory', key);
    // runc 1.1/1.2 ignores both; runts writes them where the kernel still
    // has the file, and says so where the kernel takes the write and
    // ignores it (memory.kmem.limit_in_bytes on Linux 6.x).
    if (!b.ctx.probe.exists('memory', file)) {
      b.warnings.push(`${field}: ${KERNEL_MEMORY_IGNORED} (this kernel has no ${file})`);
      continue;
    }
    b.write('memory', file, decimal(value), field, {
      warnIfIgnored: `${field}: the kernel accepts ${file} but does not enforce it (kernel memory is counted in the memory limit)`,
    });
  }
}

function memory(m: LinuxMemory | undefined, b: PlanBuilder): void {
  if (!m) return;
  memoryAndSwap(m, b);
  kernelMemory(m, b);
  if (m.useHierarchy !== undefined) b.write('memory', 'memory.use_hierarchy', m.useHierarchy ? '1' : '0', b.path('memory', 'useHierarchy'));
  if (m.reservation) b.write('memory', 'memory.soft_limit_in_bytes', decimal(m.reservation), b.path('memory', 'reservation'));
  if (m.disableOOMKiller) b.write('memory', 'memory.oom_control', '1', b.path('memory', 'disableOOMKiller'));
  if (m.swappiness !== undefined && m.swappiness !== -1) {
    b.write('memory', 'memory.swappiness', decimal(m.swappiness), b.path('memory', 'swappiness'));
  }
}

function cpu(c: LinuxCpu | undefined, b: PlanBuilder): void {
  if (!c) return;
  const quota = c.quota ?? 0;
  if (c.shares) b.write('cpu', 'cpu.shares', decimal(c.shares), b.path('cpu', 'shares'));
  // A period shorter than the current one can be refused (EINVAL) until
  // the new quota is in: runc then writes it again after the quota.
  const retry = quota !== 0 ? { retryAfter: 'cpu.cfs_quota_us' } : {};
  if (c.period) b.write('cpu', 'cpu.cfs_period_us', decimal(c.period), b.path('cpu', 'period'), retry);
  if (c.burst !== undefined) b.write('cpu', 'cpu.cfs_burst_us', decimal(c.burst), b.path('cpu', 'burst'), retry);
  if (quota) b.write('cpu', 'cpu.cfs_quota_us', decimal(quota), b.path('cpu', 'quota'));
  if (c.idle !== undefined) b.write('cpu', 'cpu.idle', decimal(c.idle), b.path('cpu', 'idle'));
  if (c.realtimePeriod) b.write('cpu', 'cpu.rt_period_us', decimal(c.realtimePeriod), b.path('cpu', 'realtimePeriod'));
  if (c.realtimeRuntime) b.write('cpu', 'cpu.rt_runtime_us', decimal(c.realtimeRuntime), b.path('cpu', 'realtimeRuntime'));
}

const THROTTLES = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
] as const;

function blkio(io: LinuxBlockIO | undefined, b: PlanBuilder): void {
  if (!io) return;
  // CFQ's blkio.weight went with CFQ in Linux 5.0; BFQ has its own files.
  const cfq = b.ctx.probe.exists('blkio', 'blkio.weight');
  const weightFile = cfq ? 'blkio.weight' : 'blkio.bfq.weight';
  const weightDeviceFile = cfq ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
  if (io.weight) b.write('blkio', weightFile, decimal(io.weight), b.path('blockIO', 'weight'));
  if (io.leafWeight) b.write('blkio', 'blkio.leaf_weight', decimal(io.leafWeight), b.path('blockIO', 'leafWeight'));
  (io.weightDevice ?? []).forEach((wd, i) => {
    const dev = `${decimal(wd.major)}:${decimal(wd.minor)}`;
    if (wd.weight) b.write('blkio', weightDeviceFile, `${dev} ${decimal(wd.weight)}`, b.path('blockIO', 'weightDevice', i, 'weight'));
    if (wd.leafWeight) {
      b.write('blkio', 'blkio.leaf_weight_device', `${dev} ${decimal(wd.leafWeight)}`, b.path('blockIO', 'weightDevice', i, 'leafWeight'));
    }
  });
  for (const [key, file] of THROTTLES) {
    (io[key] ?? []).forEach((td: LinuxThrottleDevice, i) => {
      b.write('blkio', file, `${decimal(td.major)}:${decimal(td.minor)} ${decimal(td.rate)}`, b.path('blockIO', key, i));
    });
  }
}

export function planV1(r: LinuxResources, b: PlanBuilder): void {
  cpuset(r.cpu, b);
  memory(r.memory, b);
  cpu(r.cpu, b);
  if (r.pids) b.write('pids', 'pids.max', r.pids.limit > 0 ? decimal(r.pids.limit) : 'max', b.path('pids', 'limit'));
  blkio(r.blockIO, b);
  (r.hugepageLimits ?? []).forEach((h, i) => {
    const field = b.path('hugepageLimits', i);
    b.write('hugetlb', `hugetlb.${h.pageSize}.limit_in_bytes`, decimal(h.limit), field);
    // Reservations (Linux 5.7+) get the same limit, where the kernel has them.
    b.write('hugetlb', `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, decimal(h.limit), field, { skipIfMissing: true });
  });
  if (r.network?.classID) b.write('net_cls', 'net_cls.classid', decimal(r.network.classID), b.path('network', 'classID'));
  (r.network?.priorities ?? []).forEach((p, i) => {
    b.write('net_prio', 'net_prio.ifpriomap', `${p.name} ${decimal(p.priority)}`, b.path('network', 'priorities', i));
  });
  for (const [device, limits] of sortedEntries(r.rdma)) {
    b.write('rdma', 'rdma.max', rdmaLine(device, limits), b.path('rdma', device));
  }
  if (r.unified && Object.keys(r.unified).length) {
    b.problem(b.path('unified'), 'invalid configuration: cannot use unified on cgroup v1 (runts, like runc, writes cgroup v2 files only on a cgroup v2 host)');
  }
}

/** runc's rdma.max line: "<device> hca_handle=N hca_object=M". */
export function rdmaLine(device: string, limits: { hcaHandles?: number; hcaObjects?: number }): string {
  let line = device;
  if (limits.hcaHandles !== undefined) line += ` hca_handle=${decimal(limits.hcaHandles)}`;
  if (limits.hcaObjects !== undefined) line += ` hca_object=${decimal(limits.hcaObjects)}`;
  return line;
}
