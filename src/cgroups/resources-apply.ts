// Writing a resource plan (resources.ts) to the container's cgroup. cgroups
// are files, so the writer takes a small file interface and unit tests run
// it against a temporary directory laid out like /sys/fs/cgroup. Every
// write is one open + one write(2); a refusal by the kernel is reported
// with the file, the value, the errno and the JSON path of the field.
import { closeSync, constants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { errnoText, RuntsError } from '../errors';
import type { CurrentValues, ResourcePlan, ResourceProbe, ResourceWrite } from './resources';
import type { CgroupDir, CgroupPlacement } from './placement';

/** What the writer does to files (tests give it a temporary directory or a fake kernel). */
export interface ResourceFiles {
  /** One write(2) of `value`; throws the errno as a NodeJS.ErrnoException. */
  write(file: string, value: string): void;
  /** The file's content, trimmed; undefined when it cannot be read. */
  read(file: string): string | undefined;
  exists(file: string): boolean;
}

export const realResourceFiles: ResourceFiles = {
  write(file, value) {
    // No O_CREAT: a file the kernel lacks is ENOENT, not a new file.
    // O_TRUNC as runc (cgroupfs ignores it; a test directory needs it);
    // libuv adds O_CLOEXEC.
    const fd = openSync(file, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
    try {
      writeSync(fd, value);
    } finally {
      closeSync(fd);
    }
  },
  read(file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
  },
  exists: (file) => existsSync(file),
};

/** Where each controller's files of the container are. */
export interface ResourceTarget {
  version: 1 | 2;
  dirOf(controller: string): string | undefined;
}

/**
 * The limits go to the v1 controllers on v1 and hybrid hosts (the unified
 * hierarchy of a hybrid host only tracks processes, as for runc), and to
 * the unified directory on a v2 host.
 */
export function resourceTarget(placement: Pick<CgroupPlacement, 'mode' | 'dirs'>): ResourceTarget {
  if (placement.mode === 'v2') {
    const unified = placement.dirs.find((d) => d.version === 2);
    return { version: 2, dirOf: () => unified?.dir };
  }
  const v1 = placement.dirs.filter((d): d is CgroupDir => d.version === 1);
  return { version: 1, dirOf: (controller) => v1.find((d) => d.hierarchy.split(',').includes(controller))?.dir };
}

export function resourceProbe(target: ResourceTarget, files: ResourceFiles = realResourceFiles): ResourceProbe {
  const at = (controller: string, file: string) => {
    const dir = target.dirOf(controller);
    return dir === undefined ? undefined : path.join(dir, file);
  };
  return {
    exists: (controller, file) => {
      const f = at(controller, file);
      return f !== undefined && files.exists(f);
    },
    read: (controller, file) => {
      const f = at(controller, file);
      return f === undefined ? undefined : files.read(f);
    },
  };
}

function numberOrMax(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === 'max') return -1;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The values an update's conversions need and does not give (see
 * CurrentValues), read from the container's cgroup.
 */
export function currentValues(probe: ResourceProbe, version: 1 | 2): CurrentValues {
  if (version === 1) {
    return {
      memoryLimit: numberOrMax(probe.read('memory', 'memory.limit_in_bytes')),
      memorySwap: numberOrMax(probe.read('memory', 'memory.memsw.limit_in_bytes')),
      cpuQuota: numberOrMax(probe.read('cpu', 'cpu.cfs_quota_us')),
      cpuPeriod: numberOrMax(probe.read('cpu', 'cpu.cfs_period_us')),
    };
  }
  const memoryLimit = numberOrMax(probe.read('memory', 'memory.max'));
  const swapMax = numberOrMax(probe.read('memory', 'memory.swap.max'));
  const [quota, period] = (probe.read('cpu', 'cpu.max') ?? '').split(' ');
  let memorySwap: number | undefined;
  if (swapMax !== undefined && swapMax >= 0) memorySwap = memoryLimit !== undefined && memoryLimit >= 0 ? memoryLimit + swapMax : swapMax;
  return { memoryLimit, memorySwap, cpuQuota: numberOrMax(quota || undefined), cpuPeriod: numberOrMax(period || undefined) };
}

function hint(w: ResourceWrite, dir: string, e: unknown, files: ResourceFiles): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `: this kernel has no ${w.file} for the ${w.controller} controller`;
  // runc's message for a limit below what the cgroup already uses.
  if (code === 'EBUSY' && w.file === 'memory.limit_in_bytes') {
    const usage = files.read(path.join(dir, 'memory.usage_in_bytes')) ?? '?';
    const peak = files.read(path.join(dir, 'memory.max_usage_in_bytes')) ?? '?';
    return `: unable to set memory limit to ${w.value} (current usage: ${usage}, peak usage: ${peak})`;
  }
  return '';
}

function writeError(w: ResourceWrite, dir: string, e: unknown, files: ResourceFiles): RuntsError {
  return new RuntsError(`cgroup ${path.join(dir, w.file)}: write ${JSON.stringify(w.value)}: ${errnoText(e)} (${w.field})${hint(w, dir, e, files)}`, { code: 'ESYSTEM', cause: e });
}

/** A page's slack: the kernel rounds byte limits down to whole pages. */
const PAGE_SLACK = 65536;

function kept(written: string, read: string | undefined): boolean {
  if (read === undefined) return true;
  const a = Number(written);
  const b = Number(read);
  if (Number.isFinite(a) && Number.isFinite(b)) return Math.abs(a - b) < PAGE_SLACK;
  return read === written;
}

/** Why a kernel lacks a file a field needs (for the message). */
const MISSING_WHY: readonly [RegExp, string][] = [
  [/^memory\.memsw\./, 'this kernel does not account swap (boot it with swapaccount=1)'],
  [/^memory\.swap\./, 'this kernel does not account swap'],
  [/^blkio\.(bfq\.)?weight/, 'CFQ (blkio.weight) was removed in Linux 5.0, and no device of the cgroup uses the BFQ scheduler'],
  [/^blkio\.leaf_weight/, 'leaf weights went with CFQ in Linux 5.0'],
  [/^blkio\.throttle\./, 'I/O throttling needs CONFIG_BLK_DEV_THROTTLING'],
  [/^cpu\.cfs_burst_us$|^cpu\.max\.burst$/, 'CFS burst needs Linux 5.14+'],
  [/^cpu\.idle$/, 'SCHED_IDLE cgroups need Linux 5.15+'],
  [/^cpu\.rt_/, 'real-time group scheduling needs CONFIG_RT_GROUP_SCHED'],
  [/^cpu\.cfs_/, 'CFS bandwidth control needs CONFIG_CFS_BANDWIDTH'],
  [/^io\.bfq\./, 'no device of the cgroup uses the BFQ scheduler'],
  [/^hugetlb\./, 'this kernel has no huge pages of that size'],
];

function missingWhy(file: string): string {
  return MISSING_WHY.find(([re]) => re.test(file))?.[1] ?? 'the kernel does not have it';
}

/**
 * Before any write: every controller the plan writes to must be there for
 * the container (v1: its hierarchy; v2: enabled in the cgroup, see
 * subtree.ts), and every file the plan needs must exist (what a kernel has
 * shows only in a cgroup of its own: the root cgroup lacks some files). All
 * the problems are reported at once.
 */
function preflight(plan: ResourcePlan, target: ResourceTarget, files: ResourceFiles): void {
  const details: string[] = [];
  const seen = new Set<string>();
  const v2Dir = target.version === 2 ? target.dirOf('') : undefined;
  const enabled = v2Dir ? new Set((files.read(path.join(v2Dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean)) : undefined;
  for (const w of plan.writes) {
    const key = `${w.controller}\0${w.file}\0${w.field}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const dir = target.dirOf(w.controller);
    if (dir === undefined) {
      details.push(`${w.field}: the container has no ${w.controller} cgroup (this host has no ${w.controller} controller)`);
    } else if (enabled && w.controller !== 'cgroup' && !enabled.has(w.controller)) {
      details.push(
        `${w.field}: the ${w.controller} controller is not enabled for ${dir} (its cgroup.controllers: "${[...enabled].join(' ')}"); a parent's cgroup.subtree_control does not delegate it`,
      );
    } else if (!w.skipIfMissing && !files.exists(path.join(dir, w.file))) {
      details.push(`${w.field}: ${path.join(dir, w.file)} does not exist: ${missingWhy(w.file)}`);
    }
  }
  if (details.length) {
    throw new RuntsError(`cannot apply linux.resources: ${details.length} problem${details.length === 1 ? '' : 's'} with this host's cgroups, nothing was written`, { code: 'EUNSUPPORTED', details });
  }
}

export interface AppliedResources {
  /** The writes made, in order ("file=value"), for --debug. */
  written: string[];
  warnings: string[];
}

/**
 * Writes the plan in order. A plan with problems writes nothing. A write
 * marked retryAfter that the kernel refuses with EINVAL is written again
 * right after that file (runc's CFS period and burst order); a write
 * marked skipIfMissing is skipped when the kernel has no such file.
 */
export function applyResourcePlan(plan: ResourcePlan, target: ResourceTarget, files: ResourceFiles = realResourceFiles): AppliedResources {
  if (plan.problems.length) {
    throw new RuntsError(`cannot apply linux.resources: ${plan.problems.length} problem${plan.problems.length === 1 ? '' : 's'} found, nothing was written`, {
      code: 'EBADCONFIG',
      details: plan.problems.map((p) => `${p.path}: ${p.message}`),
      problems: plan.problems,
    });
  }
  preflight(plan, target, files);
  const written: string[] = [];
  const warnings = [...plan.warnings];
  const deferred: { w: ResourceWrite; dir: string; error: unknown }[] = [];
  const writeOne = (w: ResourceWrite, dir: string): void => {
    files.write(path.join(dir, w.file), w.value);
    written.push(`${path.join(dir, w.file)}=${w.value}`);
    if (w.warnIfIgnored && !kept(w.value, files.read(path.join(dir, w.file)))) warnings.push(w.warnIfIgnored);
  };
  for (const w of plan.writes) {
    const dir = target.dirOf(w.controller) ?? '';
    try {
      writeOne(w, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (w.skipIfMissing && code === 'ENOENT') continue;
      if (w.retryAfter && code === 'EINVAL') {
        deferred.push({ w, dir, error: e });
        continue;
      }
      throw writeError(w, dir, e, files);
    }
    for (let i = 0; i < deferred.length; ) {
      const d = deferred[i]!;
      if (d.w.retryAfter !== w.file) {
        i++;
        continue;
      }
      deferred.splice(i, 1);
      try {
        writeOne(d.w, d.dir);
      } catch (e) {
        throw writeError(d.w, d.dir, e, files);
      }
    }
  }
  const stuck = deferred[0];
  if (stuck) throw writeError(stuck.w, stuck.dir, stuck.error, files);
  return { written, warnings };
}
