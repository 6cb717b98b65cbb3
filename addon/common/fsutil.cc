#include "fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace runts {

namespace {

const char* fileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string mib(size_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

}  // namespace

bool readRegularFile(const std::string& path, size_t limit, bool noFollow, std::string& out, Failure& f) {
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0));
  if (fd < 0) {
    if (errno == ELOOP && noFollow) return sysFail(f, "open", path, "it is a symlink, and runts wrote a regular file there");
    return sysFail(f, "open", path);
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return sysFail(f, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    errno = EINVAL;
    return sysFail(f, "read", path, std::string("it is ") + fileKind(st.st_mode) + ", not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > limit) {
    close(fd);
    errno = EFBIG;
    return sysFail(f, "read", path, "it is above runts' limit of " + mib(limit) + " for a file it reads");
  }
  out.clear();
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      errno = e;
      return sysFail(f, "read", path);
    }
    if (n == 0) break;
    // procfs and cgroupfs files report size 0: the bound applies as they are read.
    if (out.size() + static_cast<size_t>(n) > limit) {
      close(fd);
      errno = EFBIG;
      return sysFail(f, "read", path, "it is above runts' limit of " + mib(limit) + " for a file it reads");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

bool readFile(const std::string& path, std::string& out, Failure& f) {
  return readRegularFile(path, kMaxDocumentBytes, false, out, f);
}

static bool writeAll(int fd, const std::string& content) {
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool writeFileAtomic(const std::string& path, const std::string& content, Failure& f) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return sysFail(f, "create", tmp);
  if (!writeAll(fd, content)) {
    int e = errno;
    close(fd);
    unlink(tmp.c_str());
    errno = e;
    return sysFail(f, "write", tmp);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) < 0) {
    int e = errno;
    unlink(tmp.c_str());
    errno = e;
    return sysFail(f, "rename", path);
  }
  return true;
}

bool writeExisting(const std::string& path, const std::string& content, Failure& f) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return sysFail(f, "open", path);
  bool ok = writeAll(fd, content);
  int e = errno;
  close(fd);
  errno = e;
  return ok ? true : sysFail(f, "write", path);
}

bool pathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool removeFlatDir(const std::string& dir, Failure& f) {
  DIR* d = opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return true;
    return sysFail(f, "open directory", dir);
  }
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string p = dir + "/" + name;
    // An empty directory where runts keeps files is damage too: remove it.
    if (unlink(p.c_str()) < 0 && errno != ENOENT && !(errno == EISDIR && rmdir(p.c_str()) == 0)) {
      int err = errno;
      closedir(d);
      errno = err;
      return sysFail(f, "remove", p);
    }
  }
  closedir(d);
  if (rmdir(dir.c_str()) < 0 && errno != ENOENT) return sysFail(f, "remove directory", dir);
  return true;
}

}  // namespace runts
