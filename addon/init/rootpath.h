// Paths inside the container's root filesystem, resolved without ever
// leaving it: a malicious rootfs can contain symlinks such as
// /dev -> /host/dev or /proc -> ../../../proc, and every mount target, device
// node and masked path must land inside the rootfs regardless (runc's
// CVE-2019-19921, CVE-2025-31133 and CVE-2025-52565 were about this).
//
// openat2(RESOLVE_IN_ROOT) does it in the kernel; on kernels without it a
// component-by-component walk does the same in user space.
#pragma once

#include <sys/types.h>

#include <string>

#include "../common/failure.h"
#include "../common/unique-fd.h"

namespace runts::init {

class RootDir {
 public:
  RootDir() = default;
  RootDir(const RootDir&) = delete;
  RootDir& operator=(const RootDir&) = delete;

  bool open(const std::string& hostPath, bool forceSafeWalk, Failure& f);
  int fd() const { return fd_.fd; }
  const std::string& hostPath() const { return hostPath_; }

  // An O_PATH fd for the container path, or -1 with errno. Symlinks resolve
  // as if the root were "/"; with noFollowLast the last component is not
  // followed (so a symlink itself can be inspected).
  int resolve(const std::string& path, bool noFollowLast = false) const;

  // Creates the missing directories of path; returns an O_PATH fd of it.
  // Symlinks on the way are followed inside the root, and what they point
  // to is created there when missing (runc does the same), so that an image
  // with /var/run -> /run and no /run still gets its mount.
  int mkdirAll(const std::string& path, mode_t mode, Failure& f) const;

  // Makes sure a non-directory exists at path (an empty regular file is
  // created when nothing is there, following symlinks inside the root as
  // mkdirAll does); returns an O_PATH fd of it.
  int ensureFile(const std::string& path, Failure& f) const;

  // Creates a symlink at path (inside the root) pointing at target, unless
  // something is already there.
  bool symlinkAt(const std::string& target, const std::string& path, Failure& f) const;

  // "/proc/self/fd/N": a name for the exact file behind fd, used as a mount
  // source or target while the host /proc is still reachable.
  static std::string fdPath(int fd);

  static bool haveOpenat2();

 private:
  enum class Create { Nothing, Directories, FileLast };
  int walk(const std::string& path, bool noFollowLast, Create create = Create::Nothing, mode_t mode = 0755) const;
  Fd fd_;
  std::string hostPath_;
  bool safeWalk_ = false;
};

// Splits "/a/b//c/" into {"a", "b", "c"}.
void splitPath(const std::string& path, std::string& parent, std::string& base);

}  // namespace runts::init
