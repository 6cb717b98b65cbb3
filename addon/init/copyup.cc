#include "copyup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "../common/unique-fd.h"

namespace runts::init {

namespace {

// Deeper trees would hold two fds per level; no image needs this many.
constexpr int kMaxDepth = 128;

struct CopyState {
  int root;                  // the tmpfs's root, for hard links
  std::string dest;          // the mount destination, for messages
  std::map<std::pair<dev_t, ino_t>, std::string> links;  // first copy of a multiply linked file
};

std::string shown(const CopyState& s, const std::string& rel) { return s.dest + (rel.empty() ? "" : "/" + rel); }

// An owner the user namespace does not map (the kernel shows it as the
// overflow id) cannot be given to the copy: it keeps the init's.
bool chownCopy(int dirFd, const char* name, const struct stat& st, const std::string& what, Failure& f) {
  if (fchownat(dirFd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH)) == 0 ||
      errno == EINVAL)
    return true;
  return sysFail(f, "tmpcopyup: chown", what);
}

// Extended attributes the tmpfs takes (user.*, trusted.* and security.* as
// far as the init may set them); the ones it refuses are left out, as cp -a
// does.
bool copyXattrs(int src, int dst, const std::string& what, Failure& f) {
  ssize_t n = flistxattr(src, nullptr, 0);
  if (n <= 0) return n == 0 || errno == ENOTSUP || errno == ENODATA || sysFail(f, "tmpcopyup: list xattrs of", what);
  std::vector<char> names(static_cast<size_t>(n));
  n = flistxattr(src, names.data(), names.size());
  if (n < 0) return errno == ERANGE || sysFail(f, "tmpcopyup: list xattrs of", what);
  std::vector<char> value;
  for (ssize_t i = 0; i < n;) {
    const char* name = names.data() + i;
    i += static_cast<ssize_t>(strlen(name)) + 1;
    ssize_t len = fgetxattr(src, name, nullptr, 0);
    if (len < 0) continue;
    value.resize(static_cast<size_t>(len) + 1);
    len = fgetxattr(src, name, value.data(), value.size());
    if (len < 0) continue;
    if (fsetxattr(dst, name, value.data(), static_cast<size_t>(len), 0) < 0 && errno != EPERM && errno != ENOTSUP &&
        errno != EOPNOTSUPP && errno != EACCES)
      return sysFail(f, std::string("tmpcopyup: set xattr ") + name + " on", what);
  }
  return true;
}

bool setTimes(int dirFd, const char* name, const struct stat& st, const std::string& what, Failure& f) {
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (utimensat(dirFd, name, times, AT_SYMLINK_NOFOLLOW) == 0) return true;
  return sysFail(f, "tmpcopyup: set times of", what);
}

// Owner first: chown clears the set-id bits that chmod then sets.
bool finishFile(int fd, const struct stat& st, const std::string& what, Failure& f) {
  if (!chownCopy(fd, "", st, what, f)) return false;
  if (fchmod(fd, st.st_mode & 07777) < 0) return sysFail(f, "tmpcopyup: chmod", what);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (futimens(fd, times) < 0) return sysFail(f, "tmpcopyup: set times of", what);
  return true;
}

bool copyBytes(int src, int dst, const std::string& what, Failure& f) {
  for (;;) {
    ssize_t n = copy_file_range(src, nullptr, dst, nullptr, 1 << 30, 0);
    if (n == 0) return true;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      return sysFail(f, "tmpcopyup: copy", what, errno == ENOSPC ? "the tmpfs is too small for the files it copies up (size=)" : "");
    break;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(src, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysFail(f, "tmpcopyup: read", what);
    if (n == 0) return true;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(dst, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0)
        return sysFail(f, "tmpcopyup: write", what, errno == ENOSPC ? "the tmpfs is too small for the files it copies up (size=)" : "");
      off += w;
    }
  }
}

bool copyRegular(CopyState& s, int from, int to, const char* name, const struct stat& st, const std::string& rel,
                 Failure& f) {
  const std::string what = shown(s, rel);
  if (st.st_nlink > 1) {
    auto it = s.links.find({st.st_dev, st.st_ino});
    if (it != s.links.end()) {
      if (linkat(s.root, it->second.c_str(), to, name, 0) == 0) return true;
      return sysFail(f, "tmpcopyup: link", what);
    }
  }
  // O_NONBLOCK: a fifo that replaced the file since it was listed must not
  // block the open; the fstat below then refuses it.
  Fd src(openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (src.fd < 0) return sysFail(f, "tmpcopyup: open", what);
  struct stat now;
  if (fstat(src.fd, &now) < 0) return sysFail(f, "tmpcopyup: stat", what);
  if (!S_ISREG(now.st_mode)) {
    errno = EAGAIN;
    return sysFail(f, "tmpcopyup: copy", what, "the file changed while it was copied");
  }
  Fd dst(openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (dst.fd < 0) return sysFail(f, "tmpcopyup: create", what);
  if (!copyBytes(src.fd, dst.fd, what, f) || !copyXattrs(src.fd, dst.fd, what, f) || !finishFile(dst.fd, now, what, f))
    return false;
  if (st.st_nlink > 1) s.links[{st.st_dev, st.st_ino}] = rel;
  return true;
}

bool copySymlink(CopyState& s, int from, int to, const char* name, const struct stat& st, const std::string& rel,
                 Failure& f) {
  const std::string what = shown(s, rel);
  std::vector<char> target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 2);
  ssize_t n = readlinkat(from, name, target.data(), target.size());
  if (n < 0) return sysFail(f, "tmpcopyup: read link", what);
  if (static_cast<size_t>(n) >= target.size()) {
    errno = EAGAIN;
    return sysFail(f, "tmpcopyup: read link", what, "the link changed while it was copied");
  }
  target[static_cast<size_t>(n)] = 0;
  if (symlinkat(target.data(), to, name) < 0) return sysFail(f, "tmpcopyup: symlink", what);
  return chownCopy(to, name, st, what, f) && setTimes(to, name, st, what, f);
}

bool copySpecial(CopyState& s, int to, const char* name, const struct stat& st, const std::string& rel, Failure& f) {
  const std::string what = shown(s, rel);
  if (mknodat(to, name, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0)
    return sysFail(f, "tmpcopyup: create node", what,
                   errno == EPERM ? "device nodes cannot be created in a user namespace; leave tmpcopyup off this mount" : "");
  if (!chownCopy(to, name, st, what, f)) return false;
  if (fchmodat(to, name, st.st_mode & 07777, 0) < 0) return sysFail(f, "tmpcopyup: chmod", what);
  return setTimes(to, name, st, what, f);
}

bool copyDir(CopyState& s, int from, int to, const std::string& rel, int depth, Failure& f);

bool copyEntry(CopyState& s, int from, int to, const char* name, const std::string& rel, int depth, Failure& f) {
  struct stat st;
  if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return sysFail(f, "tmpcopyup: stat", shown(s, rel));
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: return copyRegular(s, from, to, name, st, rel, f);
    case S_IFLNK: return copySymlink(s, from, to, name, st, rel, f);
    case S_IFDIR: {
      Fd sub(openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.fd < 0) return sysFail(f, "tmpcopyup: open", shown(s, rel));
      if (mkdirat(to, name, 0700) < 0) return sysFail(f, "tmpcopyup: mkdir", shown(s, rel));
      Fd out(openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (out.fd < 0) return sysFail(f, "tmpcopyup: open", shown(s, rel));
      struct stat now;
      if (fstat(sub.fd, &now) < 0) return sysFail(f, "tmpcopyup: stat", shown(s, rel));
      // Contents first, so that a read-only directory is filled before it
      // gets its mode.
      return copyDir(s, sub.fd, out.fd, rel, depth + 1, f) && copyXattrs(sub.fd, out.fd, shown(s, rel), f) &&
             finishFile(out.fd, now, shown(s, rel), f);
    }
    default: return copySpecial(s, to, name, st, rel, f);
  }
}

bool copyDir(CopyState& s, int from, int to, const std::string& rel, int depth, Failure& f) {
  if (depth > kMaxDepth) {
    errno = ELOOP;
    return sysFail(f, "tmpcopyup: copy", shown(s, rel), "the tree is more than 128 directories deep");
  }
  int listFd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listFd < 0) return sysFail(f, "tmpcopyup: open", shown(s, rel));
  DIR* dir = fdopendir(listFd);
  if (!dir) {
    close(listFd);
    return sysFail(f, "tmpcopyup: list", shown(s, rel));
  }
  // Names first, then the copies: no fd of the listing stays open while
  // the subdirectories are walked.
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = readdir(dir)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    errno = 0;
  }
  int e = errno;
  closedir(dir);
  if (e) {
    errno = e;
    return sysFail(f, "tmpcopyup: list", shown(s, rel));
  }
  for (const auto& name : names)
    if (!copyEntry(s, from, to, name.c_str(), rel.empty() ? name : rel + "/" + name, depth, f)) return false;
  return true;
}

bool dataSets(const std::string& data, const char* key) {
  size_t len = strlen(key);
  for (size_t start = 0; start <= data.size();) {
    size_t end = data.find(',', start);
    if (end == std::string::npos) end = data.size();
    if (data.compare(start, len, key) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

bool copyTree(int from, int to, const std::string& dest, Failure& f) {
  CopyState s{to, dest, {}};
  return copyDir(s, from, to, "", 0, f);
}

bool copyRootAttributes(int from, int to, const std::string& data, const std::string& dest, Failure& f) {
  struct stat st;
  if (fstat(from, &st) < 0) return sysFail(f, "tmpcopyup: stat", dest);
  bool uid = !dataSets(data, "uid="), gid = !dataSets(data, "gid=");
  if ((uid || gid) && fchown(to, uid ? st.st_uid : static_cast<uid_t>(-1), gid ? st.st_gid : static_cast<gid_t>(-1)) < 0 &&
      errno != EINVAL)
    return sysFail(f, "tmpcopyup: chown", dest);
  if (!dataSets(data, "mode=") && fchmod(to, st.st_mode & 07777) < 0) return sysFail(f, "tmpcopyup: chmod", dest);
  return true;
}

}  // namespace runts::init
