#include "rootpath.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace runts::init {

namespace {

struct OpenHow {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};

constexpr uint64_t kResolveNoMagiclinks = 0x02;
constexpr uint64_t kResolveInRoot = 0x10;
constexpr int kMaxSymlinks = 40;

int openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  OpenHow how = {flags, 0, resolve};
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

void closeAll(std::vector<int>& fds) {
  for (int fd : fds) close(fd);
  fds.clear();
}

}  // namespace

void splitPath(const std::string& path, std::string& parent, std::string& base) {
  std::vector<std::string> parts = components(path);
  base = parts.empty() ? "" : parts.back();
  parent = "/";
  for (size_t i = 0; i + 1 < parts.size(); i++) parent += (parent.size() > 1 ? "/" : "") + parts[i];
}

bool RootDir::haveOpenat2() {
  int fd = openat2(AT_FDCWD, "/", O_PATH | O_CLOEXEC, 0);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  return errno != ENOSYS;
}

bool RootDir::open(const std::string& hostPath, bool forceSafeWalk, Failure& f) {
  hostPath_ = hostPath;
  fd_.reset(::open(hostPath.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (fd_.fd < 0) return sysFail(f, "open rootfs", hostPath);
  safeWalk_ = forceSafeWalk || !haveOpenat2();
  return true;
}

std::string RootDir::fdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

int RootDir::resolve(const std::string& path, bool noFollowLast) const {
  if (safeWalk_) return walk(path, noFollowLast);
  uint64_t flags = O_PATH | O_CLOEXEC | (noFollowLast ? O_NOFOLLOW : 0);
  std::string rel = path.empty() ? "/" : path;
  return openat2(fd_.fd, rel.c_str(), flags, kResolveInRoot | kResolveNoMagiclinks);
}

// The user-space equivalent of RESOLVE_IN_ROOT: a stack of directory fds
// from the root down, where ".." never pops past the root and an absolute
// symlink restarts from the root. With create, missing components are made
// on the way (directories, or an empty file for the last one with FileLast).
int RootDir::walk(const std::string& path, bool noFollowLast, Create create, mode_t mode) const {
  std::vector<int> stack;
  stack.push_back(dup(fd_.fd));
  std::vector<std::string> todo = components(path);
  int links = 0;
  size_t i = 0;
  auto fail = [&](int e) {
    closeAll(stack);
    errno = e;
    return -1;
  };
  while (i < todo.size()) {
    std::string name = todo[i++];
    bool last = i == todo.size();
    if (name == ".") continue;
    if (name == "..") {
      if (stack.size() > 1) {
        close(stack.back());
        stack.pop_back();
      }
      continue;
    }
    int cur = stack.back();
    struct stat st;
    if (fstatat(cur, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno != ENOENT || create == Create::Nothing) return fail(errno);
      if (last && create == Create::FileLast) {
        int made = openat(cur, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (made < 0 && errno != EEXIST) return fail(errno);
        if (made >= 0) close(made);
      } else if (mkdirat(cur, name.c_str(), mode) < 0 && errno != EEXIST) {
        return fail(errno);
      }
      if (fstatat(cur, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return fail(errno);
    }
    if (S_ISLNK(st.st_mode) && !(last && noFollowLast)) {
      if (++links > kMaxSymlinks) return fail(ELOOP);
      char buf[4096];
      ssize_t n = readlinkat(cur, name.c_str(), buf, sizeof buf - 1);
      if (n < 0) return fail(errno);
      buf[n] = 0;
      std::string target = buf;
      if (!target.empty() && target[0] == '/') {
        while (stack.size() > 1) {
          close(stack.back());
          stack.pop_back();
        }
      }
      std::vector<std::string> rest = components(target);
      rest.insert(rest.end(), todo.begin() + static_cast<long>(i), todo.end());
      todo = rest;
      i = 0;
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode)) return fail(ENOTDIR);
    int next = openat(cur, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return fail(errno);
    stack.push_back(next);
  }
  int result = stack.back();
  stack.pop_back();
  closeAll(stack);
  // An empty path resolves to the root itself.
  return result;
}

int RootDir::mkdirAll(const std::string& path, mode_t mode, Failure& f) const {
  int fd = resolve(path);
  if (fd < 0 && errno == ENOENT) fd = walk(path, false, Create::Directories, mode);
  if (fd < 0) {
    sysFail(f, "create directory", path, errno == ENOTDIR ? "a file is in the way" : "");
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) return fd;
  close(fd);
  errno = ENOTDIR;
  sysFail(f, "create directory", path, "a non-directory is in the way");
  return -1;
}

int RootDir::ensureFile(const std::string& path, Failure& f) const {
  int fd = resolve(path);
  if (fd < 0 && errno == ENOENT) fd = walk(path, false, Create::FileLast, 0755);
  if (fd < 0) {
    sysFail(f, "create file", path, errno == ENOTDIR ? "a file is in the way" : "");
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) return fd;
  close(fd);
  errno = EISDIR;
  sysFail(f, "create file", path, "a directory is in the way");
  return -1;
}

bool RootDir::symlinkAt(const std::string& target, const std::string& path, Failure& f) const {
  std::string parentPath, base;
  splitPath(path, parentPath, base);
  int parent = mkdirAll(parentPath, 0755, f);
  if (parent < 0) return false;
  int r = symlinkat(target.c_str(), parent, base.c_str());
  int e = errno;
  close(parent);
  if (r < 0 && e != EEXIST) {
    errno = e;
    return sysFail(f, "symlink", path);
  }
  return true;
}

}  // namespace runts::init
