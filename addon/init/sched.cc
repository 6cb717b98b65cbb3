#include "sched.h"

#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace runts::init {

namespace {

constexpr uint32_t kSchedFifo = 1, kSchedRr = 2, kSchedDeadline = 6;
constexpr uint64_t kSchedFlagUtilClamp = 0x20 | 0x40;
constexpr uint32_t kSchedAttrSizeVer0 = 48, kSchedAttrSizeVer1 = 56;
// The clamp values when the flags ask for clamping without values (the spec
// has none): the kernel's neutral range, 0 to SCHED_CAPACITY_SCALE.
constexpr uint32_t kUtilMin = 0, kUtilMax = 1024;
constexpr int kIoprioWhoProcess = 1;
constexpr unsigned kIoprioClassShift = 13;
constexpr int kIoprioClassRt = 1;
// 8192 CPUs: more than any kernel's NR_CPUS default; the kernel ignores bits
// past its own CPUs and intersects the rest with the cpuset.
constexpr size_t kAffinityBytes = 1024;

struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};
static_assert(sizeof(SchedAttr) == kSchedAttrSizeVer1, "struct sched_attr, SCHED_ATTR_SIZE_VER1");

const char* kHostNs = "in the host's user namespace";

std::string schedulerWhy(const Scheduler& s, bool ownUserNamespace, int err) {
  const bool realtime = s.policy == kSchedFifo || s.policy == kSchedRr;
  std::string where = ownUserNamespace ? std::string(" (the container's own user namespace does not count: runts-init sets the scheduler from inside it)") : "";
  if (err == EPERM && realtime)
    return s.name + " needs CAP_SYS_NICE " + kHostNs + where +
           ", and on kernels with CONFIG_RT_GROUP_SCHED a real-time budget in the container's cpu cgroup "
           "(cpu.rt_runtime_us is 0 in a new cgroup: give it one with linux.resources.cpu.realtimeRuntime and realtimePeriod)";
  if (err == EPERM && s.policy == kSchedDeadline)
    return "SCHED_DEADLINE needs CAP_SYS_NICE " + std::string(kHostNs) + where +
           ", and a CPU affinity that covers the whole root domain (a cpuset restricted to some CPUs refuses it)";
  if (err == EPERM) return "a lower nice value, or leaving SCHED_IDLE, needs CAP_SYS_NICE " + std::string(kHostNs) + where;
  if (err == EBUSY) return "the kernel's deadline admission test refused the bandwidth runtime/period (see kernel.sched_rt_runtime_us)";
  if (err == EOPNOTSUPP) return "this kernel has no utilization clamping (CONFIG_UCLAMP_TASK)";
  if (err == EINVAL) return "the kernel refused these parameters for " + s.name;
  return "";
}

std::string maskText(const std::vector<uint64_t>& words) {
  std::string out;
  for (size_t w = 0; w < words.size(); w++)
    for (unsigned b = 0; b < 64; b++)
      if (words[w] & (1ULL << b)) out += (out.empty() ? "" : ",") + std::to_string(w * 64 + b);
  return out.empty() ? "none" : out;
}

}  // namespace

bool makeNonDumpable(Failure& f) {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return sysFail(f, "make runts-init non-dumpable (prctl PR_SET_DUMPABLE)");
  return true;
}

bool applyMemoryPolicy(const Plan& plan, Failure& f) {
  const MemoryPolicy& m = plan.memoryPolicy;
  if (!m.set) return true;
  const unsigned long* mask = m.nodes.empty() ? nullptr : reinterpret_cast<const unsigned long*>(m.nodes.data());
  // The kernel reads maxnode - 1 bits (a historical off-by-one every caller
  // of set_mempolicy allows for).
  unsigned long maxnode = m.nodes.empty() ? 0 : m.nodes.size() * 64 + 1;
  if (syscall(SYS_set_mempolicy, m.mode, mask, maxnode) == 0) return true;
  int e = errno;
  std::string detail;
  if (e == EINVAL)
    detail = "a node is not online or not in the container's cpuset.mems, or the kernel does not know this mode or flag";
  else if (e == ENOSYS)
    detail = "this kernel has no NUMA memory policies (CONFIG_NUMA)";
  errno = e;
  return sysFail(f, "set memory policy " + m.name + " nodes " + maskText(m.nodes) + " (set_mempolicy)", "", detail);
}

bool applyScheduler(const Process& p, bool ownUserNamespace, Failure& f) {
  const Scheduler& s = p.scheduler;
  if (!s.set) return true;
  SchedAttr attr;
  memset(&attr, 0, sizeof attr);
  const bool clamp = (s.flags & kSchedFlagUtilClamp) != 0;
  // VER0 unless clamping is asked for: older kernels refuse a larger struct
  // whose extra fields are not zero.
  attr.size = clamp ? kSchedAttrSizeVer1 : kSchedAttrSizeVer0;
  attr.sched_policy = s.policy;
  attr.sched_flags = s.flags;
  attr.sched_nice = s.nice;
  attr.sched_priority = s.priority;
  attr.sched_runtime = s.runtime;
  attr.sched_deadline = s.deadline;
  attr.sched_period = s.period;
  if (clamp) {
    attr.sched_util_min = kUtilMin;
    attr.sched_util_max = kUtilMax;
  }
  if (syscall(SYS_sched_setattr, 0, &attr, 0) == 0) return true;
  int e = errno;
  std::string detail = schedulerWhy(s, ownUserNamespace, e);
  errno = e;
  return sysFail(f, "set scheduler " + s.name + " (nice " + std::to_string(s.nice) + ", priority " +
                        std::to_string(s.priority) + ", sched_setattr)",
                 "", detail);
}

bool resetCpuAffinity(const Process& p, Failure& f) {
  if (!p.cpuAffinity.resetToAll) return true;
  static unsigned char all[kAffinityBytes];
  memset(all, 0xff, sizeof all);
  if (syscall(SYS_sched_setaffinity, 0, sizeof all, all) == 0) return true;
  return sysFail(f, "reset CPU affinity to the cpuset's CPUs (sched_setaffinity)");
}

bool applyIoPriority(const Process& p, bool ownUserNamespace, Failure& f) {
  const IoPriority& io = p.ioPriority;
  if (!io.set) return true;
  // The container process is its session's and group's only member here,
  // and every process it starts inherits the value: this is the spec's
  // "process group" setting.
  if (syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, io.value) == 0) return true;
  int e = errno;
  std::string detail;
  if (e == EPERM && (io.value >> kIoprioClassShift) == kIoprioClassRt)
    detail = std::string("IOPRIO_CLASS_RT needs CAP_SYS_ADMIN or CAP_SYS_NICE ") + kHostNs +
             (ownUserNamespace ? " (the container's own user namespace does not count)" : "");
  errno = e;
  return sysFail(f, "set I/O priority " + io.name + " (ioprio_set)", "", detail);
}

bool applyPersonality(const Plan& plan, Failure& f) {
  const Personality& p = plan.personality;
  if (!p.set) return true;
  if (personality(p.persona) != -1) return true;
  return sysFail(f, "set personality " + p.domain + " (personality)", "",
                 errno == EINVAL ? "the kernel does not know this execution domain" : "");
}

}  // namespace runts::init
