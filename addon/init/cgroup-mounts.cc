#include "cgroup-mounts.h"

#include <sys/mount.h>

#include "rootfs.h"

namespace runts::init {

namespace {

constexpr unsigned long kSafe = MS_NOSUID | MS_NODEV | MS_NOEXEC;

// The tmpfs at the destination; its data carries the mount label.
bool mountTmpfs(const RootDir& root, const Mount& m, Failure& f) {
  Mount tmpfs = m;
  tmpfs.kind = MountKind::Filesystem;
  tmpfs.type = "tmpfs";
  tmpfs.source = "tmpfs";
  tmpfs.flags = kSafe;
  tmpfs.data = m.data.empty() ? "mode=755" : m.data;
  return mountFilesystemIn(root, tmpfs, f);
}

// A new mount of one hierarchy (cgroup or cgroup2) at dest: read-only when
// the config's mount is, as runc does.
bool mountHierarchy(const RootDir& root, const CgroupPart& part, const std::string& dest, unsigned long flags,
                    Failure& f) {
  Mount fs;
  fs.kind = MountKind::Filesystem;
  fs.destination = dest;
  fs.source = part.source;
  fs.type = part.type;
  fs.flags = flags;
  fs.data = part.data;
  return mountFilesystemIn(root, fs, f);
}

}  // namespace

bool cgroupLayoutMount(const RootDir& root, const Mount& m, Failure& f) {
  if (!mountTmpfs(root, m, f)) return false;
  const unsigned long flags = kSafe | (m.flags & MS_RDONLY);
  for (const auto& part : m.cgroupParts) {
    const std::string dest = m.destination + "/" + part.name;
    bool ok = part.type == "bind" ? bindDirectoryIn(root, part.source, dest, flags, f)
                                  : mountHierarchy(root, part, dest, flags, f);
    if (!ok) return false;
  }
  for (const auto& l : m.cgroupLinks)
    if (!root.symlinkAt(l.target, m.destination + "/" + l.name, f)) return false;
  return !(m.flags & MS_RDONLY) || remountIn(root, m.destination, MS_RDONLY | kSafe, f);
}

}  // namespace runts::init
