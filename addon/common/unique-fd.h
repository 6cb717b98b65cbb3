// Fd: owns one file descriptor and closes it at scope exit. Shared by the
// Node addon, the launcher and the static runts-init, so it needs nothing but
// unistd and errno: no exceptions, no iostream, no allocation. It is named
// Fd (not UniqueFd) because the init's code has always spelt it so.
#pragma once

#include <unistd.h>

#include <cerrno>

namespace runts {

struct Fd {
  int fd = -1;

  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  // Closes the fd held (if any) and holds f instead. errno is kept, because
  // callers return -1 from a failed step and read errno after this fd's
  // scope has closed it.
  void reset(int f = -1) {
    if (fd >= 0) {
      int saved = errno;
      close(fd);
      errno = saved;
    }
    fd = f;
  }

  // Gives the fd up to the caller, who closes it.
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

}  // namespace runts
