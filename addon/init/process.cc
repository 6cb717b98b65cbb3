#include "process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "../common/capability-names.h"
#include "../common/fsutil.h"
#include "procfs.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

namespace runts::init {

namespace {

constexpr uint32_t kCapVersion3 = 0x20080522;
constexpr long kKeyctlJoinSessionKeyring = 1;
constexpr long kKeyctlSetperm = 5;
constexpr long kKeyctlDescribe = 6;
constexpr uint32_t kKeyUserSearch = 0x00080000;

struct CapHeader {
  uint32_t version;
  int pid;
};
struct CapData {
  uint32_t effective;
  uint32_t permitted;
  uint32_t inheritable;
};

// The highest capability the kernel knows: PR_CAPBSET_READ fails past it.
int lastCap() {
  int cap = 0;
  while (cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0) cap++;
  return cap - 1;
}

uint64_t currentBounding(int last) {
  uint64_t set = 0;
  for (int cap = 0; cap <= last; cap++)
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) set |= 1ULL << cap;
  return set;
}

std::string capList(uint64_t caps) {
  std::string out;
  for (int cap = 0; cap < 64; cap++)
    if (caps & (1ULL << cap)) out += (out.empty() ? "" : ",") + std::to_string(cap);
  return out;
}


std::string capNames(uint64_t caps) {
  std::string out;
  for (int cap = 0; cap < 64; cap++) {
    if (!(caps & (1ULL << cap))) continue;
    if (!out.empty()) out += ", ";
    out += cap < runts::kCapabilityCount ? runts::kCapabilityNames[cap] : "capability " + std::to_string(cap);
  }
  return out;
}

bool capget(CapData d[2]) {
  CapHeader h = {kCapVersion3, 0};
  return syscall(SYS_capget, &h, d) == 0;
}

uint64_t join(uint32_t lo, uint32_t hi) { return static_cast<uint64_t>(hi) << 32 | lo; }

// capset(2) says only EPERM; these are the rules it enforces, so the user
// learns which capability of the config broke which one.
std::string explainCapset(const Capabilities& c, uint64_t bounding) {
  CapData cur[2] = {};
  if (!capget(cur)) return "";
  uint64_t permitted = join(cur[0].permitted, cur[1].permitted);
  uint64_t inheritable = join(cur[0].inheritable, cur[1].inheritable);
  if (uint64_t bad = c.effective & ~c.permitted)
    return capNames(bad) + " in process.capabilities.effective but not in permitted: an effective capability must be permitted";
  if (uint64_t bad = c.permitted & ~permitted)
    return capNames(bad) + " in process.capabilities.permitted, which the runtime itself does not hold";
  if (uint64_t bad = c.inheritable & ~(inheritable | bounding))
    return capNames(bad) + " in process.capabilities.inheritable but not in bounding: an inheritable capability must be in the bounding set";
  return "";
}

bool capset(const Capabilities& c, uint64_t bounding, Failure& f) {
  CapHeader h = {kCapVersion3, 0};
  CapData d[2] = {};
  d[0] = {static_cast<uint32_t>(c.effective), static_cast<uint32_t>(c.permitted),
          static_cast<uint32_t>(c.inheritable)};
  d[1] = {static_cast<uint32_t>(c.effective >> 32), static_cast<uint32_t>(c.permitted >> 32),
          static_cast<uint32_t>(c.inheritable >> 32)};
  if (syscall(SYS_capset, &h, d) == 0) return true;
  int e = errno;
  std::string why = e == EPERM ? explainCapset(c, bounding) : "";
  errno = e;
  return sysFail(f, "set capabilities (capset)", "", why);
}

bool dropBounding(uint64_t keep, int last, Failure& f) {
  for (int cap = 0; cap <= last; cap++) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return sysFail(f, "drop capability " + std::to_string(cap) + " from the bounding set");
  }
  return true;
}

// An ambient capability the kernel refuses (it must also be permitted and
// inheritable) is reported as a warning, as runc does, not as an error.
bool raiseAmbient(uint64_t ambient, uint64_t& refused, Failure& f) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return sysFail(f, "clear ambient capabilities");
  for (int cap = 0; cap < 64; cap++) {
    if (!(ambient & (1ULL << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) refused |= 1ULL << cap;
  }
  return true;
}

bool isExecutableFile(const std::string& path, int& err) {
  struct stat st;
  if (stat(path.c_str(), &st) < 0) {
    err = errno;
    return false;
  }
  if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
    err = EACCES;
    return false;
  }
  if (access(path.c_str(), X_OK) < 0) {
    err = errno;
    return false;
  }
  return true;
}

}  // namespace

bool applyOomScoreAdj(const Process& p, Failure& f) {
  if (!p.hasOomScoreAdj) return true;
  std::string value = std::to_string(p.oomScoreAdj);
  if (writeExisting("/proc/self/oom_score_adj", value, f)) return true;
  f.step = "set oom_score_adj to " + value + " (write";
  f.path = "/proc/self/oom_score_adj)";
  if (p.oomScoreAdj < 0)
    f.detail = "lowering oom_score_adj needs CAP_SYS_RESOURCE, which this host does not give the runtime";
  return false;
}

bool applyRlimits(const Process& p, Failure& f) {
  for (const auto& r : p.rlimits) {
    struct rlimit lim = {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (setrlimit(static_cast<__rlimit_resource>(r.resource), &lim) == 0) continue;
    int e = errno;
    struct rlimit cur = {};
    getrlimit(static_cast<__rlimit_resource>(r.resource), &cur);
    errno = e;
    std::string detail;
    if (e == EPERM && lim.rlim_max > cur.rlim_max)
      detail = "the hard limit " + std::to_string(r.hard) + " is above this host's " +
               std::to_string(cur.rlim_max) + " and raising it needs CAP_SYS_RESOURCE; lower it in config.json";
    else if (e == EINVAL && lim.rlim_cur > lim.rlim_max)
      detail = "the soft limit is above the hard limit";
    return sysFail(f, "set rlimit " + r.name + " (soft " + std::to_string(r.soft) + ", hard " +
                          std::to_string(r.hard) + ")",
                   "", detail);
  }
  return true;
}

bool joinSessionKeyring(const std::string& id, Failure& f) {
  std::string name = "_ses." + id;
  long key = syscall(SYS_keyctl, kKeyctlJoinSessionKeyring, name.c_str());
  if (key < 0) {
    // Kernels without keys, or sandboxes that filter keyctl: run without a
    // private keyring, as runc does.
    if (errno == ENOSYS || errno == EPERM || errno == EACCES) return true;
    return sysFail(f, "join session keyring", name);
  }
  // Let processes of the container's user search their keyring.
  char desc[512];
  long n = syscall(SYS_keyctl, kKeyctlDescribe, key, desc, sizeof desc);
  if (n > 0) {
    desc[sizeof desc - 1] = 0;
    // "type;uid;gid;perm;description"
    const char* p = desc;
    for (int i = 0; i < 3 && p; i++) {
      p = strchr(p, ';');
      if (p) p++;
    }
    if (p) {
      uint32_t perm = static_cast<uint32_t>(strtoul(p, nullptr, 16));
      if (syscall(SYS_keyctl, kKeyctlSetperm, key, perm | kKeyUserSearch) < 0)
        return sysFail(f, "set session keyring permissions", name);
    }
  }
  return true;
}

bool applyCredentials(const Process& p, CapabilityWarnings& warnings, Failure& f) {
  Capabilities caps = p.caps;
  int last = lastCap();
  if (caps.set) {
    uint64_t grantable = currentBounding(last);
    uint64_t requested = caps.bounding | caps.effective | caps.permitted | caps.inheritable | caps.ambient;
    uint64_t missing = requested & ~grantable;
    if (missing) {
      warnings.unavailable = capList(missing);
      caps.bounding &= grantable;
      caps.effective &= grantable;
      caps.permitted &= grantable;
      caps.inheritable &= grantable;
      caps.ambient &= grantable;
    }
    if (!dropBounding(caps.bounding, last, f)) return false;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return sysFail(f, "prctl(PR_SET_KEEPCAPS)");
  }
  if (p.setGroups && setgroups(p.additionalGids.size(), p.additionalGids.data()) < 0)
    return sysFail(f, "set additional groups (setgroups)", "", errno == EPERM ? "the user namespace denies setgroups" : "");
  if (setresgid(p.gid, p.gid, p.gid) < 0)
    return sysFail(f, "set gid " + std::to_string(p.gid), "", errno == EINVAL ? "the gid is not mapped in the user namespace" : "");
  if (setresuid(p.uid, p.uid, p.uid) < 0)
    return sysFail(f, "set uid " + std::to_string(p.uid), "", errno == EINVAL ? "the uid is not mapped in the user namespace" : "");
  if (!caps.set) return true;
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return sysFail(f, "prctl(PR_SET_KEEPCAPS)");
  uint64_t refused = 0;
  if (!capset(caps, caps.bounding, f) || !raiseAmbient(caps.ambient, refused, f)) return false;
  warnings.ambientRefused = capList(refused);
  return true;
}

bool enterCwd(const Process& p, Failure& f) {
  if (chdir(p.cwd.c_str()) < 0) return sysFail(f, "chdir to cwd", p.cwd, "process.cwd must be a directory in the container");
  char buf[4096];
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  if (n <= 0 || buf[0] != '/') {
    errno = EPERM;
    return sysFail(f, "check cwd", p.cwd, "the working directory is outside the container");
  }
  return true;
}

// Go's exec.LookPath, which runc uses, with runc's environment: PATH is the
// container's (process.env) and nothing else. An empty or missing PATH
// searches nowhere (Go splits "" into no directories: the cwd is not
// searched), and a match through a relative entry ("", ".", "bin") is
// refused as Go >= 1.19 does (exec.ErrDot). The names are quoted as Go's
// strconv.Quote does, so a name with a newline stays on its line.
bool lookupExecutable(const Process& p, std::string& path, Failure& f) {
  const std::string& name = p.args[0];
  const std::string shown = "exec: " + quoted(name) + ": ";
  int err = ENOENT;
  if (name.find('/') != std::string::npos) {
    if (isExecutableFile(name, err)) {
      path = name;
      return true;
    }
    errno = err;
    if (err == EACCES) return plainFail(f, shown + "permission denied", 126);
    return plainFail(f, shown + "stat " + printable(name) + ": " + strerror(err), 127);
  }
  const std::string& list = p.pathEnv;
  size_t start = 0;
  bool denied = false;
  while (!list.empty() && start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    std::string dir = list.substr(start, end - start);
    start = end + 1;
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (isExecutableFile(candidate, err)) {
      if (dir[0] != '/') return plainFail(f, shown + "cannot run executable found relative to current directory", 127);
      path = candidate;
      return true;
    }
    if (err == EACCES) denied = true;
  }
  if (denied) return plainFail(f, shown + "permission denied", 126);
  return plainFail(f, shown + "executable file not found in $PATH", 127);
}

bool closeExtraFds(const Process& p, Failure& f) {
  unsigned first = 3u + static_cast<unsigned>(p.preserveFds);
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return true;
  // Before Linux 5.11: mark each open fd by hand.
  for (int fd = static_cast<int>(first); fd < 65536; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return sysFail(f, "set close-on-exec");
  }
  return true;
}

namespace {

// /etc/passwd of the container, which the image controls: a regular file
// only (a fifo there must not block the init), at most 4 MiB, not a procfs
// file (a link to /proc/kcore or the like is no user database).
bool readPasswd(std::string& out) {
  int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= (4 << 20) && !onProcfs(fd);
  char buf[65536];
  while (ok && out.size() < (4u << 20)) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return ok;
}

// name:password:uid:gid:gecos:home:shell; the first entry of the uid wins,
// as getpwuid's.
std::string passwdHome(const std::string& passwd, uid_t uid) {
  for (size_t start = 0; start < passwd.size();) {
    size_t end = passwd.find('\n', start);
    if (end == std::string::npos) end = passwd.size();
    std::string line = passwd.substr(start, end - start);
    start = end + 1;
    std::vector<std::string> fields;
    for (size_t s = 0;;) {
      size_t c = line.find(':', s);
      fields.push_back(line.substr(s, c == std::string::npos ? std::string::npos : c - s));
      if (c == std::string::npos) break;
      s = c + 1;
    }
    if (fields.size() < 7 || fields[2].empty() || fields[2].find_first_not_of("0123456789") != std::string::npos) continue;
    if (strtoul(fields[2].c_str(), nullptr, 10) == uid && !fields[5].empty()) return fields[5];
  }
  return "";
}

}  // namespace

std::string homeEntry(const Process& p) {
  for (const auto& e : p.env)
    if (e.compare(0, 5, "HOME=") == 0 && e.size() > 5) return "";
  std::string passwd, home;
  if (readPasswd(passwd)) home = passwdHome(passwd, p.uid);
  return "HOME=" + (home.empty() ? std::string("/") : home);
}

void execProcess(const Process& p, const std::string& path, Failure& f, const std::string& extraEnv) {
  std::vector<char*> argv, envp;
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : p.env)
    if (extraEnv.empty() || e.compare(0, 5, "HOME=") != 0) envp.push_back(const_cast<char*>(e.c_str()));
  if (!extraEnv.empty()) envp.push_back(const_cast<char*>(extraEnv.c_str()));
  envp.push_back(nullptr);
  // The init caught signals while it waited; the program starts with the
  // default dispositions and an empty mask.
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(path.c_str(), argv.data(), envp.data());
  int e = errno;
  sysFail(f, "exec", path);
  f.exitCode = (e == EACCES || e == ENOEXEC) ? 126 : 127;
}

}  // namespace runts::init
