// The checks of linux.resources (and of an update's resources document)
// before any system call: values the kernel would refuse or that make no
// sense, fields this host's cgroups cannot take (a controller it lacks, a
// cgroup v2 host for a v1-only field), and unsafe `unified` keys. Every
// problem is reported with its JSON path. The checks also build the typed
// LinuxResources the planner (src/cgroups/resources*.ts) takes, keeping
// only well-typed fields: for config.json the JSON schema reports the
// types, for an update document (no schema) these checks do.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { CgroupLayout } from '../cgroups/layout';
import type {
  LinuxBlockIO,
  LinuxCpu,
  LinuxMemory,
  LinuxNetwork,
  LinuxRdma,
  LinuxResources,
  LinuxThrottleDevice,
  LinuxWeightDevice,
} from '../cgroups/resources';
import { realResourceFiles, type ResourceFiles } from '../cgroups/resources-apply';
import { v2Unsupported } from '../cgroups/resources-v2';
import type { ConfigProblem } from '../errors';
import { joinPath } from './json-path';

/** What this host's cgroups offer a container, read without changing anything. */
export interface ResourceHost {
  mode: CgroupLayout['mode'];
  /** The controllers the container's cgroups get (v1: the mounted hierarchies; v2: the root's cgroup.controllers). */
  controllers: ReadonlySet<string>;
  /** On a hybrid host: the controllers of the unified hierarchy (not used for limits). */
  unifiedControllers?: ReadonlySet<string>;
  /** The huge page sizes of this kernel ("2MB", "1GB"); undefined when unknown. */
  hugepageSizes?: readonly string[];
}

function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter(Boolean);
}

/** runc's getHugePageSizeFromFilenames: "hugepages-2048kB" is "2MB". */
export function hugepageSizeNames(entries: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const m = /^hugepages-(\d+)kB$/.exec(e);
    if (!m) continue;
    const kb = Number(m[1]);
    if (kb >= 1 << 20) out.push(`${kb >> 20}GB`);
    else if (kb >= 1 << 10) out.push(`${kb >> 10}MB`);
    else out.push(`${kb}KB`);
  }
  return out;
}

export function realResourceHost(layout: CgroupLayout, files: ResourceFiles = realResourceFiles): ResourceHost {
  let hugepageSizes: string[] | undefined;
  try {
    hugepageSizes = hugepageSizeNames(readdirSync('/sys/kernel/mm/hugepages'));
  } catch {
    hugepageSizes = [];
  }
  const unified = layout.hierarchies.find((h) => h.version === 2);
  const unifiedControllers = new Set(words(unified ? files.read(path.join(unified.mountPoint, 'cgroup.controllers')) : undefined));
  if (layout.mode === 'v2') {
    return { mode: 'v2', controllers: unifiedControllers, hugepageSizes };
  }
  const v1 = layout.hierarchies.filter((h) => h.version === 1);
  return {
    mode: layout.mode,
    controllers: new Set(v1.flatMap((h) => h.controllers.filter((c) => !c.startsWith('name=')))),
    unifiedControllers: layout.mode === 'hybrid' ? unifiedControllers : undefined,
    hugepageSizes,
  };
}

export interface ResourceCheckOptions {
  /** Report wrong types and ranges too (an update document, which has no schema). */
  types: boolean;
  /** The values are an update: the conversions may take the other half from the cgroup. */
  update?: boolean;
}

export interface ResourceCheckResult {
  problems: ConfigProblem[];
  warnings: string[];
  /** The well-typed fields, for the planner. */
  resources: LinuxResources;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

const INT_KINDS = {
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
  uint32: [0, 2 ** 32 - 1],
  uint16: [0, 2 ** 16 - 1],
} as const;
type IntKind = keyof typeof INT_KINDS;

const UNSAFE_CGROUP_FILES = new Set(['cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control', 'cgroup.type', 'cgroup.kill', 'cgroup.freeze']);
/** The core files a container may set: limits on its own sub-cgroups and pressure accounting. */
const CGROUP_FILES_ALLOWED = new Set(['cgroup.max.depth', 'cgroup.max.descendants', 'cgroup.pressure']);

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

class Checker {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];
  constructor(
    readonly host: ResourceHost,
    readonly opts: ResourceCheckOptions,
  ) {}

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** A type problem: only reported where no schema did it already. */
  typeProblem(path: string, message: string): void {
    if (this.opts.types) this.problem(path, message);
  }

  int(o: Json | undefined, key: string, at: string, kind: IntKind): number | undefined {
    const v = o?.[key];
    if (v === undefined) return undefined;
    const p = joinPath(at, key);
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.typeProblem(p, `must be an integer (${kind})`);
      return undefined;
    }
    const [min, max] = INT_KINDS[kind];
    if (v < min || v > max) {
      this.typeProblem(p, `${v} is out of the ${kind} range`);
      return undefined;
    }
    return v;
  }

  bool(o: Json | undefined, key: string, at: string): boolean | undefined {
    const v = o?.[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      this.typeProblem(joinPath(at, key), 'must be true or false');
      return undefined;
    }
    return v;
  }

  str(o: Json | undefined, key: string, at: string): string | undefined {
    const v = o?.[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      this.typeProblem(joinPath(at, key), 'must be a string');
      return undefined;
    }
    return v;
  }

  object(v: unknown, at: string): Json | undefined {
    if (v === undefined) return undefined;
    const o = obj(v);
    if (!o) this.typeProblem(at, 'must be an object');
    return o;
  }

  array(v: unknown, at: string): unknown[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.typeProblem(at, 'must be an array');
      return [];
    }
    return v;
  }

  /** The field needs a controller the container's cgroups will not have. */
  needs(controller: string, field: string): void {
    if (this.host.controllers.has(controller)) return;
    let where: string;
    if (this.host.mode === 'none') where = 'this host has no cgroups mounted';
    else if (this.host.mode === 'v2') where = `the cgroup v2 hierarchy does not offer it (its cgroup.controllers: "${[...this.host.controllers].join(' ')}")`;
    else if (this.host.unifiedControllers?.has(controller)) {
      where = 'it is not mounted as a v1 hierarchy; this hybrid host has it only in the unified hierarchy, where runts (as runc) sets no limits';
    } else where = 'it is not mounted as a v1 hierarchy under /sys/fs/cgroup';
    this.problem(field, `this host has no ${controller} cgroup controller (${where}): remove ${field} or run on a host with it`);
  }
}

function checkMemory(c: Checker, raw: unknown, at: string): LinuxMemory | undefined {
  const o = c.object(raw, at);
  if (!o) return undefined;
  const m: LinuxMemory = {};
  for (const key of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) {
    const v = c.int(o, key, at, 'int64');
    if (v === undefined) continue;
    if (v < -1) c.problem(joinPath(at, key), `${v} is not a memory size: use -1 for no limit, or a number of bytes`);
    else m[key] = v;
  }
  // -1 is runc's "not set" for an update; the schema (uint64) refuses it in config.json.
  const swappiness = c.opts.types && o.swappiness === -1 ? -1 : c.int(o, 'swappiness', at, 'uint64');
  if (swappiness !== undefined) {
    if (swappiness > 100) c.problem(joinPath(at, 'swappiness'), `invalid value: ${swappiness}: the valid memory swappiness range is 0-100`);
    else m.swappiness = swappiness;
  }
  for (const key of ['disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate'] as const) {
    const v = c.bool(o, key, at);
    if (v !== undefined) m[key] = v;
  }
  const limit = m.limit ?? 0;
  const swap = m.swap ?? 0;
  if (swap > 0 && limit > 0 && swap < limit) {
    c.problem(joinPath(at, 'swap'), `${swap} is below memory.limit ${limit}: swap is memory plus swap, so it must be >= the limit (or -1 for unlimited swap)`);
  }
  if (c.host.mode === 'v2' && swap > 0 && limit === 0 && !c.opts.update) {
    c.problem(joinPath(at, 'swap'), 'needs memory.limit on cgroup v2: memory.swap.max is memory.swap minus memory.limit (unable to set swap limit without memory limit)');
  }
  const uses = [
    ['limit', limit !== 0],
    ['reservation', Boolean(m.reservation)],
    ['swap', swap !== 0],
    ['kernelTCP', m.kernelTCP !== undefined && c.host.mode !== 'v2'],
    ['kernel', m.kernel !== undefined && c.host.mode !== 'v2'],
    ['swappiness', m.swappiness !== undefined && m.swappiness !== -1],
    ['disableOOMKiller', Boolean(m.disableOOMKiller)],
    ['useHierarchy', m.useHierarchy !== undefined],
  ] as const;
  for (const [key, used] of uses) if (used) c.needs('memory', joinPath(at, key));
  return m;
}

function checkCpu(c: Checker, raw: unknown, at: string): LinuxCpu | undefined {
  const o = c.object(raw, at);
  if (!o) return undefined;
  const cpu: LinuxCpu = {};
  const p = (k: string) => joinPath(at, k);
  const shares = c.int(o, 'shares', at, 'uint64');
  if (shares !== undefined) {
    if (shares !== 0 && (shares < 2 || shares > 262144)) c.problem(p('shares'), `${shares} is outside the kernel's range of cpu shares, 2..262144`);
    else cpu.shares = shares;
  }
  const quota = c.int(o, 'quota', at, 'int64');
  if (quota !== undefined) {
    if (quota < -1) c.problem(p('quota'), `${quota} is not a CFS quota: use -1 for no limit, or microseconds >= 1000`);
    else if (quota > 0 && quota < 1000) c.problem(p('quota'), `${quota} µs is below the kernel's minimum CFS quota of 1000 µs`);
    else cpu.quota = quota;
  }
  const period = c.int(o, 'period', at, 'uint64');
  if (period !== undefined) {
    if (period !== 0 && (period < 1000 || period > 1000000)) c.problem(p('period'), `${period} µs is outside the kernel's CFS period range, 1000..1000000 µs`);
    else cpu.period = period;
  }
  const burst = c.int(o, 'burst', at, 'uint64');
  if (burst !== undefined) {
    if (burst > 0 && (cpu.quota ?? 0) > 0 && burst > (cpu.quota ?? 0)) c.problem(p('burst'), `${burst} µs is above cpu.quota ${cpu.quota} µs: the kernel takes a burst of at most the quota`);
    else cpu.burst = burst;
  }
  const rtRuntime = c.int(o, 'realtimeRuntime', at, 'int64');
  if (rtRuntime !== undefined) {
    if (rtRuntime < -1) c.problem(p('realtimeRuntime'), `${rtRuntime} is not a real-time runtime: use -1 for no limit, or microseconds`);
    else cpu.realtimeRuntime = rtRuntime;
  }
  const rtPeriod = c.int(o, 'realtimePeriod', at, 'uint64');
  if (rtPeriod !== undefined) cpu.realtimePeriod = rtPeriod;
  if ((cpu.realtimeRuntime ?? 0) > 0 && (cpu.realtimePeriod ?? 0) > 0 && (cpu.realtimeRuntime ?? 0) > (cpu.realtimePeriod ?? 0)) {
    c.problem(p('realtimeRuntime'), `${cpu.realtimeRuntime} µs is above realtimePeriod ${cpu.realtimePeriod} µs`);
    delete cpu.realtimeRuntime;
  }
  const idle = c.int(o, 'idle', at, 'int64');
  if (idle !== undefined) {
    if (idle !== 0 && idle !== 1) c.problem(p('idle'), `${idle} is not 0 (normal) or 1 (SCHED_IDLE)`);
    else cpu.idle = idle;
  }
  for (const key of ['cpus', 'mems'] as const) {
    const v = c.str(o, key, at);
    if (v === undefined) continue;
    if (v !== '' && !CPU_LIST.test(v)) c.problem(p(key), `"${v}" is not a list such as "0-3,5"`);
    else cpu[key] = v;
  }
  for (const key of ['shares', 'quota', 'period', 'burst', 'realtimeRuntime', 'realtimePeriod'] as const) {
    if (cpu[key]) c.needs('cpu', p(key));
  }
  if (cpu.idle !== undefined) c.needs('cpu', p('idle'));
  if (cpu.cpus) c.needs('cpuset', p('cpus'));
  if (cpu.mems) c.needs('cpuset', p('mems'));
  return cpu;
}

function checkWeight(c: Checker, o: Json | undefined, key: string, at: string): number | undefined {
  const v = c.int(o, key, at, 'uint16');
  if (v === undefined) return undefined;
  if (v !== 0 && (v < 10 || v > 1000)) {
    c.problem(joinPath(at, key), `${v} is outside the block I/O weight range, 10..1000`);
    return undefined;
  }
  return v;
}

function checkDevice(c: Checker, o: Json | undefined, at: string): { major: number; minor: number } | undefined {
  const major = c.int(o, 'major', at, 'int64');
  const minor = c.int(o, 'minor', at, 'int64');
  if (o && (o.major === undefined || o.minor === undefined)) c.typeProblem(at, 'needs major and minor');
  if (major === undefined || minor === undefined) return undefined;
  if (major < 0 || minor < 0) {
    c.problem(at, `${major}:${minor} is not a device number`);
    return undefined;
  }
  return { major, minor };
}

const THROTTLE_KEYS = ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const;

function checkBlockIO(c: Checker, raw: unknown, at: string): LinuxBlockIO | undefined {
  const o = c.object(raw, at);
  if (!o) return undefined;
  const io: LinuxBlockIO = {};
  const controller = c.host.mode === 'v2' ? 'io' : 'blkio';
  const weight = checkWeight(c, o, 'weight', at);
  if (weight !== undefined) io.weight = weight;
  const leaf = checkWeight(c, o, 'leafWeight', at);
  if (leaf !== undefined) io.leafWeight = leaf;
  if (io.weight) {
    c.needs(controller, joinPath(at, 'weight'));
  }
  if (io.leafWeight) {
    c.needs(controller, joinPath(at, 'leafWeight'));
  }
  const wds: LinuxWeightDevice[] = [];
  c.array(o.weightDevice, joinPath(at, 'weightDevice')).forEach((raw, i) => {
    const p = joinPath(joinPath(at, 'weightDevice'), i);
    const e = c.object(raw, p);
    const dev = checkDevice(c, e, p);
    const w = checkWeight(c, e, 'weight', p);
    const l = checkWeight(c, e, 'leafWeight', p);
    if (!dev) return;
    const wd: LinuxWeightDevice = { ...dev };
    if (w !== undefined) wd.weight = w;
    if (l !== undefined) wd.leafWeight = l;
    wds.push(wd);
    if (w || l) c.needs(controller, p);
  });
  if (o.weightDevice !== undefined) io.weightDevice = wds;
  for (const key of THROTTLE_KEYS) {
    if (o[key] === undefined) continue;
    const list: LinuxThrottleDevice[] = [];
    c.array(o[key], joinPath(at, key)).forEach((raw, i) => {
      const p = joinPath(joinPath(at, key), i);
      const e = c.object(raw, p);
      const dev = checkDevice(c, e, p);
      const rate = c.int(e, 'rate', p, 'uint64');
      if (e && e.rate === undefined) c.typeProblem(p, 'needs a rate');
      if (!dev || rate === undefined) return;
      list.push({ ...dev, rate });
      c.needs(controller, p);
    });
    io[key] = list;
  }
  return io;
}

function checkHugepages(c: Checker, raw: unknown, at: string): LinuxResources['hugepageLimits'] {
  if (raw === undefined) return undefined;
  const out: NonNullable<LinuxResources['hugepageLimits']> = [];
  c.array(raw, at).forEach((item, i) => {
    const p = joinPath(at, i);
    const e = c.object(item, p);
    const pageSize = c.str(e, 'pageSize', p);
    const limit = c.int(e, 'limit', p, 'uint64');
    if (e && (e.pageSize === undefined || e.limit === undefined)) c.typeProblem(p, 'needs pageSize and limit');
    if (pageSize === undefined || limit === undefined) return;
    if (!/^[1-9][0-9]*[KMG]B$/.test(pageSize)) {
      c.typeProblem(joinPath(p, 'pageSize'), `"${pageSize}" is not a page size such as "2MB"`);
      return;
    }
    const sizes = c.host.hugepageSizes;
    if (sizes && !sizes.includes(pageSize)) {
      c.problem(joinPath(p, 'pageSize'), `this kernel has no ${pageSize} huge pages (it has ${sizes.length ? sizes.join(', ') : 'none'})`);
      return;
    }
    c.needs('hugetlb', p);
    out.push({ pageSize, limit });
  });
  return out;
}

function checkNetwork(c: Checker, raw: unknown, at: string): LinuxNetwork | undefined {
  const o = c.object(raw, at);
  if (!o) return undefined;
  const net: LinuxNetwork = {};
  const classID = c.int(o, 'classID', at, 'uint32');
  if (classID !== undefined) net.classID = classID;
  if (classID && c.host.mode !== 'v2') c.needs('net_cls', joinPath(at, 'classID'));
  if (o.priorities !== undefined) {
    net.priorities = [];
    c.array(o.priorities, joinPath(at, 'priorities')).forEach((item, i) => {
      const p = joinPath(joinPath(at, 'priorities'), i);
      const e = c.object(item, p);
      const name = c.str(e, 'name', p);
      const priority = c.int(e, 'priority', p, 'uint32');
      if (e && (e.name === undefined || e.priority === undefined)) c.typeProblem(p, 'needs name and priority');
      if (name === undefined || priority === undefined) return;
      if (!/^[^\s/]{1,15}$/.test(name)) {
        c.problem(joinPath(p, 'name'), `"${name}" is not a network interface name`);
        return;
      }
      net.priorities?.push({ name, priority });
      if (c.host.mode !== 'v2') c.needs('net_prio', p);
    });
  }
  return net;
}

function checkRdma(c: Checker, raw: unknown, at: string): Record<string, LinuxRdma> | undefined {
  const o = c.object(raw, at);
  if (!o) return undefined;
  const out: Record<string, LinuxRdma> = {};
  for (const [device, value] of Object.entries(o)) {
    const p = joinPath(at, device);
    if (!/^[^\s]+$/.test(device)) {
      c.problem(p, `"${device}" is not an RDMA device name`);
      continue;
    }
    const e = c.object(value, p);
    if (!e) continue;
    const limits: LinuxRdma = {};
    const handles = c.int(e, 'hcaHandles', p, 'uint32');
    const objects = c.int(e, 'hcaObjects', p, 'uint32');
    if (handles !== undefined) limits.hcaHandles = handles;
    if (objects !== undefined) limits.hcaObjects = objects;
    if (e.hcaHandles === undefined && e.hcaObjects === undefined) {
      c.problem(p, 'needs hcaHandles or hcaObjects (the spec requires at least one)');
      continue;
    }
    c.needs('rdma', p);
    out[device] = limits;
  }
  return out;
}

function checkUnified(c: Checker, raw: unknown, at: string): Record<string, string> | undefined {
  const o = c.object(raw, at);
  if (!o) return undefined;
  const keys = Object.keys(o);
  if (!keys.length) return {};
  if (c.host.mode !== 'v2') {
    const why =
      c.host.mode === 'hybrid'
        ? 'this hybrid host takes limits through its v1 controllers, and runts, like runc, refuses unified there'
        : 'this host has no cgroup v2 hierarchy';
    c.problem(at, `invalid configuration: cannot use unified on cgroup v1 (${why})`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const key of keys) {
    const p = joinPath(at, key);
    const value = o[key];
    if (typeof value !== 'string') {
      c.typeProblem(p, 'must be a string');
      continue;
    }
    if (key.includes('/') || key === '.' || key === '..' || key.includes('\0')) {
      c.problem(p, `unified resource "${key}" must be a file name (no slashes)`);
      continue;
    }
    const dot = key.indexOf('.');
    if (dot <= 0 || dot === key.length - 1) {
      c.problem(p, `unified resource "${key}" must be in the form CONTROLLER.PARAMETER`);
      continue;
    }
    const controller = key.slice(0, dot);
    if (controller === 'cgroup') {
      if (UNSAFE_CGROUP_FILES.has(key)) {
        c.problem(p, `${key} is not a resource: writing it would move, kill or freeze processes or change how the container's cgroup is delegated`);
        continue;
      }
      if (!CGROUP_FILES_ALLOWED.has(key)) {
        c.problem(p, `${key} cannot be set (the core files a container may set are ${[...CGROUP_FILES_ALLOWED].join(', ')})`);
        continue;
      }
    } else if (!c.host.controllers.has(controller)) {
      c.problem(p, `unified resource "${key}" can't be set: controller "${controller}" not available (this host's cgroup.controllers: "${[...c.host.controllers].join(' ')}")`);
      continue;
    }
    if (value.includes('\0')) {
      c.problem(p, 'the value has a NUL byte');
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** Checks linux.resources (at `base`) and returns the typed fields. */
export function resourceProblems(raw: unknown, base: string, host: ResourceHost, opts: ResourceCheckOptions): ResourceCheckResult {
  const c = new Checker(host, opts);
  const r: LinuxResources = {};
  const o = raw === undefined ? undefined : c.object(raw, base || 'resources');
  if (!o) return { problems: c.problems, warnings: c.warnings, resources: r };
  const at = (key: string) => joinPath(base, key);
  const memory = checkMemory(c, o.memory, at('memory'));
  if (memory) r.memory = memory;
  const cpu = checkCpu(c, o.cpu, at('cpu'));
  if (cpu) r.cpu = cpu;
  if (o.pids !== undefined) {
    const po = c.object(o.pids, at('pids'));
    const limit = c.int(po, 'limit', at('pids'), 'int64');
    if (po && po.limit === undefined) c.typeProblem(joinPath(at('pids'), 'limit'), 'is required');
    if (limit !== undefined) {
      r.pids = { limit };
      c.needs('pids', joinPath(at('pids'), 'limit'));
    }
  }
  const blockIO = checkBlockIO(c, o.blockIO, at('blockIO'));
  if (blockIO) r.blockIO = blockIO;
  const huge = checkHugepages(c, o.hugepageLimits, at('hugepageLimits'));
  if (huge) r.hugepageLimits = huge;
  const network = checkNetwork(c, o.network, at('network'));
  if (network) r.network = network;
  const rdma = checkRdma(c, o.rdma, at('rdma'));
  if (rdma) r.rdma = rdma;
  const unified = checkUnified(c, o.unified, at('unified'));
  if (unified) r.unified = unified;
  if (host.mode === 'v2') {
    for (const p of v2Unsupported(r, (...keys) => keys.reduce<string>((acc, k) => joinPath(acc, k), base))) c.problem(p.path, p.message);
  }
  return { problems: c.problems, warnings: c.warnings, resources: r };
}
