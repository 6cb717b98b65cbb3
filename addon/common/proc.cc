#include "proc.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

namespace runts {

bool readProcStat(pid_t pid, ProcStat& out) {
  if (pid <= 0) return false;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  // The command name is in parentheses and may itself contain ") ", so the
  // fields start after the *last* closing parenthesis.
  char* p = strrchr(buf, ')');
  if (!p || p[1] != ' ') return false;
  p += 2;
  out.state = *p;
  // After the name, state is field 3; starttime is field 22.
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return false;
    p++;
  }
  out.startTime = strtoull(p, nullptr, 10);
  return true;
}

bool isSameLiveProcess(pid_t pid, uint64_t startTime) {
  ProcStat st;
  if (!readProcStat(pid, st)) return false;
  if (st.state == 'Z' || st.state == 'X') return false;
  return st.startTime == startTime;
}

int pidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int pidfdOpenVerified(pid_t pid, uint64_t startTime) {
  int fd = pidfdOpen(pid);
  if (fd < 0) return -1;
  // The pidfd pins the process; if the pid still has the recorded start
  // time now, the pidfd refers to the container's process.
  if (!isSameLiveProcess(pid, startTime)) {
    close(fd);
    errno = ESRCH;
    return -1;
  }
  return fd;
}

int pidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

bool pidfdWaitExit(int pidfd, int timeoutMs) {
  struct pollfd p = {pidfd, POLLIN, 0};
  for (;;) {
    int r = poll(&p, 1, timeoutMs);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

}  // namespace runts
