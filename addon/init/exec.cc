#include "exec.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../common/channel.h"
#include "../common/unique-fd.h"
#include "console.h"
#include "lsm.h"
#include "process.h"
#include "sched.h"
#include "seccomp.h"

namespace runts::init {

namespace {

// Field 3 (state) and 22 (start time) of /proc/<pid>/stat, read through the
// process's own directory fd.
bool readStat(int procDir, char& state, uint64_t& startTime) {
  Fd fd(openat(procDir, "stat", O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) return false;
  char buf[1024];
  ssize_t n = read(fd.fd, buf, sizeof buf - 1);
  if (n <= 0) return false;
  buf[n] = 0;
  // The command name may contain ") ": the fields start after the last ')'.
  char* p = strrchr(buf, ')');
  if (!p || p[1] != ' ') return false;
  p += 2;
  state = *p;
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return false;
    p++;
  }
  startTime = strtoull(p, nullptr, 10);
  return true;
}

bool sameFile(int fd, const std::string& path) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

[[noreturn]] void failAndExit(int sync, const Failure& f) {
  sendMessage(sync, failureMessage(f));
  _exit(1);
}

void sendWarnings(int sync, const CapabilityWarnings& w) {
  if (w.unavailable.empty() && w.ambientRefused.empty()) return;
  json::Value msg = json::Value::makeObject();
  msg.set("type", json::Value::makeString("warning"));
  msg.set("capsUnavailable", json::Value::makeString(w.unavailable));
  msg.set("ambientRefused", json::Value::makeString(w.ambientRefused));
  sendMessage(sync, msg);
}

// process.execCPUAffinity.final once the process is in the container's
// cgroups (runc's setFinalCPUAffinity); without one, every CPU the cpuset
// allows, as runc and crun reset it.
bool applyExecCpuAffinity(const Process& p, Failure& f) {
  const auto& words = p.cpuAffinity.final;
  if (words.empty()) return resetCpuAffinity(p, f);
  if (syscall(SYS_sched_setaffinity, 0, words.size() * sizeof(uint64_t), words.data()) == 0) return true;
  return sysFail(f, "set CPU affinity to process.execCPUAffinity.final (sched_setaffinity)", "",
                 errno == EINVAL ? "none of the CPUs is in the container's cpuset" : "");
}

// The container process's root (/proc/<pid>/root), opened with its
// namespaces. setns(CLONE_NEWNS) puts the joining process at the mount
// namespace's root, which is the container's root only where the container
// pivoted from the namespace's own root: not after --no-pivot's chroot, nor
// when the runtime itself runs in a chroot. The exec'd process takes the
// container process's root instead, as it takes its namespaces.
int gContainerRoot = -1;

// fchdir + chroot(".") into the container process's root, before the cwd.
bool enterContainerRoot(Failure& f) {
  if (gContainerRoot < 0) return true;
  if (fchdir(gContainerRoot) < 0) return sysFail(f, "enter the container's root (fchdir)");
  if (chroot(".") < 0) return sysFail(f, "enter the container's root (chroot)");
  close(gContainerRoot);
  gContainerRoot = -1;
  return true;
}

bool joinsUserNs(const Plan& plan) {
  for (const auto& j : plan.joins)
    if (j.flag == CLONE_NEWUSER) return true;
  return false;
}

}  // namespace

bool openExecNamespaces(Plan& plan, Failure& f) {
  const std::string dir = "/proc/" + std::to_string(plan.exec.pid);
  Fd procDir(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  char state = 0;
  uint64_t startTime = 0;
  if (procDir.fd < 0 || !readStat(procDir.fd, state, startTime) || startTime != plan.exec.startTime ||
      state == 'Z' || state == 'X') {
    errno = ESRCH;
    return sysFail(f, "open the container's namespaces", dir, "the container's process has exited");
  }
  // Kept until the exec stage has entered it (close-on-exec).
  gContainerRoot = openat(procDir.fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (gContainerRoot < 0) return sysFail(f, "open the container's root", dir + "/root");
  const std::string prefix = dir + "/ns/";
  std::vector<NamespaceJoin> kept;
  for (const auto& j : plan.joins) {
    if (j.path.compare(0, prefix.size(), prefix) != 0 || j.path.find('/', prefix.size()) != std::string::npos)
      return plainFail(f, "launch plan: exec join \"" + j.path + "\" is not under " + prefix);
    std::string name = j.path.substr(prefix.size());
    // Kept open until execve (close-on-exec): /proc/self/fd/N names it.
    int fd = openat(procDir.fd, ("ns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return sysFail(f, "open the container's " + name + " namespace", j.path,
                     errno == ESRCH ? "the container's process has exited" : "");
    if (sameFile(fd, "/proc/self/ns/" + name)) {
      close(fd);
      continue;
    }
    kept.push_back({j.flag, "/proc/self/fd/" + std::to_string(fd)});
  }
  plan.joins = kept;
  return true;
}

[[noreturn]] void execStage(const Plan& plan, int sync, int console, int proc) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  json::Value go;
  // Until the runtime has our pid, only stage 1 writes to the sync socket.
  if (!recvMessage(sync, go, -1) || go.str("type") != "setup") _exit(1);
  Failure f;
  const Process& p = plan.process;
  if (setsid() < 0) {
    sysFail(f, "setsid");
    failAndExit(sync, f);
  }
  // Before anything that resolves a path (the console's /dev/ptmx, the cwd).
  if (!enterContainerRoot(f)) failAndExit(sync, f);
  // HOME from the container's /etc/passwd when process.env has none, as for
  // create (runc's and crun's exec do it too); read in the container's root,
  // before the user switch (passwd may be 0600) and any seccomp filter.
  const std::string home = homeEntry(p);
  const bool ownUserNs = joinsUserNs(plan);
  if (!applyMemoryPolicy(plan, f) || !applyExecCpuAffinity(p, f) || !applyScheduler(p, ownUserNs, f) ||
      !applyIoPriority(p, ownUserNs, f) || !applyOomScoreAdj(p, f))
    failAndExit(sync, f);
  if (!applyKeyringLabel(plan, proc, f)) failAndExit(sync, f);
  if (p.newKeyring && !joinSessionKeyring(plan.id, f)) failAndExit(sync, f);
  if (p.terminal) {
    // The container's /dev/ptmx: this process is in its mount namespace,
    // whose root is the container's root.
    int slave = -1;
    if (!setupConsole(plan, nullptr, console, slave, f) || !attachConsole(slave, f)) failAndExit(sync, f);
  }
  if (console >= 0) close(console);
  if (!applyRlimits(p, f)) failAndExit(sync, f);
  umask(p.umask >= 0 ? static_cast<mode_t>(p.umask) : 022);
  if (!enterCwd(p, f)) failAndExit(sync, f);
  if (plan.seccomp.beforeCredentials && !loadSeccomp(plan.seccomp, sync, f)) failAndExit(sync, f);
  CapabilityWarnings warnings;
  if (!applyCredentials(p, warnings, f)) failAndExit(sync, f);
  sendWarnings(sync, warnings);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!makeNonDumpable(f)) failAndExit(sync, f);
  std::string exe;
  if (!lookupExecutable(p, exe, f)) failAndExit(sync, f);
  if (!applyExecLabels(plan, proc, f)) failAndExit(sync, f);
  if (proc >= 0) close(proc);
  if (p.noNewPrivileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    sysFail(f, "set no_new_privs");
    failAndExit(sync, f);
  }
  if (!closeExtraFds(p, f) || !applyPersonality(plan, f)) failAndExit(sync, f);
  if (!plan.seccomp.beforeCredentials && !loadSeccomp(plan.seccomp, sync, f)) failAndExit(sync, f);
  json::Value reply;
  if (!sendSimple(sync, "ready") || !recvMessage(sync, reply, -1) || reply.str("type") != "commit") _exit(1);
  // exec'd processes outlive the runtime (runc exec --detach).
  prctl(PR_SET_PDEATHSIG, 0);
  if (!sendSimple(sync, "committed")) _exit(1);
  close(sync);
  execProcess(p, exe, f, home);
  std::string msg = "runts-init: " + f.message() + "\n";
  if (write(2, msg.data(), msg.size()) < 0) {
  }
  _exit(f.exitCode);
}

}  // namespace runts::init
