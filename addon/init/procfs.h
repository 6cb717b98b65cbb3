// Writes through procfs that a container cannot redirect. The runtime writes
// sysctls (and, later, LSM labels) as root; a malicious rootfs or mount can
// put a symlink, a bind mount or a fake filesystem where /proc/sys should be
// (CVE-2019-16884, CVE-2019-19921, CVE-2025-52881). So every write starts
// from a directory fd checked to be procfs and resolves below it without
// symlinks and without crossing a mount.
#pragma once

#include <string>

#include "../common/failure.h"

namespace runts::init {

// Opens dir (an O_PATH fd or AT_FDCWD-relative path) as a directory and
// checks that it is procfs; -1 with f filled otherwise.
int openProcfsDir(int at, const std::string& path, const std::string& what, Failure& f);

// Writes value to rel below the procfs directory dirFd: no "..", no
// symlinks, no other mount on the way, and the file itself on procfs.
bool writeProcfsFile(int dirFd, const std::string& rel, const std::string& value, const std::string& what, Failure& f);

// Opens rel below the procfs directory dirFd (openat2 RESOLVE_BENEATH,
// NO_SYMLINKS, NO_MAGICLINKS, NO_XDEV; forceWalk or a kernel without
// openat2: the same rules component by component); the result is checked to
// be on the same procfs. -1 with errno (EXDEV: the path leaves it).
int openInProcfs(int dirFd, const std::string& rel, int flags, bool forceWalk);

// Whether the fd is on procfs (statfs magic).
bool onProcfs(int fd);

}  // namespace runts::init
