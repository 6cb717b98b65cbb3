// The launch plan's contract: the one description of every field the
// TypeScript planner writes and runts-init reads (addon/init/plan.cc).
//
// Two checks keep the two sides to it:
//  - at compile time, the LaunchPlan type of src/plan/types.ts must be
//    exactly the type this description infers (planMatchesContract below);
//  - in the unit tests, plans built by the planner go through the C++ reader,
//    and mutations derived from this description (a field removed, a field
//    added, a value of the wrong type) must each be refused by it
//    (test/unit/plan-contract.test.ts). The C++ reader refuses any missing
//    or unknown field, so a field one side has and the other lacks fails.
import type { LaunchPlan } from './types';
import { array, bool, int, literal, nullable, object, oneOf, str, uint64, type Equal, type Infer } from '../contract/fields';

const mount = object({
  kind: oneOf('bind', 'fs', 'cgroup1'),
  destination: str,
  source: str,
  type: str,
  flags: int,
  data: str,
  remount: bool,
  remountFlags: int,
  propagation: array(int),
  recAttrSet: int,
  recAttrClr: int,
  sourceIsDir: bool,
  mayCoverProcfs: bool,
  needsPlainDirectory: bool,
  copyUp: bool,
  cgroupParts: array(object({ name: str, type: oneOf('bind', 'cgroup', 'cgroup2'), source: str, data: str })),
  cgroupLinks: array(object({ name: str, target: str })),
});

const device = object({
  path: str,
  type: oneOf('c', 'b', 'u', 'p'),
  major: int,
  minor: int,
  mode: int,
  uid: int,
  gid: int,
});

const process = object({
  args: array(str),
  env: array(str),
  cwd: str,
  path: str,
  uid: int,
  gid: int,
  additionalGids: array(int),
  setGroups: bool,
  umask: nullable(int),
  rlimits: array(object({ name: str, resource: int, soft: uint64, hard: uint64 })),
  capabilities: object({ bounding: uint64, effective: uint64, permitted: uint64, inheritable: uint64, ambient: uint64 }),
  noNewPrivileges: bool,
  oomScoreAdj: nullable(int),
  terminal: bool,
  consoleSize: nullable(object({ rows: int, cols: int })),
  preserveFds: int,
  newKeyring: bool,
  scheduler: nullable(
    object({ policy: int, name: str, nice: int, priority: int, flags: uint64, runtime: uint64, deadline: uint64, period: uint64 }),
  ),
  ioPriority: nullable(object({ value: int, class: str, priority: int })),
  lsm: object({ apparmorProfile: nullable(str), selinuxLabel: nullable(str) }),
  cpuAffinity: object({ resetToAll: bool, initial: nullable(array(uint64)), final: nullable(array(uint64)) }),
});

const hook = object({ kind: str, index: int, path: str, args: array(str), env: array(str), timeoutMs: int });

export const LAUNCH_PLAN = object({
  version: literal(1),
  id: str,
  cloneFlags: int,
  joins: array(object({ flag: int, path: str })),
  timeOffsets: str,
  rootfs: nullable(object({ path: str, noPivot: bool, propagation: int, rootfsPropagation: int, readonly: bool })),
  mounts: array(mount),
  setupDev: bool,
  devices: array(device),
  maskedPaths: array(str),
  readonlyPaths: array(str),
  sysctls: array(object({ key: str, path: str, value: str })),
  hostname: nullable(str),
  domainname: nullable(str),
  forceSafeWalk: bool,
  process,
  personality: nullable(object({ persona: int, domain: str })),
  memoryPolicy: nullable(object({ mode: int, name: str, nodes: array(uint64) })),
  mountLabel: nullable(object({ label: str, xattrDestinations: array(str) })),
  seccomp: nullable(object({ program: str, flags: int, notify: bool, beforeCredentials: bool })),
  hooks: nullable(object({ stops: array(str), createContainer: array(hook), startContainer: array(hook) })),
  exec: nullable(object({ pid: int, startTime: uint64 })),
});

// Compile-time proof that src/plan/types.ts and this description agree.
const planMatchesContract: Equal<LaunchPlan, Infer<typeof LAUNCH_PLAN>> = true;
void planMatchesContract;
