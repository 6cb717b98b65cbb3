#include "hook-exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "unique-fd.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace runts {

namespace {

// What is kept of each stream: enough for a message, bounded whatever the
// hook writes.
constexpr size_t kTailBytes = 16 * 1024;

int64_t monotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void keepTail(std::string& buf, const char* data, size_t n) {
  buf.append(data, n);
  if (buf.size() > 2 * kTailBytes) buf.erase(0, buf.size() - kTailBytes);
}

// Reads what is there; false at EOF or on an error (the stream is done).
bool readSome(int fd, std::string& buf) {
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n > 0) {
      keepTail(buf, chunk, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

bool makePipe(Fd& readEnd, Fd& writeEnd, Failure& f) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return sysFail(f, "create a pipe for a hook");
  readEnd.reset(p[0]);
  writeEnd.reset(p[1]);
  return true;
}

std::vector<char*> pointers(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawn with the pipes on 0, 1 and 2, every other fd closed, signals at
// their defaults and a process group of its own (so a timeout kills what the
// hook started too).
int spawnHook(const HookCommand& cmd, int in, int out, int err, pid_t& pid) {
  std::vector<std::string> args = cmd.args, env = cmd.env;
  if (args.empty()) args.push_back(cmd.path);
  std::vector<char*> argv = pointers(args), envp = pointers(env);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, in, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!cmd.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cmd.cwd.c_str());
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  int r = posix_spawn(&pid, cmd.path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return r;
}

void recordStatus(int status, HookOutcome& out) {
  if (WIFEXITED(status)) {
    out.exited = true;
    out.exitStatus = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
  }
}

void reap(pid_t pid, HookOutcome& out) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return;
  }
  if (!out.timedOut) recordStatus(status, out);
}

// Blocks SIGPIPE in this thread while the runner writes the state: a hook
// that exits without reading stdin must give EPIPE, not kill the runtime
// (the init has a handler that exits on it). A pending one is consumed.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~SigpipeBlock() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&s, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
};

}  // namespace

bool runHookCommand(const HookCommand& cmd, const std::string& stdinText, HookOutcome& out, Failure& f) {
  Fd inR, inW, outR, outW, errR, errW;
  if (!makePipe(inR, inW, f) || !makePipe(outR, outW, f) || !makePipe(errR, errW, f)) return false;
  for (int fd : {inW.fd, outR.fd, errR.fd}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  SigpipeBlock noSigpipe;
  pid_t pid = -1;
  int r = spawnHook(cmd, inR.fd, outW.fd, errW.fd, pid);
  inR.reset();
  outW.reset();
  errW.reset();
  if (r != 0) {
    out.spawnErrno = r;
    return true;
  }
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.fd < 0) {
    int e = errno;
    kill(-pid, SIGKILL);
    reap(pid, out);
    errno = e;
    return sysFail(f, "pidfd_open of a hook");
  }
  const int64_t deadline = cmd.timeoutMs > 0 ? monotonicMs() + cmd.timeoutMs : -1;
  size_t written = 0;
  if (stdinText.empty()) inW.reset();
  bool exited = false;
  while (!exited) {
    struct pollfd p[4];
    int n = 0, iIn = -1, iOut = -1, iErr = -1;
    if (inW.fd >= 0) p[iIn = n++] = {inW.fd, POLLOUT, 0};
    if (outR.fd >= 0) p[iOut = n++] = {outR.fd, POLLIN, 0};
    if (errR.fd >= 0) p[iErr = n++] = {errR.fd, POLLIN, 0};
    const int iPid = n++;
    p[iPid] = {pidfd.fd, POLLIN, 0};
    // Checked at every turn, not only when poll times out: a hook that
    // floods its output keeps poll from ever returning 0.
    int wait = -1;
    if (deadline >= 0) wait = static_cast<int>(std::max<int64_t>(0, deadline - monotonicMs()));
    int ready = wait == 0 ? 0 : poll(p, static_cast<nfds_t>(n), wait);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      int e = errno;
      kill(-pid, SIGKILL);
      reap(pid, out);
      errno = e;
      return sysFail(f, "wait for a hook (poll)");
    }
    if (ready == 0) {
      out.timedOut = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    if (iIn >= 0 && p[iIn].revents) {
      ssize_t w = write(inW.fd, stdinText.data() + written, stdinText.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == stdinText.size()) inW.reset();
    }
    if (iOut >= 0 && p[iOut].revents && !readSome(outR.fd, out.out)) outR.reset();
    if (iErr >= 0 && p[iErr].revents && !readSome(errR.fd, out.err)) errR.reset();
    if (p[iPid].revents) exited = true;
  }
  // What the hook wrote before it exited; a process it left behind holding
  // the pipes is not waited for.
  if (outR.fd >= 0) readSome(outR.fd, out.out);
  if (errR.fd >= 0) readSome(errR.fd, out.err);
  reap(pid, out);
  return true;
}

namespace {

// The last lines of a stream, printable, for a one-line message.
std::string tailOf(const std::string& s) {
  constexpr size_t kShown = 1024;
  std::string t = s;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  if (t.size() > kShown) t = "..." + t.substr(t.size() - kShown);
  return printable(t);
}

}  // namespace

std::string hookFailureMessage(const HookCommand& cmd, const HookOutcome& out) {
  std::string what = "hook hooks." + cmd.kind + "[" + std::to_string(cmd.index) + "] (" + printable(cmd.path) + ")";
  if (out.spawnErrno) return what + " could not be started: " + strerror(out.spawnErrno);
  std::string msg;
  if (out.timedOut) {
    msg = what + " did not finish within its timeout of " + std::to_string(cmd.timeoutMs / 1000) + " s and was killed";
  } else if (out.signal) {
    msg = what + " was killed by signal " + std::to_string(out.signal) + " (" + strsignal(out.signal) + ")";
  } else {
    msg = what + " exited with status " + std::to_string(out.exitStatus);
  }
  if (!out.err.empty()) msg += "; stderr: " + tailOf(out.err);
  if (!out.out.empty()) msg += "; stdout: " + tailOf(out.out);
  return msg;
}

}  // namespace runts
