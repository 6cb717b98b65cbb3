#include "launch.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "../common/channel.h"
#include "../common/fd-passing.h"
#include "../common/fsutil.h"
#include "../common/proc.h"
#include "../common/unique-fd.h"
#include "seccomp.h"

namespace runts::node {

namespace {

constexpr int kFdGuardMin = 10;

double nowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

class StepClock {
 public:
  explicit StepClock(LaunchResult& out) : out_(out), start_(nowMs()) {}
  void mark(const char* step) { out_.timings.emplace_back(step, nowMs() - start_); }

 private:
  LaunchResult& out_;
  double start_;
};

// One sealed copy of runts-init per Node process: every container started
// from this process executes the same immutable memfd.
std::mutex gMemfdMutex;
int gInitMemfd = -1;
std::string gInitPath;

bool sealedInit(const std::string& path, int& out, Failure& f) {
  std::lock_guard<std::mutex> lock(gMemfdMutex);
  if (gInitMemfd >= 0 && gInitPath == path) {
    out = gInitMemfd;
    return true;
  }
  Fd src(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (src.fd < 0) return sysFail(f, "open", path, "runts-init is built by `npm install`");
  struct stat st;
  if (fstat(src.fd, &st) < 0) return sysFail(f, "stat", path);
  Fd mem(memfd_create("runts-init", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (mem.fd < 0) return sysFail(f, "memfd_create");
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = sendfile(mem.fd, src.fd, &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sysFail(f, "copy runts-init into memfd", path);
  }
  if (fchmod(mem.fd, 0500) < 0) return sysFail(f, "chmod memfd");
  if (fcntl(mem.fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return sysFail(f, "seal memfd");
  if (gInitMemfd >= 0) close(gInitMemfd);
  gInitMemfd = mem.release();
  gInitPath = path;
  out = gInitMemfd;
  return true;
}

// Moves fd to a number above the preserved range, so that the init's own
// fds never collide with fds 3..3+preserveFds-1 it passes on.
bool aboveRange(Fd& fd, int minFd, Failure& f) {
  int moved = fcntl(fd.fd, F_DUPFD_CLOEXEC, minFd);
  if (moved < 0) return sysFail(f, "dup fd");
  fd.reset(moved);
  return true;
}

bool connectConsole(const std::string& path, Fd& out, Failure& f) {
  out.reset(connectUnix(path));
  return out.fd >= 0 || sysFail(f, "connect console socket", path);
}

bool writeProcFile(pid_t pid, const char* name, const std::string& content, Failure& f) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  if (writeExisting(path, content, f)) return true;
  f.step = std::string("write ") + name;
  f.detail = "check linux.uidMappings/gidMappings: each range must be unique and exist on the host";
  return false;
}

// Receives an fd the init sent with SCM_RIGHTS (the pty master, the
// seccomp listener).
bool receiveFd(int sock, int& fd, const char* what, Failure& f) {
  char name[256];
  if (receiveWithFd(sock, name, sizeof name, fd) < 0) return sysFail(f, std::string("receive the ") + what);
  if (fd < 0) return plainFail(f, std::string("runts-init sent no ") + what);
  return true;
}

void killAndReap(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

std::string describeExit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) <= 0) return "";
  if (WIFEXITED(status)) return " (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
  if (WIFSIGNALED(status)) return " (killed by signal " + std::to_string(WTERMSIG(status)) + ")";
  return "";
}

// The caller's fds as the native launcher found them at its start
// (addon/launcher/main.cc, RUNTS_CALLER_FDS="<pid>:3,4"). False when this
// process was not started by the launcher (the library API, `node
// dist/start.cjs`): then every open fd of the range is passed, as the
// embedding program asked.
bool callerFds(std::vector<int>& out) {
  const char* v = getenv("RUNTS_CALLER_FDS");
  if (!v) return false;
  char* end = nullptr;
  long pid = strtol(v, &end, 10);
  if (end == v || *end != ':' || pid != getpid()) return false;
  for (const char* p = end + 1; *p;) {
    long fd = strtol(p, &end, 10);
    if (end == p) break;
    out.push_back(static_cast<int>(fd));
    p = *end == ',' ? end + 1 : end;
  }
  return true;
}

bool passesFd(int fd, int memfd, bool known, const std::vector<int>& caller) {
  if (fd < 3) return true;
  if (known) return std::find(caller.begin(), caller.end(), fd) != caller.end();
  return fd != memfd;
}

struct Spawned {
  pid_t stagePid = -1;  // the short-lived parent-side stage
  pid_t pid = -1;       // the container process
  ~Spawned() {
    killAndReap(pid);
    killAndReap(stagePid);
  }
};

bool spawnInit(const LaunchRequest& req, int memfd, int syncFd, int fifoFd, int consoleFd, int reportFd, pid_t& pid,
               Failure& f) {
  std::vector<std::string> args = {"runts-init", "sync=" + std::to_string(syncFd)};
  if (fifoFd >= 0) args.push_back("fifo=" + std::to_string(fifoFd));
  if (consoleFd >= 0) args.push_back("console=" + std::to_string(consoleFd));
  if (reportFd >= 0) args.push_back("report=" + std::to_string(reportFd));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  // dup2 onto itself clears close-on-exec for exactly these fds. Node marks
  // its own stdio close-on-exec, so stdio is passed the same way. Of 3 ..
  // 3+preserveFds-1 only the caller's fds go (callerFds): the range also
  // holds the runtime's own fds (Node's and libuv's, the state lock); passing
  // them made the container hold the lock (create never returned, delete
  // waited on it).
  for (int fd : {syncFd, fifoFd, consoleFd, reportFd})
    if (fd >= 0) posix_spawn_file_actions_adddup2(&actions, fd, fd);
  std::vector<int> caller;
  bool known = callerFds(caller);
  for (int fd = 0; fd < 3 + req.preserveFds; fd++)
    if (fcntl(fd, F_GETFD) >= 0 && passesFd(fd, memfd, known, caller)) posix_spawn_file_actions_adddup2(&actions, fd, fd);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::string exe = "/proc/self/fd/" + std::to_string(memfd);
  int r = posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (r != 0) {
    errno = r;
    return sysFail(f, "start runts-init");
  }
  return true;
}

bool handleUserns(const LaunchRequest& req, pid_t stagePid, int sync, Failure& f) {
  if (!writeProcFile(stagePid, "uid_map", req.uidMap, f) || !writeProcFile(stagePid, "gid_map", req.gidMap, f)) {
    sendMessage(sync, failureMessage(f));
    return false;
  }
  return sendSimple(sync, "userns-done") || sysFail(f, "talk to runts-init");
}

// The container state for the seccomp agent, with the pid now known.
std::string agentState(const LaunchRequest& req, pid_t pid) {
  json::Value doc;
  std::string err, out;
  if (!json::parse(req.seccompState, doc, err)) doc = json::Value::makeObject();
  doc.set("pid", json::Value::makeNumber(pid));
  if (json::Value* state = doc.getMutable("state"); state && state->isObject())
    state->set("pid", json::Value::makeNumber(pid));
  json::write(doc, out);
  return out;
}

// The init loaded a filter with SCMP_ACT_NOTIFY rules: its listener fd goes
// to the agent before the init goes on, so that no notification waits for
// an agent that has no fd yet.
bool handleSeccompListener(const LaunchRequest& req, int sync, pid_t pid, Failure& f) {
  int fd = -1;
  if (!receiveFd(sync, fd, "seccomp listener fd", f)) return false;
  Fd listener(fd);
  if (req.seccompListenerPath.empty()) return plainFail(f, "runts-init sent a seccomp listener fd, but no listenerPath is set");
  if (!sendToSeccompAgent(req.seccompListenerPath, agentState(req, pid), listener.fd, f)) return false;
  return sendSimple(sync, "seccomp-done") || sysFail(f, "talk to runts-init");
}

// The init stopped at a stage (plan.hooks.stops): the runtime's callback
// does its part (hooks), then the init goes on, or is told to give up.
bool handleStage(const LaunchRequest& req, int sync, pid_t pid, const std::string& stage, Failure& f) {
  std::string data;
  if (!req.onStage) {
    plainFail(f, "runts-init stopped at the " + stage + " stage, but the runtime has nothing to run there");
  } else if (req.onStage(stage, pid, data, f)) {
    json::Value reply = json::Value::makeObject();
    reply.set("type", json::Value::makeString("continue"));
    reply.set("data", json::Value::makeString(data));
    return sendMessage(sync, reply) || sysFail(f, "talk to runts-init");
  }
  sendMessage(sync, failureMessage(f));
  return false;
}

// Runs the protocol until the init is ready (true) or reports an error.
bool converse(const LaunchRequest& req, int sync, Spawned& s, LaunchResult& out, StepClock& clock, Failure& f) {
  for (;;) {
    json::Value msg;
    if (!recvMessage(sync, msg, req.timeoutMs)) {
      if (errno == ETIMEDOUT)
        return plainFail(f, "runts-init did not finish setting up the container within " +
                                std::to_string(req.timeoutMs / 1000) + " s");
      pid_t who = s.pid > 0 ? s.pid : s.stagePid;
      return plainFail(f, "runts-init exited before the container was set up" + describeExit(who));
    }
    std::string type = msg.str("type");
    if (type == "error") {
      f = failureFromMessage(msg);
      return false;
    }
    if (type == "userns") {
      if (!handleUserns(req, s.stagePid, sync, f)) return false;
      clock.mark("uid/gid maps written");
    } else if (type == "pid") {
      clock.mark("namespaces created");
      s.pid = static_cast<pid_t>(msg.i64("pid"));
      while (waitpid(s.stagePid, nullptr, 0) < 0 && errno == EINTR) {
      }
      s.stagePid = -1;
      if (!sendSimple(sync, "setup")) return sysFail(f, "talk to runts-init");
    } else if (type == "seccomp") {
      if (!handleSeccompListener(req, sync, s.pid, f)) return false;
      clock.mark("seccomp listener sent to the agent");
    } else if (type == "stage") {
      std::string stage = msg.str("stage");
      if (!handleStage(req, sync, s.pid, stage, f)) return false;
      clock.mark(("stage " + stage + " done").c_str());
    } else if (type == "warning") {
      out.capsUnavailable = msg.str("capsUnavailable");
      out.ambientRefused = msg.str("ambientRefused");
    } else if (type == "ready") {
      clock.mark("container set up");
      return true;
    } else {
      return plainFail(f, "runts-init sent an unknown message \"" + type + "\"");
    }
  }
}

}  // namespace

bool launch(const LaunchRequest& req, LaunchResult& out, Failure& f) {
  StepClock clock(out);
  int memfd = -1;
  if (!sealedInit(req.initPath, memfd, f)) return false;
  clock.mark("sealed memfd ready");
  int minFd = std::max(kFdGuardMin, 3 + req.preserveFds);

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) return sysFail(f, "socketpair");
  Fd parentSock(pair[0]), childSock(pair[1]);
  // Both ends above the preserved range: neither may be taken for one of
  // the caller's fds.
  if (!aboveRange(childSock, minFd, f) || !aboveRange(parentSock, minFd, f)) return false;

  Fd fifo;
  bool madeFifo = false;
  if (!req.execFifo.empty()) {
    if (mkfifo(req.execFifo.c_str(), 0600) < 0) return sysFail(f, "create exec fifo", req.execFifo);
    madeFifo = true;
    // O_RDWR: opening never blocks, and the init holding a reader keeps
    // `start`'s non-blocking open for writing from failing with ENXIO.
    fifo.reset(open(req.execFifo.c_str(), O_RDWR | O_CLOEXEC));
    if (fifo.fd < 0 || !aboveRange(fifo, minFd, f)) {
      if (fifo.fd < 0) sysFail(f, "open exec fifo", req.execFifo);
      unlink(req.execFifo.c_str());
      return false;
    }
  }
  Fd report;
  bool madeReport = false;
  if (!req.startFifo.empty()) {
    if (mkfifo(req.startFifo.c_str(), 0600) < 0) {
      sysFail(f, "create start fifo", req.startFifo);
      if (madeFifo) unlink(req.execFifo.c_str());
      return false;
    }
    madeReport = true;
    report.reset(open(req.startFifo.c_str(), O_RDWR | O_CLOEXEC));
    if (report.fd < 0 || !aboveRange(report, minFd, f)) {
      if (report.fd < 0) sysFail(f, "open start fifo", req.startFifo);
      unlink(req.startFifo.c_str());
      if (madeFifo) unlink(req.execFifo.c_str());
      return false;
    }
  }
  auto dropFifo = [&]() {
    if (madeFifo) unlink(req.execFifo.c_str());
    if (madeReport) unlink(req.startFifo.c_str());
  };

  Fd console, consoleReceiver;
  if (!req.consoleSocket.empty() && (!connectConsole(req.consoleSocket, console, f) || !aboveRange(console, minFd, f))) {
    dropFifo();
    return false;
  }
  if (req.attachConsole && req.consoleSocket.empty()) {
    int cpair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cpair) < 0) {
      dropFifo();
      return sysFail(f, "socketpair");
    }
    consoleReceiver.reset(cpair[0]);
    console.reset(cpair[1]);
    if (!aboveRange(console, minFd, f) || !aboveRange(consoleReceiver, minFd, f)) {
      dropFifo();
      return false;
    }
  }

  Spawned s;
  if (!spawnInit(req, memfd, childSock.fd, fifo.fd, console.fd, report.fd, s.stagePid, f)) {
    dropFifo();
    return false;
  }
  childSock.reset();
  fifo.reset();
  console.reset();
  report.reset();
  clock.mark("runts-init started");

  if (!req.initialCpuAffinity.empty() &&
      sched_setaffinity(s.stagePid, req.initialCpuAffinity.size() * sizeof(uint64_t),
                        reinterpret_cast<const cpu_set_t*>(req.initialCpuAffinity.data())) < 0) {
    sysFail(f, "set CPU affinity to process.execCPUAffinity.initial (sched_setaffinity)");
    dropFifo();
    return false;
  }
  // Cgroups first: the init joins them before it creates a cgroup namespace
  // or does anything that uses resources.
  std::string pidText = std::to_string(s.stagePid);
  for (const auto& procs : req.cgroupProcsFiles) {
    if (!writeExisting(procs, pidText, f)) {
      f.step = "join cgroup (write";
      f.path = procs + ")";
      dropFifo();
      return false;
    }
  }
  clock.mark("joined cgroups");
  if (!sendFrame(parentSock.fd, req.plan)) {
    sysFail(f, "send the launch plan to runts-init");
    dropFifo();
    return false;
  }
  if (!converse(req, parentSock.fd, s, out, clock, f)) {
    dropFifo();
    return false;
  }
  // Owned here until launch succeeds: a failure below must not leak it.
  Fd master;
  if (consoleReceiver.fd >= 0 && !receiveFd(consoleReceiver.fd, master.fd, "pty master", f)) {
    dropFifo();
    return false;
  }
  ProcStat st;
  if (!readProcStat(s.pid, st)) {
    dropFifo();
    return plainFail(f, "the container process exited during create" + describeExit(s.pid));
  }
  out.consoleFd = master.release();
  out.pid = s.pid;
  out.startTime = st.startTime;
  out.syncFd = parentSock.release();
  s.pid = -1;  // handed over: no longer killed by the guard
  return true;
}

// Closes syncFd whatever happens: the caller must not close it again (by
// then the number may belong to another fd of the embedding program).
bool commitLaunch(int syncFd, Failure& f) {
  json::Value reply;
  bool ok = sendSimple(syncFd, "commit") && recvMessage(syncFd, reply, 10000) && reply.str("type") == "committed";
  close(syncFd);
  return ok || plainFail(f, "runts-init exited while the container was being committed");
}

void abortLaunch(int syncFd, pid_t pid, uint64_t startTime) {
  int pidfd = pidfdOpenVerified(pid, startTime);
  if (pidfd >= 0) {
    pidfdSendSignal(pidfd, SIGKILL);
    close(pidfd);
  }
  if (syncFd >= 0) close(syncFd);
  // The container process is our child (CLONE_PARENT): reap it.
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace runts::node
