// Checks of the process attributes runts-init sets with a system call each
// (linux.personality, process.ioPriority, process.scheduler,
// linux.memoryPolicy, process.execCPUAffinity) and the refusal of
// linux.intelRdt: what the schema cannot say, and what the kernel would
// refuse with a bare EINVAL at run time, reported with its JSON path before
// anything is done. semantic.ts calls checkProcessFields.
import type { HostProbe } from '../plan/host';
import {
  IOPRIO_CLASSES, MAX_CPUS, MAX_NUMA_NODES, MPOL_FLAGS, MPOL_MODES, MPOL_NEED_NODES, MPOL_NO_NODES, parseIdList,
  PERSONALITY_DOMAINS, REALTIME_POLICIES, SCHED_FLAGS, SCHED_POLICIES,
} from '../plan/process-fields';
import { joinPath } from './json-path';

type Json = Record<string, unknown>;
export type Report = (path: string, message: string) => void;

const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const known = (table: Readonly<Record<string, number>>) => Object.keys(table).join(', ');
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The smallest SCHED_DEADLINE runtime the kernel takes (1 << DL_SCALE ns). */
const DL_MIN_RUNTIME = 1024;

function checkNames(report: Report, path: string, list: unknown, table: Readonly<Record<string, number>>, what: string): string[] {
  const names: string[] = [];
  arr(list).forEach((v, i) => {
    if (typeof v !== 'string') return;
    if (!(v in table)) report(joinPath(path, i), `unknown ${what} "${v}" (known: ${known(table)})`);
    else names.push(v);
  });
  return names;
}

function checkPersonality(report: Report, p: Json): void {
  const domain = p.domain;
  if (typeof domain === 'string' && !(domain in PERSONALITY_DOMAINS)) {
    report('linux.personality.domain', `unknown execution domain "${domain}" (known: ${known(PERSONALITY_DOMAINS)})`);
  }
  arr(p.flags).forEach((f, i) => {
    report(joinPath('linux.personality.flags', i), `${JSON.stringify(f)} is not supported: the runtime-spec defines no personality flags yet, so none is applied`);
  });
}

function checkIoPriority(report: Report, io: Json): void {
  const cls = io.class;
  if (typeof cls === 'string' && !(cls in IOPRIO_CLASSES)) {
    report('process.ioPriority.class', `unknown I/O priority class "${cls}" (known: ${known(IOPRIO_CLASSES)})`);
  }
  const prio = io.priority;
  if (prio !== undefined && (!isInt(prio) || prio < 0 || prio > 7)) {
    report('process.ioPriority.priority', `must be an integer from 0 (highest) to 7 (lowest), got ${JSON.stringify(prio)}`);
  }
}

function checkDeadline(report: Report, s: Json): void {
  for (const k of ['runtime', 'deadline', 'period']) {
    const v = s[k];
    // Past 2^53 a JSON number is no longer exact; the kernel's limit (2^63 ns) is far beyond any sane period.
    if (typeof v === 'number' && v > Number.MAX_SAFE_INTEGER) report(joinPath('process.scheduler', k), `${v} is too large: at most ${Number.MAX_SAFE_INTEGER} ns`);
  }
  const n = (k: string) => (isInt(s[k]) ? (s[k] as number) : 0);
  const runtime = n('runtime');
  const deadline = n('deadline');
  const period = n('period');
  if (deadline === 0) report('process.scheduler.deadline', 'is required for SCHED_DEADLINE (nanoseconds, greater than 0)');
  if (runtime < DL_MIN_RUNTIME) report('process.scheduler.runtime', `must be at least ${DL_MIN_RUNTIME} ns for SCHED_DEADLINE, got ${runtime}`);
  else if (deadline > 0 && runtime > deadline) report('process.scheduler.runtime', `${runtime} is above the deadline ${deadline}: the kernel needs runtime <= deadline <= period`);
  if (period !== 0 && deadline > period) report('process.scheduler.period', `${period} is below the deadline ${deadline}: the kernel needs runtime <= deadline <= period`);
}

function checkScheduler(report: Report, s: Json): void {
  const policy = typeof s.policy === 'string' ? s.policy : undefined;
  if (policy !== undefined && !(policy in SCHED_POLICIES)) {
    report('process.scheduler.policy', `unknown scheduling policy "${policy}" (known: ${known(SCHED_POLICIES)})`);
    return;
  }
  if (policy === 'SCHED_ISO') {
    report('process.scheduler.policy', 'SCHED_ISO is reserved by Linux but was never implemented: the kernel refuses it');
    return;
  }
  const nice = s.nice;
  if (nice !== undefined && (!isInt(nice) || nice < -20 || nice > 19)) {
    report('process.scheduler.nice', `must be an integer from -20 to 19, got ${JSON.stringify(nice)}`);
  }
  const prio = s.priority;
  const realtime = policy !== undefined && REALTIME_POLICIES.has(policy);
  if (prio !== undefined) {
    if (!isInt(prio)) report('process.scheduler.priority', `must be an integer, got ${JSON.stringify(prio)}`);
    else if (realtime && (prio < 1 || prio > 99)) report('process.scheduler.priority', `must be from 1 to 99 for ${policy}, got ${prio}`);
    else if (!realtime && prio !== 0) report('process.scheduler.priority', `can only be set for SCHED_FIFO and SCHED_RR (the kernel refuses a static priority for ${policy ?? 'this policy'})`);
  } else if (realtime) {
    report('process.scheduler.priority', `is required for ${policy}: a real-time priority from 1 to 99 (the spec's default 0 is refused by the kernel)`);
  }
  checkNames(report, 'process.scheduler.flags', s.flags, SCHED_FLAGS, 'scheduler flag');
  if (policy === 'SCHED_DEADLINE') checkDeadline(report, s);
  else {
    for (const k of ['runtime', 'deadline', 'period']) {
      if (s[k] !== undefined && s[k] !== 0) report(joinPath('process.scheduler', k), 'can only be set for SCHED_DEADLINE');
    }
  }
}

function checkMemoryPolicy(report: Report, m: Json): void {
  const mode = typeof m.mode === 'string' ? m.mode : undefined;
  if (mode !== undefined && !(mode in MPOL_MODES)) {
    report('linux.memoryPolicy.mode', `unknown memory policy mode "${mode}" (known: ${known(MPOL_MODES)})`);
    return;
  }
  const flags = checkNames(report, 'linux.memoryPolicy.flags', m.flags, MPOL_FLAGS, 'memory policy flag');
  // undefined: the list is malformed (and reported already).
  let nodeCount: number | undefined = 0;
  if (typeof m.nodes === 'string') {
    const r = parseIdList(m.nodes, MAX_NUMA_NODES);
    if (!r.ok) report('linux.memoryPolicy.nodes', `"${m.nodes}" is not a node list such as "0-3,5": ${r.why}`);
    nodeCount = r.ok ? r.bits.length : undefined;
  }
  if (mode === undefined) return;
  if (nodeCount !== undefined && MPOL_NO_NODES.has(mode) && nodeCount > 0) {
    report('linux.memoryPolicy.nodes', `must be empty for ${mode}, which takes no nodes`);
  }
  if (nodeCount === 0 && MPOL_NEED_NODES.has(mode)) {
    report('linux.memoryPolicy.nodes', `is required for ${mode}: at least one node, e.g. "0"`);
  }
  const has = (f: string) => flags.includes(f);
  if (has('MPOL_F_STATIC_NODES') && has('MPOL_F_RELATIVE_NODES')) {
    report('linux.memoryPolicy.flags', 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other');
  }
  if (mode === 'MPOL_LOCAL' && (has('MPOL_F_STATIC_NODES') || has('MPOL_F_RELATIVE_NODES'))) {
    report('linux.memoryPolicy.flags', 'MPOL_LOCAL takes neither MPOL_F_STATIC_NODES nor MPOL_F_RELATIVE_NODES');
  }
  if (has('MPOL_F_NUMA_BALANCING') && mode !== 'MPOL_BIND' && mode !== 'MPOL_PREFERRED_MANY') {
    report('linux.memoryPolicy.flags', `MPOL_F_NUMA_BALANCING needs mode MPOL_BIND or MPOL_PREFERRED_MANY, not ${mode}`);
  }
}

function checkCpuAffinity(report: Report, a: Json): void {
  for (const k of ['initial', 'final']) {
    const v = a[k];
    if (typeof v !== 'string') continue;
    const r = parseIdList(v, MAX_CPUS);
    if (!r.ok) report(joinPath('process.execCPUAffinity', k), `"${v}" is not a CPU list such as "0-3,7": ${r.why}`);
  }
}

function refuseIntelRdt(report: Report, host: HostProbe): void {
  // Refused on every host, with or without resctrl: see docs/process-fields.md.
  const why = host.exists('/sys/fs/resctrl/schemata')
    ? 'Intel RDT is not implemented by runts yet (this host has resctrl, but runts would have to create, fill and remove its CLOS groups, and that code cannot be tested where runts is developed)'
    : 'Intel RDT needs the resctrl filesystem, and this host has none (nothing is mounted at /sys/fs/resctrl); runts does not implement Intel RDT yet either';
  report('linux.intelRdt', `${why}; remove it from config.json`);
}

export function checkProcessFields(report: Report, config: Json, host: HostProbe): void {
  const proc = obj(config.process);
  const linux = obj(config.linux);
  const personality = obj(linux?.personality);
  if (personality) checkPersonality(report, personality);
  const io = obj(proc?.ioPriority);
  if (io) checkIoPriority(report, io);
  const sched = obj(proc?.scheduler);
  if (sched) checkScheduler(report, sched);
  const mem = obj(linux?.memoryPolicy);
  if (mem) checkMemoryPolicy(report, mem);
  const affinity = obj(proc?.execCPUAffinity);
  if (affinity) checkCpuAffinity(report, affinity);
  if (linux?.intelRdt !== undefined) refuseIntelRdt(report, host);
}
