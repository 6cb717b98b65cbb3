// The launch plan: one flat, fully resolved value that runts-init executes
// (addon/init/plan.h reads it). Flags are numbers, names are numbers, paths
// are absolute; 64-bit quantities are decimal strings.
import type { PlanCpuAffinity, PlanIoPriority, PlanMemoryPolicy, PlanPersonality, PlanScheduler } from './process-fields';

export type { PlanCpuAffinity, PlanIoPriority, PlanMemoryPolicy, PlanPersonality, PlanScheduler };

export interface PlanNamespaceJoin {
  flag: number;
  path: string;
}

export interface PlanMount {
  /** bind: a bind mount; fs: mount(2) of a filesystem; cgroup1: tmpfs + one bind per v1 hierarchy. */
  kind: 'bind' | 'fs' | 'cgroup1';
  destination: string;
  source: string;
  type: string;
  flags: number;
  data: string;
  remount: boolean;
  remountFlags: number;
  propagation: number[];
  recAttrSet: number;
  recAttrClr: number;
  sourceIsDir: boolean;
  cgroupBinds?: { source: string; name: string }[];
  cgroupLinks?: { name: string; target: string }[];
}

export interface PlanDevice {
  path: string;
  type: 'c' | 'b' | 'u' | 'p';
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}

export interface PlanRlimit {
  name: string;
  resource: number;
  soft: string;
  hard: string;
}

export interface PlanCapabilities {
  bounding: string;
  effective: string;
  permitted: string;
  inheritable: string;
  ambient: string;
}

export interface PlanProcess {
  args: string[];
  env: string[];
  cwd: string;
  /** PATH from env, where args[0] is looked up. */
  path: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  setGroups: boolean;
  umask: number | null;
  rlimits: PlanRlimit[];
  capabilities: PlanCapabilities | null;
  noNewPrivileges: boolean;
  oomScoreAdj: number | null;
  terminal: boolean;
  consoleSize: { rows: number; cols: number } | null;
  preserveFds: number;
  newKeyring: boolean;
  /** sched_setattr(2) of the container process; null leaves the runtime's. */
  scheduler: PlanScheduler | null;
  /** ioprio_set(2); null leaves the runtime's. */
  ioPriority: PlanIoPriority | null;
  cpuAffinity: PlanCpuAffinity;
}

export interface PlanRootfs {
  path: string;
  noPivot: boolean;
  /** Applied to "/" before any mount: MS_SLAVE|MS_REC unless set. */
  propagation: number;
  /** linux.rootfsPropagation, applied to the new "/" at the end. */
  rootfsPropagation: number;
  readonly: boolean;
}

export interface LaunchPlan {
  version: 1;
  id: string;
  cloneFlags: number;
  joins: PlanNamespaceJoin[];
  timeOffsets: string;
  rootfs: PlanRootfs | null;
  mounts: PlanMount[];
  setupDev: boolean;
  devices: PlanDevice[];
  maskedPaths: string[];
  readonlyPaths: string[];
  sysctls: { key: string; path: string; value: string }[];
  hostname: string | null;
  domainname: string | null;
  forceSafeWalk?: boolean;
  /** personality(2) before execve; null leaves the runtime's (PER_LINUX). */
  personality: PlanPersonality | null;
  /** set_mempolicy(2) of the container process; null leaves the runtime's. */
  memoryPolicy: PlanMemoryPolicy | null;
  process: PlanProcess;
}

/** What the runtime (not the init) does for the launch. */
export interface LaunchExtras {
  uidMap: string;
  gidMap: string;
}
