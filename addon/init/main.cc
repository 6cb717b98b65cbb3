// runts-init: the first program of every container. The addon starts it from
// a sealed memfd (so /proc/<pid>/exe of a waiting container is never a
// writable host file, CVE-2019-5736) with the sync socket as its only channel
// to the runtime.
//
// It runs in two processes:
//   stage "parent-side": joins namespaces given by path, creates the new
//     ones (asking the runtime to write uid/gid maps), then clones the
//     container process with CLONE_PARENT, so that the runtime (and after it
//     the engine's subreaper) is its parent, reports its pid and exits;
//   stage "container": sets up the rootfs, devices, console, credentials,
//     reports ready, waits on the exec fifo for `start`, and execs args[0].
// Being a fresh, single-threaded program, it may call anything; the
// restrictions of a child forked from Node do not apply here.

#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../common/channel.h"
#include "../common/fsutil.h"
#include "../common/json.h"
#include "console.h"
#include "hooks.h"
#include "loopback.h"
#include "exec.h"
#include "lsm.h"
#include "plan.h"
#include "process.h"
#include "rootfs.h"
#include "rootpath.h"
#include "seccomp.h"
#include "sched.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

namespace {

using runts::Failure;
using runts::init::Plan;

struct Fds {
  int sync = -1;
  int fifo = -1;
  int console = -1;
  int proc = -1;  // the runtime's procfs, for LSM attr writes (lsm.h)
  int report = -1;  // start.fifo: why the container did not reach execve (hooks)
};

[[noreturn]] void failAndExit(int sync, const Failure& f) {
  runts::sendMessage(sync, runts::failureMessage(f));
  _exit(1);
}

// The kernel's struct sigaction, for the signals glibc keeps to itself.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  unsigned long mask;
};

void resetSignals() {
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  // glibc's posix_spawn sets its internal signals (32, 33) to SIG_IGN in the
  // child, and an ignored signal stays ignored across execve: the container
  // process must start with every signal at its default.
  KernelSigaction dfl = {SIG_DFL, 0, nullptr, 0};
  for (int sig = 32; sig < SIGRTMIN; sig++) syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(unsigned long));
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

void exitOnSignal(int sig) { _exit(128 + sig); }

// While it waits for `start`, the init is pid 1 of the container, which the
// kernel shields from every signal without a handler: these handlers let
// `kill` stop a created container the way it stops runc's.
void catchTerminatingSignals() {
  const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE};
  for (int sig : sigs) signal(sig, exitOnSignal);
}

bool parseArgs(int argc, char** argv, Fds& fds) {
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (strncmp(a, "sync=", 5) == 0) fds.sync = atoi(a + 5);
    else if (strncmp(a, "fifo=", 5) == 0) fds.fifo = atoi(a + 5);
    else if (strncmp(a, "console=", 8) == 0) fds.console = atoi(a + 8);
    else if (strncmp(a, "report=", 7) == 0) fds.report = atoi(a + 7);
  }
  return fds.sync >= 0;
}

const char* namespaceName(int flag) {
  switch (flag) {
    case CLONE_NEWUSER: return "user";
    case CLONE_NEWNS: return "mount";
    case CLONE_NEWPID: return "pid";
    case CLONE_NEWNET: return "network";
    case CLONE_NEWIPC: return "ipc";
    case CLONE_NEWUTS: return "uts";
    case CLONE_NEWCGROUP: return "cgroup";
    case 0x00000080: return "time";
  }
  return "unknown";
}

bool joinsUserNamespace(const Plan& plan) {
  for (const auto& j : plan.joins)
    if (j.flag == CLONE_NEWUSER) return true;
  return false;
}

bool joinNamespaces(const Plan& plan, Failure& f) {
  // Open every path first: after joining a mount namespace the others might
  // no longer be reachable.
  std::vector<int> fds;
  for (const auto& j : plan.joins) {
    int fd = open(j.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      for (int o : fds) close(o);
      return runts::sysFail(f, std::string("open ") + namespaceName(j.flag) + " namespace", j.path);
    }
    fds.push_back(fd);
  }
  for (size_t i = 0; i < plan.joins.size(); i++) {
    const auto& j = plan.joins[i];
    if (setns(fds[i], j.flag) < 0) {
      int e = errno;
      for (int o : fds) close(o);
      errno = e;
      return runts::sysFail(f, std::string("join ") + namespaceName(j.flag) + " namespace", j.path,
                            e == EINVAL ? std::string("the path is not a ") + namespaceName(j.flag) + " namespace" : "");
    }
  }
  for (int o : fds) close(o);
  // As after creating one: become root of the joined user namespace, or the
  // host's root (unmapped there) could create no file (EOVERFLOW).
  if (joinsUserNamespace(plan)) {
    if (setresgid(0, 0, 0) < 0 && errno != EINVAL) return runts::sysFail(f, "setresgid(0) in the joined user namespace");
    if (setresuid(0, 0, 0) < 0 && errno != EINVAL) return runts::sysFail(f, "setresuid(0) in the joined user namespace");
  }
  return true;
}

bool createUserNamespace(const Plan& plan, int sync, Failure& f) {
  if (!(plan.cloneFlags & CLONE_NEWUSER)) return true;
  if (unshare(CLONE_NEWUSER) < 0) return runts::sysFail(f, "create user namespace");
  runts::json::Value reply;
  if (!runts::sendSimple(sync, "userns") || !runts::recvMessage(sync, reply, -1))
    return runts::sysFail(f, "wait for uid/gid maps");
  if (reply.str("type") == "error") {
    f = runts::failureFromMessage(reply);
    return false;
  }
  // Become root of the new namespace where root is mapped; when it is not,
  // the process still holds every capability inside it.
  if (setresgid(0, 0, 0) < 0 && errno != EINVAL) return runts::sysFail(f, "setresgid(0) in user namespace");
  if (setresuid(0, 0, 0) < 0 && errno != EINVAL) return runts::sysFail(f, "setresuid(0) in user namespace");
  return true;
}

bool createNamespaces(const Plan& plan, Failure& f) {
  int flags = plan.cloneFlags & ~CLONE_NEWUSER;
  if (flags && unshare(flags) < 0)
    return runts::sysFail(f, "create namespaces (unshare)", "",
                          errno == EINVAL ? "the kernel lacks one of the requested namespace types" : "");
  if ((flags & CLONE_NEWNET) && !runts::init::bringUpLoopback(f)) return false;
  if ((flags & 0x00000080) && !plan.timeOffsets.empty() &&
      !runts::writeExisting("/proc/self/timens_offsets", plan.timeOffsets, f))
    return false;
  return true;
}

[[noreturn]] void containerStage(const Plan& plan, const Fds& fds);

[[noreturn]] void parentSideStage(const Plan& plan, Fds& fds) {
  Failure f;
  // Before any setns: a joined mount namespace has the container's /proc.
  if (!runts::init::openProcRootIfNeeded(plan, fds.proc, f)) failAndExit(fds.sync, f);
  // Bind sources are opened by the host's root, before a user namespace
  // takes that power away (rootfs.h).
  if ((plan.cloneFlags & CLONE_NEWUSER) || joinsUserNamespace(plan)) runts::init::openBindSources(plan);
  if (!joinNamespaces(plan, f) || !createUserNamespace(plan, fds.sync, f) || !createNamespaces(plan, f))
    failAndExit(fds.sync, f);
  // CLONE_PARENT: the container process becomes a child of the runtime,
  // not of this short-lived process. It is pid 1 of a new pid namespace.
  long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) {
    runts::sysFail(f, "clone the container process");
    failAndExit(fds.sync, f);
  }
  if (pid == 0 && plan.exec.set) runts::init::execStage(plan, fds.sync, fds.console, fds.proc);
  if (pid == 0) containerStage(plan, fds);
  runts::json::Value msg = runts::json::Value::makeObject();
  msg.set("type", runts::json::Value::makeString("pid"));
  msg.set("pid", runts::json::Value::makeNumber(pid));
  runts::sendMessage(fds.sync, msg);
  _exit(0);
}

// After `start`, the sync socket is gone: the failure goes to start.fifo,
// which `start` reads (docs/hooks.md), never to the container's stdio.
[[noreturn]] void reportAndExit(int report, const Failure& f) {
  if (report >= 0) {
    std::string text = f.message();
    if (write(report, text.data(), text.size()) < 0) {
    }
  }
  _exit(f.exitCode);
}

void sendWarnings(int sync, const runts::init::CapabilityWarnings& w) {
  if (w.unavailable.empty() && w.ambientRefused.empty()) return;
  runts::json::Value msg = runts::json::Value::makeObject();
  msg.set("type", runts::json::Value::makeString("warning"));
  msg.set("capsUnavailable", runts::json::Value::makeString(w.unavailable));
  msg.set("ambientRefused", runts::json::Value::makeString(w.ambientRefused));
  runts::sendMessage(sync, msg);
}

// The create-time hook point (docs/hooks.md): the runtime's createRuntime
// stop, where it runs the prestart and createRuntime hooks in its own
// namespaces, then the createContainer hooks, run here in the container's
// namespaces. Both before pivot_root, after the mounts, as runc.
bool createTimeHooks(const Plan& plan, int sync, runts::init::HookStates& states, Failure& f) {
  std::string data;
  return runts::init::stopAt(plan, "createRuntime", sync, data, f) && runts::init::readHookStates(data, states, f) &&
         runts::init::runHooks(plan.hooks.createContainer, states.createContainer, f);
}

bool setupFilesystem(const Plan& plan, const Fds& fds, int& consoleSlave, runts::init::HookStates& hookStates,
                     Failure& f) {
  using namespace runts::init;
  const auto& p = plan.process;
  if (!plan.setupRootfs) {
    return (!p.terminal || setupConsole(plan, nullptr, fds.console, consoleSlave, f)) && writeSysctls(plan, nullptr, f) &&
           createTimeHooks(plan, fds.sync, hookStates, f);
  }
  RootDir root;
  if (!prepareRoot(plan, root, f) || !mountAll(plan, root, f) || !labelMountRoots(plan, root, f) ||
      !setupDevices(plan, root, f))
    return false;
  if (p.terminal && !setupConsole(plan, &root, fds.console, consoleSlave, f)) return false;
  if (!writeSysctls(plan, &root, f) || !applyReadonlyPaths(plan, root, f) || !applyMaskedPaths(plan, root, f))
    return false;
  // runc creates a missing cwd; so does runts, inside the rootfs.
  int cwd = root.mkdirAll(p.cwd, 0755, f);
  if (cwd < 0) return false;
  close(cwd);
  return createTimeHooks(plan, fds.sync, hookStates, f) && enterRoot(plan, f) && finalizeRoot(plan, f);
}

[[noreturn]] void containerStage(const Plan& plan, const Fds& fds) {
  using namespace runts::init;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  catchTerminatingSignals();
  runts::json::Value go;
  // Wait until the runtime has our pid: from here on only this process
  // writes to the sync socket.
  if (!runts::recvMessage(fds.sync, go, -1) || go.str("type") != "setup") _exit(1);
  Failure f;
  const auto& p = plan.process;
  if (setsid() < 0) {
    runts::sysFail(f, "setsid");
    failAndExit(fds.sync, f);
  }
  // crun's order: the memory policy first (crun sets it before the clone,
  // so that all of the set-up allocates by it), then, once the process is
  // in its cgroups (the runtime put stage 1 there before sending the plan),
  // affinity, scheduler and I/O priority. All before the credential change,
  // which takes the privileges real-time classes need. Unlike crun, the
  // affinity is widened before the scheduler is set: SCHED_DEADLINE is
  // refused to a task whose affinity does not cover its root domain, as
  // under `taskset -c 0 runts run`.
  const bool ownUserNs = (plan.cloneFlags & CLONE_NEWUSER) != 0 || joinsUserNamespace(plan);
  if (!applyMemoryPolicy(plan, f) || !resetCpuAffinity(p, f) || !applyScheduler(p, ownUserNs, f) ||
      !applyIoPriority(p, ownUserNs, f))
    failAndExit(fds.sync, f);
  if (!applyOomScoreAdj(p, f)) failAndExit(fds.sync, f);
  if (!applyKeyringLabel(plan, fds.proc, f)) failAndExit(fds.sync, f);
  if (p.newKeyring && !joinSessionKeyring(plan.id, f)) failAndExit(fds.sync, f);
  if (plan.hasHostname && sethostname(plan.hostname.c_str(), plan.hostname.size()) < 0) {
    runts::sysFail(f, "set hostname", plan.hostname);
    failAndExit(fds.sync, f);
  }
  if (plan.hasDomainname && setdomainname(plan.domainname.c_str(), plan.domainname.size()) < 0) {
    runts::sysFail(f, "set domainname", plan.domainname);
    failAndExit(fds.sync, f);
  }
  int consoleSlave = -1;
  HookStates hookStates;
  if (!setupFilesystem(plan, fds, consoleSlave, hookStates, f)) failAndExit(fds.sync, f);
  // In the container's root, before the user switch (passwd may be 0600).
  const std::string home = homeEntry(p);
  if (p.terminal && !attachConsole(consoleSlave, f)) failAndExit(fds.sync, f);
  if (!applyRlimits(p, f)) failAndExit(fds.sync, f);
  umask(p.umask >= 0 ? static_cast<mode_t>(p.umask) : 022);
  if (!enterCwd(p, f)) failAndExit(fds.sync, f);
  // runc's order: without no_new_privs, loading a filter needs
  // CAP_SYS_ADMIN, so it happens before the capabilities are dropped and
  // the user switched; the profile must then allow what follows.
  if (plan.seccomp.beforeCredentials && !loadSeccomp(plan.seccomp, fds.sync, f)) failAndExit(fds.sync, f);
  CapabilityWarnings capWarnings;
  if (!applyCredentials(p, capWarnings, f)) failAndExit(fds.sync, f);
  sendWarnings(fds.sync, capWarnings);
  // Changing credentials cleared the parent-death signal, and may have set
  // dumpability to fs.suid_dumpable, which can be 1.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!makeNonDumpable(f)) failAndExit(fds.sync, f);
  std::string exe;
  if (!lookupExecutable(p, exe, f)) failAndExit(fds.sync, f);
  if (!applyExecLabels(plan, fds.proc, f)) failAndExit(fds.sync, f);
  if (fds.proc >= 0) close(fds.proc);
  if (p.noNewPrivileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    runts::sysFail(f, "set no_new_privs");
    failAndExit(fds.sync, f);
  }
  if (!closeExtraFds(p, f)) failAndExit(fds.sync, f);
  // Last: it changes what the program sees (uname -m) and nothing the init
  // still does; execve keeps it.
  if (!applyPersonality(plan, f)) failAndExit(fds.sync, f);
  // With no_new_privs: as late as possible, after credentials, rlimits and
  // the lookup, but while the sync socket is open for the listener fd and
  // for reporting a refused filter at create time, as runc does. After it:
  // the ready/commit messages, the exec-fifo read, signal resets, execve.
  if (!plan.seccomp.beforeCredentials && !loadSeccomp(plan.seccomp, fds.sync, f)) failAndExit(fds.sync, f);
  runts::json::Value reply;
  if (!runts::sendSimple(fds.sync, "ready") || !runts::recvMessage(fds.sync, reply, -1) ||
      reply.str("type") != "commit")
    _exit(1);
  // The state is on disk: from now on the container outlives the runtime.
  prctl(PR_SET_PDEATHSIG, 0);
  if (!runts::sendSimple(fds.sync, "committed")) _exit(1);
  close(fds.sync);
  if (fds.fifo >= 0) {
    char c;
    ssize_t n;
    do {
      n = read(fds.fifo, &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(1);
    close(fds.fifo);
  }
  // In the container, as the container's user, just before execve (runc's
  // place). A failure stops the container; `start` reads why from start.fifo.
  if (!runHooks(plan.hooks.startContainer, hookStates.startContainer, f)) reportAndExit(fds.report, f);
  execProcess(p, exe, f, home);
  if (fds.report >= 0) reportAndExit(fds.report, f);
  std::string msg = "runts-init: " + f.message() + "\n";
  if (write(2, msg.data(), msg.size()) < 0) {
  }
  _exit(f.exitCode);
}

}  // namespace

// The runtime's caller may have left fds open without close-on-exec (an
// engine, a shell): the waiting init must hold none of them, or a process
// sharing its pid namespace reaches them through /proc/1/fd (the
// CVE-2024-21626 kind of escape). Kept: stdio, the preserved fds (3 ..
// 3+preserveFds-1, LISTEN_FDS included) and the init's own channels.
void closeRange(unsigned from, unsigned to) {
  if (from > to) return;
  if (syscall(SYS_close_range, from, to, 0) == 0) return;
  for (unsigned fd = from; fd <= to && fd < 65536; fd++) close(static_cast<int>(fd));
}

void closeStrayFds(int preserveFds, const Fds& fds) {
  unsigned from = 3u + static_cast<unsigned>(preserveFds);
  std::vector<int> keep;
  for (int fd : {fds.sync, fds.fifo, fds.console, fds.report})
    if (fd >= static_cast<int>(from)) keep.push_back(fd);
  std::sort(keep.begin(), keep.end());
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > from) closeRange(from, static_cast<unsigned>(fd) - 1);
    from = static_cast<unsigned>(fd) + 1;
  }
  closeRange(from, ~0U);
}

int main(int argc, char** argv) {
  Fds fds;
  if (!parseArgs(argc, argv, fds)) {
    fprintf(stderr, "runts-init is started by runts; it is not a command to run by hand\n");
    return 2;
  }
  resetSignals();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Before anything else, and inherited by the container process: a process
  // of the container, or of a pid namespace that joins it, must not ptrace
  // the init or read its memory or environment while it sets up and waits
  // (runc's nsexec does the same). execve restores the kernel's normal
  // dumpability for the user's program.
  Failure early;
  if (!runts::init::makeNonDumpable(early)) failAndExit(fds.sync, early);
  std::string text, err;
  if (!runts::recvFrame(fds.sync, text, -1)) _exit(1);
  runts::json::Value doc;
  Plan plan;
  Failure f;
  if (!runts::json::parse(text, doc, err)) {
    runts::plainFail(f, "launch plan is not valid JSON: " + err);
    failAndExit(fds.sync, f);
  }
  if (!runts::init::parsePlan(doc, plan, f)) failAndExit(fds.sync, f);
  closeStrayFds(plan.process.preserveFds, fds);
  // The plan's text and parse tree (a seccomp program makes them tens of
  // kB) are not needed again: give the memory back before the container
  // waits for `start`.
  std::string().swap(text);
  doc = runts::json::Value();
  malloc_trim(0);
  // exec: the container's namespaces, opened after checking its process.
  if (plan.exec.set && !runts::init::openExecNamespaces(plan, f)) failAndExit(fds.sync, f);
  parentSideStage(plan, fds);
}
