// linux.resources as cgroup writes. The planner is pure: it turns the
// runtime-spec fields into an ordered list of writes, each naming its
// controller, file, value and the JSON path it came from, converted and
// ordered as runc 1.1/1.2 does (resources-v1.ts for the v1 files,
// resources-v2.ts for cgroup v2). The little it must know of the cgroup as
// it is (which of two weight files the kernel has, the memory limit in
// force) comes from a probe that only reads. resources-apply.ts writes the
// plan.
import type { ConfigProblem } from '../errors';
import { joinPath } from '../config/json-path';

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCpu {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  pageSize: string;
  limit: number;
}

export interface LinuxNetwork {
  classID?: number;
  priorities?: { name: string; priority: number }[];
}

export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

/** linux.resources of the runtime-spec (devices are src/cgroups/devices.ts'). */
export interface LinuxResources {
  devices?: unknown[];
  memory?: LinuxMemory;
  cpu?: LinuxCpu;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  pids?: { limit: number };
  rdma?: Record<string, LinuxRdma>;
  unified?: Record<string, string>;
}

/** One write(2) of a value to a file of the container's cgroup. */
export interface ResourceWrite {
  /**
   * The controller whose directory holds the file: on v1 it picks the
   * hierarchy ("memory" is in "/sys/fs/cgroup/memory/..."); on v2 every file
   * is in the one directory, and it names the controller that must be
   * enabled there ("cgroup" for the core files).
   */
  controller: string;
  file: string;
  value: string;
  /** The JSON path of the field the write comes from. */
  field: string;
  /**
   * EINVAL is retried once right after the write of this file (runc's
   * order for a CFS period or burst the kernel refuses until the new quota
   * is in).
   */
  retryAfter?: string;
  /** A missing file (ENOENT) means the kernel lacks the feature: skip, as runc does. */
  skipIfMissing?: boolean;
  /**
   * Read the file back; if the kernel did not keep the value (a knob it
   * accepts and ignores), warn with this text.
   */
  warnIfIgnored?: string;
}

/** Reads of the container's own cgroup (never a change). */
export interface ResourceProbe {
  /** Whether the controller's directory of the container has the file. */
  exists(controller: string, file: string): boolean;
  /** The file's content, trimmed; undefined when it cannot be read. */
  read(controller: string, file: string): string | undefined;
}

/**
 * runc's update merges the new values into the resources it saved at
 * create and writes them all. runts keeps no copy of the resources: where a
 * conversion needs a value the update does not give, it is read from the
 * cgroup, which holds exactly what was last written. At create there is none.
 */
export interface CurrentValues {
  /** The memory limit in force; -1 for none. */
  memoryLimit?: number;
  /** memory+swap in force (v2: memory.max + memory.swap.max); -1 for none. */
  memorySwap?: number;
  /** The CFS quota in force; -1 for none. */
  cpuQuota?: number;
  cpuPeriod?: number;
}

export interface PlanContext {
  /** JSON path of the resources object ("linux.resources"; "" for an update document). */
  base: string;
  probe: ResourceProbe;
  current?: CurrentValues;
}

export interface ResourcePlan {
  writes: ResourceWrite[];
  /** What only the cgroup itself could tell was impossible (nothing is written then). */
  problems: ConfigProblem[];
  /** Fields runc ignores, and runts with it, said out loud. */
  warnings: string[];
}

/** The plan's builder: writes in order, problems and warnings. */
export class PlanBuilder {
  readonly writes: ResourceWrite[] = [];
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];
  constructor(readonly ctx: PlanContext) {}

  path(...keys: (string | number)[]): string {
    return keys.reduce<string>((p, k) => joinPath(p, k), this.ctx.base);
  }

  write(controller: string, file: string, value: string, field: string, flags: Pick<ResourceWrite, 'retryAfter' | 'skipIfMissing' | 'warnIfIgnored'> = {}): void {
    this.writes.push({ controller, file, value, field, ...flags });
  }

  problem(field: string, message: string): void {
    this.problems.push({ path: field, message });
  }

  result(): ResourcePlan {
    return { writes: this.writes, problems: this.problems, warnings: this.warnings };
  }
}

/**
 * A JSON integer as the decimal a cgroup file takes. Numbers above 2^53 have
 * lost their last digits in JSON.parse already; 2^63 is what INT64_MAX (the
 * "no limit" some engines send) becomes, and it is written back as INT64_MAX.
 */
export function decimal(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  if (n === 2 ** 63) return '9223372036854775807';
  return BigInt(Math.trunc(n)).toString();
}

/** runc's ConvertCPUSharesToCgroupV2Value (runc 1.1/1.2): [2, 262144] to [1, 10000]. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** runc's ConvertBlkIOToIOWeightValue: blkio [10, 1000] to io.weight [1, 10000]. */
export function blkioToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * runc's ConvertMemorySwapToCgroupV2Value: the spec's swap is memory+swap,
 * v2's memory.swap.max is swap alone. Returns the value, or why not.
 */
export function memorySwapToV2(memorySwap: number, memory: number): number | { error: string } {
  if (memory === -1 && memorySwap === 0) return -1;
  if (memorySwap === -1 || memorySwap === 0) return memorySwap;
  if (memory === -1) return memorySwap;
  if (memory === 0) return { error: 'unable to set swap limit without memory limit' };
  if (memory < 0) return { error: `invalid memory value: ${memory}` };
  if (memorySwap < memory) return { error: 'memory+swap limit should be >= memory limit' };
  return memorySwap - memory;
}

/** Sorted keys: runc walks Go maps (rdma, unified) in random order; runts in a fixed one. */
export function sortedEntries<V>(map: Record<string, V> | undefined): [string, V][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export const KERNEL_MEMORY_IGNORED = 'Kernel memory settings are ignored and will be removed';
