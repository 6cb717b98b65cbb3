// runts exec, planned: the process runc's `exec` would start (getProcess:
// --process FILE, or the container's process with the command-line
// overrides), turned into a launch plan that joins the container instead of
// making one. Pure: unit tests check exec plans without root.
//
// What exec needs from the container is saved at create in
// <root>/<id>/exec.json (ExecRecord, src/plan/exec-record.ts), so that an exec
// does not depend on a bundle that may have changed since.
import type { NamespaceType, Process } from '../config/types';
import { planProcessCore, type ActivationContext } from './process-core';
import { planProcessLsm } from './lsm';
import { CLONE_FLAGS, PROC_NS_NAMES } from './namespaces';
import { planCpuAffinity, planIoPriority, planScheduler, type PlanMemoryPolicy, type PlanPersonality } from './process-fields';
import type { LaunchPlan, PlanNamespaceJoin, PlanProcess, PlanSeccomp } from './types';

/** What create saves for exec (<root>/<id>/exec.json). */
export interface ExecRecord {
  version: 1;
  id: string;
  /** config.process as create validated it: the defaults of an exec without --process. */
  process: Process;
  /** linux.namespaces' types in config order: exec joins each of them through /proc/<pid>/ns. */
  namespaces: NamespaceType[];
  /** linux.seccomp as create compiled it (runc applies it to exec'd processes too). */
  seccomp: PlanSeccomp | null;
  seccompListenerPath: string | null;
  seccompListenerMetadata: string;
  personality: PlanPersonality | null;
  memoryPolicy: PlanMemoryPolicy | null;
  /** create ran without --no-new-keyring: exec'd processes join the container's session keyring. */
  newKeyring: boolean;
  ociVersion: string;
  bundle: string;
  annotations: Record<string, string>;
}

/** The command-line side of `runts exec` (runc's flags). */
export interface ExecFlags {
  /** Positional command and arguments (ignored with --process, as runc does). */
  args?: string[];
  cwd?: string;
  env?: string[];
  /** --user uid[:gid]. */
  user?: string;
  additionalGids?: string[];
  caps?: string[];
  /** undefined: not given (the process's own value stays). */
  noNewPrivs?: boolean;
  tty?: boolean;
  processLabel?: string;
  apparmor?: string;
}

export class ExecFlagError extends Error {}

function parseId(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new ExecFlagError(`${what} "${text}" is not a numeric id (0 to 4294967295)`);
  return Number(text);
}

/**
 * runc's getProcess without --process: a copy of the container's process
 * with args from the command line and each flag applied the way runc does.
 */
export function processFromFlags(base: Process, flags: ExecFlags): Process {
  const p: Process = structuredClone(base);
  p.args = [...(flags.args ?? [])];
  if (flags.cwd) p.cwd = flags.cwd;
  if (flags.apparmor) p.apparmorProfile = flags.apparmor;
  if (flags.processLabel) p.selinuxLabel = flags.processLabel;
  if (flags.caps?.length) {
    const caps = { ...(p.capabilities ?? {}) };
    // runc: --cap adds to bounding, effective and permitted; to ambient only
    // when the process has inheritable ones (ambient needs inheritable).
    caps.bounding = [...(caps.bounding ?? []), ...flags.caps];
    caps.effective = [...(caps.effective ?? []), ...flags.caps];
    caps.permitted = [...(caps.permitted ?? []), ...flags.caps];
    if (caps.inheritable) caps.ambient = [...(caps.ambient ?? []), ...flags.caps];
    p.capabilities = caps;
  }
  p.env = [...(p.env ?? []), ...(flags.env ?? [])];
  // Always no terminal unless -t, as runc.
  p.terminal = flags.tty ?? false;
  if (flags.noNewPrivs !== undefined) p.noNewPrivileges = flags.noNewPrivs;
  if (flags.user) {
    const [uid, gid, extra] = flags.user.split(':');
    if (extra !== undefined || uid === undefined || uid === '') throw new ExecFlagError(`--user "${flags.user}" must be uid or uid:gid`);
    p.user = { ...(p.user ?? { uid: 0, gid: 0 }), uid: parseId(uid, '--user uid'), gid: gid === undefined ? 0 : parseId(gid, '--user gid') };
  }
  if (flags.additionalGids?.length) {
    const user = p.user ?? { uid: 0, gid: 0 };
    p.user = { ...user, additionalGids: [...(user.additionalGids ?? []), ...flags.additionalGids.map((g) => parseId(g, '--additional-gids'))] };
  }
  return p;
}

export interface ExecTargetProcess {
  pid: number;
  startTime: string;
}

/** --preserve-fds and the runtime's environment: LISTEN_FDS is passed on as for create, as runc does for exec too. */
export type ExecPlanContext = ActivationContext;

/** The init's namespaces, user first (the others are joined with its privileges). */
export function execJoins(namespaces: readonly NamespaceType[], pid: number): PlanNamespaceJoin[] {
  const joins = [...new Set(namespaces)].map((t) => ({ flag: CLONE_FLAGS[t], path: `/proc/${pid}/ns/${PROC_NS_NAMES[t]}` }));
  return joins.sort((a, b) => Number(b.flag === CLONE_FLAGS.user) - Number(a.flag === CLONE_FLAGS.user));
}

/**
 * The exec'd process. Where the process leaves a field out, the container's
 * value applies, as in runc's newInitConfig: capabilities, rlimits,
 * AppArmor profile, SELinux label, scheduler and I/O priority;
 * noNewPrivileges is the process's own (runc's newProcess always sets it).
 */
export function planExecProcess(record: ExecRecord, p: Process, ctx: ExecPlanContext): PlanProcess {
  const base = record.process;
  const lsm = planProcessLsm({
    cwd: p.cwd,
    apparmorProfile: p.apparmorProfile || base.apparmorProfile,
    selinuxLabel: p.selinuxLabel || base.selinuxLabel,
  });
  return {
    ...planProcessCore(p, ctx, {
      capabilities: p.capabilities ?? base.capabilities,
      rlimits: p.rlimits?.length ? p.rlimits : base.rlimits,
    }),
    // The container's value: runc sends config.oomScoreAdj for exec too.
    oomScoreAdj: base.oomScoreAdj ?? null,
    newKeyring: record.newKeyring,
    scheduler: planScheduler(p.scheduler ? p : base),
    ioPriority: planIoPriority(p.ioPriority ? p : base),
    // No initial/final: every CPU of the cpuset; final is set after the cgroup join.
    cpuAffinity: planCpuAffinity(p),
    lsm,
  };
}

/** The launch plan of an exec: joins the container's namespaces, sets up nothing of the container. */
export function buildExecPlan(record: ExecRecord, p: Process, target: ExecTargetProcess, ctx: ExecPlanContext): LaunchPlan {
  const process = planExecProcess(record, p, ctx);
  // Without no_new_privs the filter is loaded while the process still has
  // CAP_SYS_ADMIN, as for create: it depends on this process's flag.
  const seccomp = record.seccomp ? { ...record.seccomp, beforeCredentials: !process.noNewPrivileges } : null;
  return {
    version: 1,
    id: record.id,
    cloneFlags: 0,
    joins: execJoins(record.namespaces, target.pid),
    timeOffsets: '',
    rootfs: null,
    mounts: [],
    setupDev: false,
    devices: [],
    maskedPaths: [],
    readonlyPaths: [],
    sysctls: [],
    hostname: null,
    domainname: null,
    forceSafeWalk: false,
    personality: record.personality,
    memoryPolicy: record.memoryPolicy,
    mountLabel: null,
    process,
    seccomp,
    // Hooks are the container's lifecycle's, never an exec's.
    hooks: null,
    exec: { pid: target.pid, startTime: target.startTime },
  };
}
