// The launch plan as runts-init receives it: everything already resolved by
// the TypeScript planner (flags are numbers, names are numbers, paths are
// absolute), so that the init only executes steps. Field names match
// src/plan/types.ts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../common/failure.h"
#include "../common/hook-exec.h"
#include "../common/json.h"

namespace runts::init {

struct NamespaceJoin {
  int flag = 0;  // CLONE_NEW*
  std::string path;
};

enum class MountKind { Bind, Filesystem, CgroupV1, CgroupV2 };

// One hierarchy under a cgroup1 mount's tmpfs (src/plan/types.ts PlanCgroupPart).
struct CgroupPart {
  std::string name;    // entry under the destination (e.g. "memory", "cpu,cpuacct")
  std::string type;    // "bind", "cgroup" or "cgroup2"
  std::string source;  // bind: host directory of the container's cgroup
  std::string data;    // cgroup: the hierarchy's options ("memory", "name=systemd")
};

struct CgroupLink {
  std::string name;    // e.g. "cpu"
  std::string target;  // e.g. "cpu,cpuacct"
};

struct Mount {
  MountKind kind = MountKind::Filesystem;
  std::string destination;  // absolute path in the container
  std::string source;
  std::string type;
  unsigned long flags = 0;  // MS_* for mount(2), without propagation
  std::string data;
  // Bind mounts ignore most flags on the first mount(2): these are applied
  // by a remount (MS_REMOUNT|MS_BIND|remountFlags) when remount is true.
  bool remount = false;
  unsigned long remountFlags = 0;
  std::vector<unsigned long> propagation;  // each applied by its own mount(2)
  uint64_t recAttrSet = 0;                 // mount_setattr(AT_RECURSIVE)
  uint64_t recAttrClr = 0;
  bool sourceIsDir = true;  // bind: what to create at the destination
  bool mayCoverProcfs = false;       // procfs on /proc, lxcfs-style files
  bool needsPlainDirectory = false;  // proc, sysfs: never through a symlink
  bool copyUp = false;               // tmpfs + tmpcopyup: fill it with what was there
  std::vector<CgroupPart> cgroupParts;
  std::vector<CgroupLink> cgroupLinks;
};

struct Device {
  std::string path;
  mode_t type = 0;  // S_IFCHR, S_IFBLK or S_IFIFO
  uint64_t major = 0;
  uint64_t minor = 0;
  mode_t mode = 0666;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct Rlimit {
  int resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
  std::string name;
};

struct Capabilities {
  bool set = false;  // false: leave the capability sets alone
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};

struct Sysctl {
  std::string path;  // relative to /proc/sys
  std::string value;
  std::string key;
};

// linux.seccomp, compiled by the runtime (libseccomp, at create time) into a
// classic BPF program that the init loads with seccomp(2).
struct Seccomp {
  bool set = false;
  std::string program;  // struct sock_filter[], host byte order
  unsigned flags = 0;   // SECCOMP_FILTER_FLAG_*, NEW_LISTENER included
  bool notify = false;  // the listener fd goes to the runtime
  // Without no_new_privs the load needs CAP_SYS_ADMIN: before the user
  // switch. With it: as late as the sync socket allows.
  bool beforeCredentials = false;
};

// process.scheduler, for sched_setattr(2).
struct Scheduler {
  bool set = false;
  uint32_t policy = 0;
  int32_t nice = 0;
  uint32_t priority = 0;
  uint64_t flags = 0;
  uint64_t runtime = 0, deadline = 0, period = 0;
  std::string name;  // e.g. "SCHED_FIFO", for messages
};

// process.ioPriority, for ioprio_set(2).
struct IoPriority {
  bool set = false;
  int value = 0;  // class << 13 | priority
  std::string name;
};

// The container process's CPU affinity. initial and final are
// process.execCPUAffinity, recorded for exec (the spec: not applicable to
// the container's init process).
struct CpuAffinity {
  bool resetToAll = false;
  std::vector<uint64_t> initial, final;
};

// linux.personality, for personality(2).
struct Personality {
  bool set = false;
  unsigned long persona = 0;
  std::string domain;
};

// linux.memoryPolicy, for set_mempolicy(2).
struct MemoryPolicy {
  bool set = false;
  int mode = 0;                 // the mode ORed with its MPOL_F_* flags
  std::vector<uint64_t> nodes;  // bitmask words, lowest first
  std::string name;
};

// LSM labels the init writes just before execve (plan.process.lsm).
struct ProcessLsm {
  std::string apparmorProfile;  // empty: none
  std::string selinuxLabel;     // empty: none
  bool any() const { return !apparmorProfile.empty() || !selinuxLabel.empty(); }
};

// linux.mountLabel (plan.mountLabel). The context="..." option is already in
// the data of each labelled mount; these mounts get the label as an xattr.
struct MountLabel {
  std::string label;  // empty: none
  std::vector<std::string> xattrDestinations;
};

struct Process {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::string pathEnv;  // the container's PATH, for looking up args[0]
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additionalGids;
  bool setGroups = true;  // false when the user namespace forbids setgroups
  int umask = -1;
  std::vector<Rlimit> rlimits;
  Capabilities caps;
  bool noNewPrivileges = false;
  bool hasOomScoreAdj = false;
  int oomScoreAdj = 0;
  bool terminal = false;
  unsigned short consoleRows = 0, consoleCols = 0;
  int preserveFds = 0;  // fds 3 .. 3+preserveFds-1 are passed through
  bool newKeyring = true;
  Scheduler scheduler;
  IoPriority ioPriority;
  CpuAffinity cpuAffinity;
  ProcessLsm lsm;
};

// plan.hooks: where the init stops for the runtime, and the hooks it runs
// itself, inside the container (docs/hooks.md).
struct Hooks {
  std::vector<std::string> stops;  // stage names, e.g. "createRuntime"
  std::vector<HookCommand> createContainer;
  std::vector<HookCommand> startContainer;
};

// exec: the container whose namespaces are joined (plan.exec). Its
// /proc/<pid> is opened and its start time checked before any of the joins'
// /proc/<pid>/ns/* paths is opened through it (exec.h).
struct ExecTarget {
  bool set = false;
  pid_t pid = 0;
  uint64_t startTime = 0;
};

struct Plan {
  std::string id;
  int cloneFlags = 0;  // namespaces to create
  std::vector<NamespaceJoin> joins;
  std::string timeOffsets;
  bool setupRootfs = false;  // false when the mount namespace is joined
  std::string rootfs;
  bool noPivot = false;
  unsigned long rootPropagation = 0;
  unsigned long rootfsPropagation = 0;
  bool rootReadonly = false;
  std::vector<Mount> mounts;
  bool setupDev = false;
  std::vector<Device> devices;
  std::vector<std::string> maskedPaths;
  std::vector<std::string> readonlyPaths;
  std::vector<Sysctl> sysctls;
  bool hasHostname = false, hasDomainname = false;
  std::string hostname, domainname;
  bool forceSafeWalk = false;  // tests: use the fallback path walk, not openat2
  Personality personality;
  MemoryPolicy memoryPolicy;
  MountLabel mountLabel;
  Process process;
  Seccomp seccomp;
  Hooks hooks;
  ExecTarget exec;
};

bool parsePlan(const json::Value& doc, Plan& plan, Failure& f);

// plan.seccomp (null or an object); kept apart so that it ports to a strict reader.

}  // namespace runts::init
