#include "ps-exec.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace runts {

namespace {

// ps of every process of a big host is a few MiB; more is not a ps table.
constexpr size_t kMaxPsOutput = 64u * 1024 * 1024;

std::string commandLine(const std::vector<std::string>& args) {
  std::string s = "ps";
  for (const auto& a : args) s += " " + a;
  return s;
}

bool readAll(int fd, std::string& out) {
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    if (out.size() + static_cast<size_t>(n) > kMaxPsOutput) {
      errno = EFBIG;
      return false;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

// In the child: stdout to the pipe, stdin from /dev/null, then exec. An
// exec failure goes back through the close-on-exec error pipe as errno.
[[noreturn]] void execPs(char** argv, int outFd, int errFd) {
  int devNull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devNull < 0 || dup2(devNull, 0) < 0 || dup2(outFd, 1) < 0) {
    int e = errno;
    (void)!write(errFd, &e, sizeof e);
    _exit(127);
  }
  execvp("ps", argv);
  int e = errno;
  (void)!write(errFd, &e, sizeof e);
  _exit(127);
}

}  // namespace

bool runPs(const std::vector<std::string>& args, std::string& out, Failure& f) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>("ps"));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int outPipe[2], errPipe[2];
  if (pipe2(outPipe, O_CLOEXEC) < 0) return sysFail(f, "run ps: pipe");
  if (pipe2(errPipe, O_CLOEXEC) < 0) {
    int e = errno;
    close(outPipe[0]);
    close(outPipe[1]);
    errno = e;
    return sysFail(f, "run ps: pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {outPipe[0], outPipe[1], errPipe[0], errPipe[1]}) close(fd);
    errno = e;
    return sysFail(f, "run ps: fork");
  }
  if (pid == 0) execPs(argv.data(), outPipe[1], errPipe[1]);
  close(outPipe[1]);
  close(errPipe[1]);
  bool readOk = readAll(outPipe[0], out);
  int readErr = errno;
  close(outPipe[0]);
  // A ps that writes without end must not keep runts waiting for it.
  if (!readOk) kill(pid, SIGKILL);
  int execErr = 0;
  ssize_t n;
  do {
    n = read(errPipe[0], &execErr, sizeof execErr);
  } while (n < 0 && errno == EINTR);
  close(errPipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof execErr)) {
    errno = execErr;
    return sysFail(f, "run ps", "", "is procps installed and on PATH?");
  }
  if (!readOk) {
    errno = readErr;
    return sysFail(f, "read the output of", commandLine(args));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "killed by signal " + std::to_string(WTERMSIG(status));
  return plainFail(f, commandLine(args) + ": " + how + " (ps said why on stderr)");
}

}  // namespace runts
