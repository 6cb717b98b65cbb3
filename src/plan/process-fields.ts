// The process attributes runts-init sets with one system call each:
// personality(2), ioprio_set(2), sched_setattr(2), set_mempolicy(2) and the
// CPU affinity. Names become the kernel's numbers here and lists ("0-3,5")
// become bitmask words, so that the init only passes values on. The same
// tables serve validation (src/config/process-fields.ts) and `runts features`.
import type { Linux, Process } from '../config/types';

/** personality(2) domains (PER_LINUX, PER_LINUX32). */
export const PERSONALITY_DOMAINS: Readonly<Record<string, number>> = { LINUX: 0x0000, LINUX32: 0x0008 };

/** ioprio classes (include/uapi/linux/ioprio.h); the value is class << 13 | level. */
export const IOPRIO_CLASSES: Readonly<Record<string, number>> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
export const IOPRIO_CLASS_SHIFT = 13;

/** Scheduling policies (include/uapi/linux/sched.h). SCHED_ISO is reserved: Linux never implemented it. */
export const SCHED_POLICIES: Readonly<Record<string, number>> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};
export const SCHED_FLAGS: Readonly<Record<string, number>> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04, SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
export const REALTIME_POLICIES = new Set(['SCHED_FIFO', 'SCHED_RR']);

/** NUMA policy modes and mode flags (include/uapi/linux/mempolicy.h). */
export const MPOL_MODES: Readonly<Record<string, number>> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
};
export const MPOL_FLAGS: Readonly<Record<string, number>> = {
  MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15,
};
/** Modes that take no node list, and modes that cannot do without one. */
export const MPOL_NO_NODES = new Set(['MPOL_DEFAULT', 'MPOL_LOCAL']);
export const MPOL_NEED_NODES = new Set(['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY']);

/** The kernel's largest node count (MAX_NUMNODES with NODES_SHIFT 10): a bit past it is EINVAL. */
export const MAX_NUMA_NODES = 1024;
/** CPUs a mask may name (glibc's CPU_SETSIZE is 1024; kernels go to 8192). */
export const MAX_CPUS = 8192;

export type ListResult = { ok: true; bits: number[] } | { ok: false; why: string };

/**
 * Parses a cpuset-style list ("0-3,7", spaces allowed around items) into
 * the sorted numbers it names; every number must be below limit.
 */
export function parseIdList(text: string, limit: number): ListResult {
  const bits = new Set<number>();
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 1 && items[0] === '') return { ok: true, bits: [] };
  for (const item of items) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
    if (!m) return { ok: false, why: `"${item}" is not a number or a range "a-b"` };
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return { ok: false, why: `the range "${item}" ends before it starts` };
    if (hi >= limit) return { ok: false, why: `${hi} is beyond the limit (${limit - 1} is the highest possible)` };
    for (let b = lo; b <= hi; b++) bits.add(b);
  }
  return { ok: true, bits: [...bits].sort((a, b) => a - b) };
}

/** Bit numbers -> 64-bit words (decimal strings, lowest word first), as the kernel's unsigned long arrays. */
export function maskWords(bits: readonly number[]): string[] {
  const count = bits.length ? Math.floor(Math.max(...bits) / 64) + 1 : 0;
  const words = Array.from({ length: count }, () => 0n);
  for (const b of bits) words[Math.floor(b / 64)]! |= 1n << BigInt(b % 64);
  return words.map((w) => w.toString());
}

function listWords(text: string | undefined, limit: number): string[] {
  if (text === undefined) return [];
  const r = parseIdList(text, limit);
  // Validation refused a bad list before planning; an empty mask is the safe reading.
  return r.ok ? maskWords(r.bits) : [];
}

function nameMask(names: readonly string[] | undefined, table: Readonly<Record<string, number>>): number {
  return (names ?? []).reduce((mask, n) => mask | (table[n] ?? 0), 0);
}

export interface PlanPersonality {
  /** The personality(2) argument. */
  persona: number;
  domain: string;
}

export interface PlanIoPriority {
  /** ioprio_set's value: class << 13 | priority. */
  value: number;
  class: string;
  priority: number;
}

export interface PlanScheduler {
  policy: number;
  name: string;
  nice: number;
  priority: number;
  /** sched_attr.sched_flags; the 64-bit fields are decimal strings. */
  flags: string;
  runtime: string;
  deadline: string;
  period: string;
}

export interface PlanMemoryPolicy {
  /** set_mempolicy's mode argument: the mode ORed with its flags. */
  mode: number;
  name: string;
  /** The node mask, 64-bit words lowest first; empty for no nodes. */
  nodes: string[];
}

export interface PlanCpuAffinity {
  /**
   * Widen the init's affinity to every CPU its cpuset allows before the
   * program runs, as runc and crun do, so that a runtime started under
   * `taskset` does not pin the container.
   */
  resetToAll: boolean;
  /**
   * process.execCPUAffinity, recorded for exec: the spec says it does not
   * apply to the container's init process. initial is for the runtime's
   * process before it joins the cgroup, final after.
   */
  initial: string[] | null;
  final: string[] | null;
}

export function planPersonality(linux: Linux | undefined): PlanPersonality | null {
  const p = linux?.personality;
  if (!p) return null;
  return { persona: PERSONALITY_DOMAINS[p.domain] ?? 0, domain: p.domain };
}

export function planIoPriority(process: Process): PlanIoPriority | null {
  const io = process.ioPriority;
  if (!io) return null;
  const priority = io.priority ?? 0;
  return { value: ((IOPRIO_CLASSES[io.class] ?? 0) << IOPRIO_CLASS_SHIFT) | priority, class: io.class, priority };
}

/** The spec: nice, priority, runtime, deadline and period are 0 when not set. */
export function planScheduler(process: Process): PlanScheduler | null {
  const s = process.scheduler;
  if (!s) return null;
  const u64 = (v: number | undefined) => BigInt(Math.trunc(v ?? 0)).toString();
  return {
    policy: SCHED_POLICIES[s.policy] ?? 0,
    name: s.policy,
    nice: s.nice ?? 0,
    priority: s.priority ?? 0,
    flags: String(nameMask(s.flags, SCHED_FLAGS)),
    runtime: u64(s.runtime),
    deadline: u64(s.deadline),
    period: u64(s.period),
  };
}

export function planMemoryPolicy(linux: Linux | undefined): PlanMemoryPolicy | null {
  const m = linux?.memoryPolicy;
  if (!m) return null;
  return {
    mode: (MPOL_MODES[m.mode] ?? 0) | nameMask(m.flags, MPOL_FLAGS),
    name: m.mode,
    nodes: listWords(m.nodes, MAX_NUMA_NODES),
  };
}

export function planCpuAffinity(process: Process): PlanCpuAffinity {
  const a = process.execCPUAffinity;
  const words = (s: string | undefined) => (s === undefined || s.trim() === '' ? null : listWords(s, MAX_CPUS));
  return { resetToAll: true, initial: words(a?.initial), final: words(a?.final) };
}
