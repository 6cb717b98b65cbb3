#include "procfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "../common/unique-fd.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace runts::init {

namespace {

constexpr long kProcSuperMagic = 0x9fa0;
constexpr uint64_t kResolveNoXdev = 0x01;
constexpr uint64_t kResolveNoMagiclinks = 0x02;
constexpr uint64_t kResolveNoSymlinks = 0x04;
constexpr uint64_t kResolveBeneath = 0x08;

struct OpenHow {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};

bool onProcfsOf(int fd, dev_t dev) {
  struct stat st;
  return onProcfs(fd) && fstat(fd, &st) == 0 && st.st_dev == dev;
}

// Component by component, for kernels without openat2 (before 5.6), with
// openat2's rules: no symlinks followed, every step on the same procfs.
int walkBeneath(int dirFd, dev_t dev, const std::string& rel, int flags) {
  std::vector<std::string> parts;
  for (size_t pos = 0; pos < rel.size();) {
    size_t end = rel.find('/', pos);
    if (end == std::string::npos) end = rel.size();
    std::string part = rel.substr(pos, end - pos);
    if (part.empty() || part == "." || part == "..") {
      errno = EXDEV;
      return -1;
    }
    parts.push_back(part);
    pos = end + 1;
  }
  Fd dir(dup(dirFd));
  if (dir.fd < 0) return -1;
  for (size_t i = 0; i < parts.size(); i++) {
    bool last = i + 1 == parts.size();
    Fd step(openat(dir.fd, parts[i].c_str(), (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC));
    if (step.fd < 0) return -1;
    if (!onProcfsOf(step.fd, dev)) {
      errno = EXDEV;
      return -1;
    }
    if (last) return step.release();
    std::swap(dir.fd, step.fd);
  }
  errno = ENOENT;
  return -1;
}

}  // namespace

int openInProcfs(int dirFd, const std::string& rel, int flags, bool forceWalk) {
  struct stat top;
  if (fstat(dirFd, &top) < 0) return -1;
  if (!forceWalk) {
    OpenHow how = {static_cast<uint64_t>(flags | O_CLOEXEC), 0,
                   kResolveBeneath | kResolveNoSymlinks | kResolveNoMagiclinks | kResolveNoXdev};
    int fd = -1;
    // EAGAIN: a rename or mount raced with the lookup.
    for (int tries = 0; tries < 16; tries++) {
      fd = static_cast<int>(syscall(SYS_openat2, dirFd, rel.c_str(), &how, sizeof how));
      if (fd >= 0 || errno != EAGAIN) break;
    }
    if (fd >= 0 && !onProcfsOf(fd, top.st_dev)) {
      close(fd);
      errno = EXDEV;
      return -1;
    }
    if (fd >= 0 || errno != ENOSYS) return fd;
  }
  return walkBeneath(dirFd, top.st_dev, rel, flags);
}

bool onProcfs(int fd) {
  struct statfs s;
  return fstatfs(fd, &s) == 0 && s.f_type == kProcSuperMagic;
}

int openProcfsDir(int at, const std::string& path, const std::string& what, Failure& f) {
  Fd fd(openat(at, path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (fd.fd < 0) {
    sysFail(f, "open " + what, path,
            errno == ENOENT ? "the container has no procfs at /proc; add a \"proc\" mount on /proc" : "");
    return -1;
  }
  if (!onProcfs(fd.fd)) {
    errno = EXDEV;
    sysFail(f, "check " + what, path, "it is not procfs: only procfs may be mounted on /proc");
    return -1;
  }
  return fd.release();
}

bool writeProcfsFile(int dirFd, const std::string& rel, const std::string& value, const std::string& what, Failure& f) {
  Fd fd(openInProcfs(dirFd, rel, O_WRONLY | O_NOCTTY, false));
  if (fd.fd < 0) {
    const char* hint = "";
    if (errno == EXDEV) hint = "something is mounted over it; refusing to write through another mount";
    else if (errno == ELOOP) hint = "it is a symlink; refusing to follow it";
    else if (errno == ENOENT) hint = "this kernel has no such file";
    return sysFail(f, "open " + what, rel, hint);
  }
  if (!onProcfs(fd.fd)) {
    errno = EXDEV;
    return sysFail(f, "check " + what, rel, "it is not a procfs file");
  }
  ssize_t n = write(fd.fd, value.data(), value.size());
  if (n < 0) return sysFail(f, "write " + what, rel);
  if (static_cast<size_t>(n) != value.size()) {
    errno = EIO;
    return sysFail(f, "write " + what, rel, "short write");
  }
  return true;
}

}  // namespace runts::init
