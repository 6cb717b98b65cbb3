#include "exec-native.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../common/container.h"
#include "../common/exec-plan.h"
#include "../common/fsutil.h"
#include "../common/verbs.h"
#include "../node/launch.h"

namespace runts::launcher {

namespace {

bool value(int argc, char** argv, int& i, const char* name, std::string& out) {
  size_t len = strlen(name);
  const char* a = argv[i];
  if (strncmp(a, name, len) != 0) return false;
  if (a[len] == '=') {
    out = a + len + 1;
    return true;
  }
  if (a[len] != 0 || i + 1 >= argc || argv[i + 1][0] == '-') return false;
  out = argv[++i];
  return true;
}

// The runtime's own bounding set: a capability outside it gets a warning on
// the TypeScript side, so such an exec goes there.
uint64_t ownBounding() {
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) return 0;
  char line[256];
  uint64_t set = 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "CapBnd:", 7) == 0) set = strtoull(line + 7, nullptr, 16);
  fclose(f);
  return set;
}

// The words engines map (src/container/exec.ts lookupExitCode): 127 for a
// program that is not there, 126 for one that cannot run.
int lookupExitCode(const Failure& f) {
  if (f.err != 0 || f.step.compare(0, 7, "exec: \"") != 0) return 1;
  const std::string tail = ": permission denied";
  return f.step.size() > tail.size() && f.step.compare(f.step.size() - tail.size(), tail.size(), tail) == 0 ? 126 : 127;
}

// As src/state/store.ts writePidFile: a temporary file beside it, renamed.
bool writePidFile(const std::string& file, pid_t pid, Failure& f) {
  std::string dir = ".", base = file;
  if (size_t slash = file.rfind('/'); slash != std::string::npos) {
    dir = slash == 0 ? "/" : file.substr(0, slash);
    base = file.substr(slash + 1);
  }
  std::string tmp = dir + "/." + base + "." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::string text = std::to_string(pid);
  bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0) close(fd);
  if (ok && rename(tmp.c_str(), file.c_str()) == 0) return true;
  int e = errno;
  unlink(tmp.c_str());
  errno = e;
  return sysFail(f, "write pid file", file);
}

// The exec'd process is this process's child (CLONE_PARENT) until it is
// reaped here, so its pid cannot be another process's when a handler signals it.
volatile sig_atomic_t gChild = 0;
// Signals (bit per number) that came before the process existed, as runc's
// signal handler keeps them: delivered once its pid is known, instead of
// ending this process by their default action while the exec is set up.
volatile sig_atomic_t gPending = 0;

// The signals src/container/run.ts forwards.
constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT};

void forward(int sig) {
  if (gChild > 0) kill(static_cast<pid_t>(gChild), sig);
  else gPending = gPending | (1 << sig);
}

sigset_t forwardedSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwarded) sigaddset(&set, sig);
  return set;
}

// Before the launch: from now on these signals are the exec'd process's.
void catchForwardedSignals() {
  struct sigaction sa = {};
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : kForwarded) sigaction(sig, &sa, nullptr);
}

// Once the process exists: what came meanwhile goes to it, then every signal.
void forwardSignalsTo(pid_t pid) {
  sigset_t set = forwardedSet(), old;
  sigprocmask(SIG_BLOCK, &set, &old);
  gChild = pid;
  int pending = gPending;
  gPending = 0;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  for (int sig : kForwarded)
    if (pending & (1 << sig)) kill(pid, sig);
}

// Its exit code, or 128+signal when a signal killed it.
int waitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  gChild = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

bool parseExecArgs(int argc, char** argv, int i, ExecCommand& cmd) {
  for (; i < argc && argv[i][0] == '-'; i++) {
    std::string a = argv[i], n;
    if (a == "--detach" || a == "-d") cmd.detach = true;
    else if (a == "--tty" || a == "-t") cmd.tty = true;
    else if (value(argc, argv, i, "--process", cmd.processFile) || value(argc, argv, i, "-p", cmd.processFile)) continue;
    else if (value(argc, argv, i, "--pid-file", cmd.pidFile)) continue;
    else if (value(argc, argv, i, "--console-socket", cmd.consoleSocket)) continue;
    else if (value(argc, argv, i, "--preserve-fds", n)) {
      if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos) return false;
      cmd.preserveFds = atoi(n.c_str());
    } else return false;
  }
  // Exactly the id: with --process a command after it would be ignored, and Node says so best.
  if (i != argc - 1 || argv[i][0] == 0) return false;
  cmd.id = argv[i];
  return !cmd.processFile.empty();
}

int runExec(const ExecCommand& cmd, Failure& f) {
  Failure ignored;
  if (!validateContainerId(cmd.id, ignored)) return kNeedsNode;
  ContainerRecord rec;
  if (!loadRecord(cmd.root, cmd.id, rec, ignored, true) || rec.storedStatus.empty()) return kNeedsNode;
  Status status = liveStatus(rec);
  if (status != Status::Created && status != Status::Running) return kNeedsNode;
  std::string recordText, processText;
  if (!readRegularFile(rec.stateDir + "/exec.json", kMaxDocumentBytes, true, recordText, ignored) ||
      !readRegularFile(cmd.processFile, kMaxDocumentBytes, false, processText, ignored))
    return kNeedsNode;
  NativeExecPlan planned;
  // As src/plan/process-core.ts (runc's activation.Files): LISTEN_FDS counts
  // only when LISTEN_PID names this process.
  const char* listenPid = getenv("LISTEN_PID");
  const char* listenFds = listenPid && atol(listenPid) == static_cast<long>(getpid()) ? getenv("LISTEN_FDS") : nullptr;
  if (!planNativeExec(cmd.id, recordText, processText, rec.pid, rec.pidStartTime, cmd.preserveFds, listenFds, planned))
    return kNeedsNode;
  // The terminal rules of src/container/exec.ts, only their allowed forms:
  // detached, a terminal goes with a console socket; attached, no terminal
  // (bridging a pty to this process's stdio is Node's).
  if (cmd.detach ? planned.terminal != !cmd.consoleSocket.empty() || cmd.tty != planned.terminal
                 : planned.terminal || cmd.tty || !cmd.consoleSocket.empty())
    return kNeedsNode;
  if ((planned.requestedCaps & ~ownBounding()) != 0 || !planned.ambientGrantable) return kNeedsNode;
  node::LaunchRequest req;
  req.initPath = cmd.buildDir + "/runts-init";
  req.plan = planned.planJson;
  for (const auto& c : rec.cgroups) req.cgroupProcsFiles.push_back(c.path + "/cgroup.procs");
  req.consoleSocket = cmd.consoleSocket;
  req.preserveFds = planned.preserveFds;
  node::LaunchResult launched;
  // Attached: a signal that comes while the exec is set up is kept for the
  // process, not lost (runts-init itself starts with default handlers).
  if (!cmd.detach) catchForwardedSignals();
  if (!node::launch(req, launched, f)) {
    f.exitCode = lookupExitCode(f);
    f.step = "exec in container " + quoted(cmd.id) + ": " + f.step;
    return f.exitCode;
  }
  if (!cmd.pidFile.empty() && !writePidFile(cmd.pidFile, launched.pid, f)) {
    node::abortLaunch(launched.syncFd, launched.pid, launched.startTime);
    return 1;
  }
  // Attached: the signals this process got or gets go to the exec'd one
  // (before commit: the process exists, it waits for the commit to exec).
  if (!cmd.detach) forwardSignalsTo(launched.pid);
  if (!node::commitLaunch(launched.syncFd, f)) {
    node::abortLaunch(-1, launched.pid, launched.startTime);
    if (!cmd.pidFile.empty()) unlink(cmd.pidFile.c_str());
    f.step = "exec in container " + quoted(cmd.id) + ": " + f.step;
    return 1;
  }
  return cmd.detach ? 0 : waitExit(launched.pid);
}

}  // namespace runts::launcher
