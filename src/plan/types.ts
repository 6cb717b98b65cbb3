// The launch plan: one flat, fully resolved value that runts-init executes
// (addon/init/plan.h reads it). Flags are numbers, names are numbers, paths
// are absolute; 64-bit quantities are decimal strings.
import type { PlanCpuAffinity, PlanIoPriority, PlanMemoryPolicy, PlanPersonality, PlanScheduler } from './process-fields';

export type { PlanCpuAffinity, PlanIoPriority, PlanMemoryPolicy, PlanPersonality, PlanScheduler };

import type { DeviceRule } from '../cgroups/devices';

export interface PlanNamespaceJoin {
  flag: number;
  path: string;
}

export interface PlanMount {
  /** bind: a bind mount; fs: mount(2) of a filesystem; cgroup1: a tmpfs holding one mount per hierarchy (cgroupParts). */
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
  /** The target may be on procfs (procfs on /proc, lxcfs-style files); any other mount there is refused. */
  mayCoverProcfs: boolean;
  /** proc and sysfs: the destination must be an ordinary directory, not a symlink. */
  needsPlainDirectory: boolean;
  /** tmpfs with tmpcopyup: the image's files at the destination are copied into the new tmpfs. */
  copyUp: boolean;
  /** cgroup1: what goes under the tmpfs, one entry per hierarchy of the host. */
  cgroupParts: PlanCgroupPart[];
  /** cgroup1: the co-mount symlinks (cpu -> cpu,cpuacct). */
  cgroupLinks: { name: string; target: string }[];
}

/**
 * One hierarchy under a cgroup1 mount's tmpfs, at <destination>/<name>:
 * with a cgroup namespace a new mount of the hierarchy ("cgroup" with the
 * hierarchy's options as data, or "cgroup2" for the unified one of a hybrid
 * host), which shows the namespace's root, the container's own cgroup;
 * without one a bind of the container's cgroup directory on the host.
 */
export interface PlanCgroupPart {
  name: string;
  type: 'bind' | 'cgroup' | 'cgroup2';
  /** bind: the host directory; cgroup, cgroup2: the mount's source name. */
  source: string;
  /** cgroup: the hierarchy ("memory", "cpu,cpuacct", "name=systemd"); else "". */
  data: string;
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

/** LSM labels of the process, written by the init just before execve. */
export interface PlanLsm {
  /** process.apparmorProfile: "exec <profile>" to /proc/thread-self/attr/apparmor/exec. */
  apparmorProfile: string | null;
  /** process.selinuxLabel: to /proc/thread-self/attr/exec, and attr/keycreate before the session keyring. */
  selinuxLabel: string | null;
}

/** linux.mountLabel. The context="..." option is already in each labelled mount's data. */
export interface PlanMountLabel {
  label: string;
  /** Mounts labelled through the security.selinux xattr of their root instead (mqueue, as runc does). */
  xattrDestinations: string[];
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
  capabilities: PlanCapabilities;
  noNewPrivileges: boolean;
  oomScoreAdj: number | null;
  terminal: boolean;
  consoleSize: { rows: number; cols: number } | null;
  preserveFds: number;
  newKeyring: boolean;
  lsm: PlanLsm;
  /** sched_setattr(2) of the container process; null leaves the runtime's. */
  scheduler: PlanScheduler | null;
  /** ioprio_set(2); null leaves the runtime's. */
  ioPriority: PlanIoPriority | null;
  cpuAffinity: PlanCpuAffinity;
}

/** linux.seccomp compiled to BPF by the runtime (addon/node/seccomp.cc); runts-init loads it. */
export interface PlanSeccomp {
  /** base64 of the struct sock_filter[] program, host byte order. */
  program: string;
  /** SECCOMP_FILTER_FLAG_* for seccomp(2), NEW_LISTENER included when notify is true. */
  flags: number;
  /** A rule uses SCMP_ACT_NOTIFY: the listener fd goes to the runtime, then to the agent. */
  notify: boolean;
  /**
   * Load before the capabilities are dropped and the user switched (the load
   * then needs CAP_SYS_ADMIN): true without noNewPrivileges, as in runc.
   */
  beforeCredentials: boolean;
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

/** One hook the init runs itself (src/hooks/plan.ts resolves args and env). */
export interface PlanHook {
  kind: string;
  /** Its index in hooks.<kind>, for messages. */
  index: number;
  path: string;
  /** argv, args[0] included ([path] when the config has none). */
  args: string[];
  /** envp (the runtime's environment when the config has none, as runc). */
  env: string[];
  /** 0: no timeout. */
  timeoutMs: number;
}

/** Where the init stops for the runtime, and the hooks it runs in the container (docs/hooks.md). */
export interface PlanHooks {
  /** Stage names the init stops at and waits for "continue" (e.g. "createRuntime"). */
  stops: string[];
  createContainer: PlanHook[];
  startContainer: PlanHook[];
}

/**
 * exec: the running container whose namespaces the new process joins. The
 * init opens /proc/<pid> and checks the start time before it opens any of
 * the joins' /proc/<pid>/ns/* paths through it (src/plan/exec.ts).
 */
export interface PlanExec {
  pid: number;
  startTime: string;
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
  /** Tests: use the user-space path walk even where openat2 exists. */
  forceSafeWalk: boolean;
  /** personality(2) before execve; null leaves the runtime's (PER_LINUX). */
  personality: PlanPersonality | null;
  /** set_mempolicy(2) of the container process; null leaves the runtime's. */
  memoryPolicy: PlanMemoryPolicy | null;
  mountLabel: PlanMountLabel | null;
  process: PlanProcess;
  seccomp: PlanSeccomp | null;
  hooks: PlanHooks | null;
  /** exec into a container (no rootfs, mounts or namespaces of its own); null for create. */
  exec: PlanExec | null;
}

/** What the runtime (not the init) does for the launch. */
export interface LaunchExtras {
  uidMap: string;
  gidMap: string;
  /** SCMP_ACT_NOTIFY: the agent's socket (linux.seccomp.listenerPath). */
  seccompListenerPath?: string;
  /** listenerMetadata, for the state sent to the agent. */
  seccompListenerMetadata?: string;
  /** The device cgroup's clean rule list (src/cgroups/devices.ts), applied before the init joins. */
  deviceRules: DeviceRule[];
}
