// The OCI runtime-spec configuration (config.json) and state, as TypeScript
// types (runtime-spec 1.3, Linux and the common parts). Numbers that the
// spec types as uint64/int64 are JavaScript numbers here: JSON.parse gives
// nothing else.
import type { LinuxSeccomp } from '../seccomp/profile';

export interface OciConfig {
  ociVersion: string;
  root?: Root;
  mounts?: Mount[];
  process?: Process;
  hostname?: string;
  domainname?: string;
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
  [unknown: string]: unknown;
}

export interface Root {
  path: string;
  readonly?: boolean;
}

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface Mount {
  destination: string;
  source?: string;
  type?: string;
  options?: string[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  username?: string;
}

export interface Rlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface CapabilitySets {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  cwd: string;
  env?: string[];
  args?: string[];
  commandLine?: string;
  user?: User;
  rlimits?: Rlimit[];
  capabilities?: CapabilitySets;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
  scheduler?: Scheduler;
  ioPriority?: { class: string; priority?: number };
  execCPUAffinity?: { initial?: string; final?: string };
}

/** process.scheduler (sched_setattr(2)); the spec's default for every number is 0. */
export interface Scheduler {
  policy: string;
  nice?: number;
  priority?: number;
  flags?: string[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface Namespace {
  type: NamespaceType;
  path?: string;
}

export interface Device {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  timeOffsets?: Record<string, { secs?: number; nanosecs?: number }>;
  devices?: Device[];
  cgroupsPath?: string;
  resources?: Record<string, unknown>;
  rootfsPropagation?: string;
  seccomp?: LinuxSeccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: { domain: string; flags?: string[] };
  intelRdt?: Record<string, unknown>;
  memoryPolicy?: { mode: string; nodes?: string; flags?: string[] };
  netDevices?: Record<string, { name?: string }>;
}

/** The state of a container, as `runts state` prints it. */
export interface ContainerState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  /** The container process as the host sees it; 0 once stopped. */
  pid: number;
  bundle: string;
  rootfs: string;
  /** RFC 3339 time of create. */
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}
