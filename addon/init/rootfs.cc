#include "rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "../common/fsutil.h"
#include "../common/unique-fd.h"
#include "cgroup-mounts.h"
#include "copyup.h"
#include "procfs.h"

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_pivot_root
#define SYS_pivot_root 155
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

namespace runts::init {

namespace {

// Detached copies of the bind sources (open_tree), one per plan.mounts
// entry (-1: none), made before the user namespace: see openBindSources.
std::vector<int> gBindTrees;

struct MountAttr {
  uint64_t attrSet;
  uint64_t attrClr;
  uint64_t propagation;
  uint64_t usernsFd;
};

// Re-resolves the destination after a mount, so that the fd names the new
// mount's root rather than the directory underneath it.
int resolveTop(const RootDir& root, const std::string& dest, Failure& f) {
  int fd = root.resolve(dest);
  if (fd < 0) sysFail(f, "resolve mount destination", dest);
  return fd;
}

unsigned long lockedFlags(const std::string& target) {
  struct statvfs s;
  unsigned long flags = 0;
  if (statvfs(target.c_str(), &s) != 0) return 0;
  if (s.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (s.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (s.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (s.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (s.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (s.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

// A bind remount that keeps the flags the kernel locks on mounts inherited
// from a more privileged namespace (it refuses to clear them with EPERM).
bool remountBind(const std::string& target, unsigned long flags, const std::string& what, Failure& f) {
  unsigned long base = MS_REMOUNT | MS_BIND;
  if (mount(nullptr, target.c_str(), nullptr, base | flags, nullptr) == 0) return true;
  if (errno == EPERM) {
    unsigned long withLocked = flags | lockedFlags(target);
    if (withLocked != flags && mount(nullptr, target.c_str(), nullptr, base | withLocked, nullptr) == 0) return true;
  }
  return sysFail(f, "remount", what);
}

bool applyPropagation(const RootDir& root, const Mount& m, Failure& f) {
  for (unsigned long p : m.propagation) {
    Fd top(resolveTop(root, m.destination, f));
    if (top.fd < 0) return false;
    if (mount(nullptr, RootDir::fdPath(top.fd).c_str(), nullptr, p, nullptr) < 0)
      return sysFail(f, "set mount propagation of", m.destination);
  }
  return true;
}

bool applyRecursiveAttrs(const RootDir& root, const Mount& m, Failure& f) {
  if (m.recAttrSet == 0 && m.recAttrClr == 0) return true;
  Fd top(resolveTop(root, m.destination, f));
  if (top.fd < 0) return false;
  MountAttr attr = {m.recAttrSet, m.recAttrClr, 0, 0};
  if (syscall(SYS_mount_setattr, top.fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return sysFail(f, "mount_setattr (recursive options) on", m.destination,
                   errno == ENOSYS ? "recursive mount options need Linux 5.12 or later" : "");
  return true;
}

// Where a destination resolves (symlinks are followed inside the rootfs) may
// still be procfs, e.g. /etc/x -> /proc/sys/kernel/core_pattern once /proc is
// mounted: such a mount would cover what the runtime and LSMs rely on
// (CVE-2019-16884, CVE-2019-19921), so only the allowed ones get there.
bool checkNotOnProcfs(int targetFd, bool allowed, const std::string& dest, Failure& f) {
  if (allowed || !onProcfs(targetFd)) return true;
  errno = EPERM;
  return sysFail(f, "mount on", dest, "the destination resolves into procfs; only procfs on /proc and lxcfs-style files such as /proc/meminfo may be mounted there");
}

bool bindMount(const RootDir& root, const std::string& source, const std::string& dest, bool sourceIsDir,
               unsigned long flags, bool remount, unsigned long remountFlags, Failure& f, bool mayCoverProcfs = false,
               int tree = -1) {
  Fd target(sourceIsDir ? root.mkdirAll(dest, 0755, f) : root.ensureFile(dest, f));
  if (target.fd < 0) return false;
  if (!checkNotOnProcfs(target.fd, mayCoverProcfs, dest, f)) return false;
  if (tree >= 0) {
    // The source was opened by host root before the user namespace existed:
    // attaching the copy needs no access to the source's path from here.
    if (syscall(SYS_move_mount, tree, "", target.fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      return sysFail(f, "attach bind mount " + source + " (move_mount) on", dest);
    // A copy of a shared host mount would be a peer of it: what the
    // container mounts below would reach the host. A slave, as a bind made
    // inside the container's (rslave) namespace is.
    Fd attached(resolveTop(root, dest, f));
    if (attached.fd < 0) return false;
    if (mount(nullptr, RootDir::fdPath(attached.fd).c_str(), nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
      return sysFail(f, "make bind mount a slave", dest);
  } else if (mount(source.c_str(), RootDir::fdPath(target.fd).c_str(), nullptr, MS_BIND | (flags & MS_REC), nullptr) < 0) {
    return sysFail(f, "bind mount " + source + " on", dest,
                   errno == EACCES ? "the source is not reachable by the container's root; this kernel lacks open_tree (Linux 5.2)" : "");
  }
  if (!remount) return true;
  Fd top(resolveTop(root, dest, f));
  if (top.fd < 0) return false;
  return remountBind(RootDir::fdPath(top.fd), remountFlags, dest, f);
}

// proc and sysfs go on an ordinary directory only: a symlink there could
// send them (and the runtime's later writes through them) somewhere the
// container controls (runc refuses it the same way).
bool checkPlainDirectory(const RootDir& root, const Mount& m, Failure& f) {
  if (!m.needsPlainDirectory) return true;
  Fd last(root.resolve(m.destination, true));
  if (last.fd < 0) return errno == ENOENT ? true : sysFail(f, "resolve mount destination", m.destination);
  struct stat st;
  if (fstat(last.fd, &st) < 0) return sysFail(f, "stat mount destination", m.destination);
  if (S_ISDIR(st.st_mode)) return true;
  errno = ENOTDIR;
  return sysFail(f, "mount " + m.type + " on", m.destination,
                 S_ISLNK(st.st_mode) ? "it is a symlink in the rootfs; " + m.type + " must be mounted on an ordinary directory"
                                     : m.type + " must be mounted on an ordinary directory");
}

bool filesystemMount(const RootDir& root, const Mount& m, Failure& f) {
  if (!checkPlainDirectory(root, m, f)) return false;
  Fd target(root.mkdirAll(m.destination, 0755, f));
  if (target.fd < 0) return false;
  if (!checkNotOnProcfs(target.fd, m.mayCoverProcfs, m.destination, f)) return false;
  const char* data = m.data.empty() ? nullptr : m.data.c_str();
  // tmpcopyup: the directory the tmpfs covers, opened before it is covered.
  Fd lower(m.copyUp ? openat(target.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1);
  if (m.copyUp && lower.fd < 0) return sysFail(f, "tmpcopyup: open", m.destination);
  // A read-only copy-up tmpfs is filled first, then made read-only.
  unsigned long flags = m.copyUp ? m.flags & ~static_cast<unsigned long>(MS_RDONLY) : m.flags;
  if (mount(m.source.c_str(), RootDir::fdPath(target.fd).c_str(), m.type.c_str(), flags, data) < 0) {
    const char* hint = "";
    if (errno == ENODEV) hint = "the kernel does not know this filesystem type (see /proc/filesystems)";
    else if (errno == EINVAL) hint = "the kernel refused the options; check the mount's options";
    return sysFail(f, "mount " + m.type + " on", m.destination, hint);
  }
  if (!m.copyUp) return true;
  Fd top(resolveTop(root, m.destination, f));
  if (top.fd < 0) return false;
  Fd upper(openat(top.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (upper.fd < 0) return sysFail(f, "tmpcopyup: open the new tmpfs on", m.destination);
  if (!copyTree(lower.fd, upper.fd, m.destination, f) || !copyRootAttributes(lower.fd, upper.fd, m.data, m.destination, f))
    return false;
  if (flags != m.flags && mount(nullptr, RootDir::fdPath(top.fd).c_str(), nullptr, MS_REMOUNT | m.flags, data) < 0)
    return sysFail(f, "remount read-only (after tmpcopyup)", m.destination);
  return true;
}

bool mountOne(const RootDir& root, const Mount& m, int tree, Failure& f) {
  bool ok = false;
  switch (m.kind) {
    case MountKind::Bind:
      ok = bindMount(root, m.source, m.destination, m.sourceIsDir, m.flags, m.remount, m.remountFlags, f,
                     m.mayCoverProcfs, tree);
      break;
    case MountKind::Filesystem: ok = filesystemMount(root, m, f); break;
    case MountKind::CgroupV1: ok = cgroupLayoutMount(root, m, f); break;
    case MountKind::CgroupV2: ok = filesystemMount(root, m, f); break;
  }
  return ok && applyPropagation(root, m, f) && applyRecursiveAttrs(root, m, f);
}

bool sameDevice(const struct stat& st, const Device& d) {
  return (st.st_mode & S_IFMT) == d.type &&
         (d.type == S_IFIFO || st.st_rdev == makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor)));
}

bool isHostNode(const std::string& path, const Device& d) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && sameDevice(st, d);
}

// A node of the host for device d: at the same path, under /dev/char or
// /dev/block (udev's major:minor links), else any node of /dev itself.
bool hostNodeFor(const Device& d, std::string& out) {
  const std::string mm = std::to_string(d.major) + ":" + std::to_string(d.minor);
  for (const std::string& p : {d.path, (d.type == S_IFBLK ? "/dev/block/" : "/dev/char/") + mm}) {
    if (isHostNode(p, d)) {
      out = p;
      return true;
    }
  }
  DIR* dir = opendir("/dev");
  if (!dir) return false;
  bool found = false;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_type != DT_CHR && e->d_type != DT_BLK) continue;
    std::string p = std::string("/dev/") + e->d_name;
    if (isHostNode(p, d)) {
      out = p;
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}

bool createDevice(const RootDir& root, const Device& d, Failure& f) {
  std::string parentPath, base;
  splitPath(d.path, parentPath, base);
  Fd parent(root.mkdirAll(parentPath, 0755, f));
  if (parent.fd < 0) return false;
  dev_t dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  if (mknodat(parent.fd, base.c_str(), d.type | (d.mode & 07777), dev) == 0) {
    if (fchownat(parent.fd, base.c_str(), d.uid, d.gid, AT_SYMLINK_NOFOLLOW) < 0)
      return sysFail(f, "chown device", d.path);
    return true;
  }
  if (errno == EEXIST) {
    struct stat st;
    if (fstatat(parent.fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && sameDevice(st, d)) return true;
    errno = EEXIST;
    return sysFail(f, "create device", d.path, "a different file already exists there");
  }
  if (errno != EPERM) return sysFail(f, "create device", d.path);
  // In a user namespace mknod is not allowed: bind the host's node instead,
  // one checked to be the same device (runc binds the host's file at the
  // same path, whatever it is).
  std::string source;
  if (!hostNodeFor(d, source)) {
    errno = EPERM;
    return sysFail(f, "create device", d.path,
                   "mknod is not permitted in a user namespace and the host has no node " + std::to_string(d.major) + ":" +
                       std::to_string(d.minor) + " in /dev to bind instead");
  }
  return bindMount(root, source, d.path, false, 0, false, 0, f);
}

}  // namespace

bool prepareRoot(const Plan& plan, RootDir& root, Failure& f) {
  unsigned long propagation = plan.rootPropagation ? plan.rootPropagation : (MS_SLAVE | MS_REC);
  if (mount(nullptr, "/", nullptr, propagation, nullptr) < 0)
    return sysFail(f, "make the container's mounts private to it (mount --make-rslave /)", "/");
  if (mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    return sysFail(f, "bind mount rootfs", plan.rootfs);
  return root.open(plan.rootfs, plan.forceSafeWalk, f);
}

void openBindSources(const Plan& plan) {
  if (!plan.setupRootfs) return;
  gBindTrees.assign(plan.mounts.size(), -1);
  for (size_t i = 0; i < plan.mounts.size(); i++) {
    const Mount& m = plan.mounts[i];
    if (m.kind != MountKind::Bind) continue;
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m.flags & MS_REC) ? AT_RECURSIVE : 0);
    long fd = syscall(SYS_open_tree, AT_FDCWD, m.source.c_str(), flags);
    // Before Linux 5.2 (ENOSYS), or a source open_tree refuses: that mount
    // is bound by path from inside, as without a user namespace, and a
    // failure there names the step and the source.
    if (fd >= 0) gBindTrees[i] = static_cast<int>(fd);
    else if (errno == ENOSYS) return;
  }
}

void closeBindSources() {
  for (int& fd : gBindTrees)
    if (fd >= 0) close(fd), fd = -1;
  gBindTrees.clear();
}

bool mountAll(const Plan& plan, const RootDir& root, Failure& f) {
  for (size_t i = 0; i < plan.mounts.size(); i++) {
    int tree = i < gBindTrees.size() ? gBindTrees[i] : -1;
    if (!mountOne(root, plan.mounts[i], tree, f)) return false;
  }
  // The waiting init keeps none of them (and none lands among the fds the
  // container is given).
  closeBindSources();
  return true;
}

bool setupDevices(const Plan& plan, const RootDir& root, Failure& f) {
  mode_t old = umask(0);
  bool ok = true;
  for (const auto& d : plan.devices)
    if (!(ok = createDevice(root, d, f))) break;
  umask(old);
  if (!ok || !plan.setupDev) return ok;
  static const char* const kLinks[][2] = {
      {"/proc/self/fd", "/dev/fd"},
      {"/proc/self/fd/0", "/dev/stdin"},
      {"/proc/self/fd/1", "/dev/stdout"},
      {"/proc/self/fd/2", "/dev/stderr"},
  };
  for (const auto& l : kLinks)
    if (!root.symlinkAt(l[0], l[1], f)) return false;
  if (pathExists("/proc/kcore") && !root.symlinkAt("/proc/kcore", "/dev/core", f)) return false;
  // /dev/ptmx must be the container's own devpts multiplexer.
  Fd dev(root.resolve("/dev"));
  if (dev.fd < 0) return sysFail(f, "resolve", "/dev");
  Fd devDir(openat(dev.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (devDir.fd < 0) return sysFail(f, "open", "/dev");
  if (unlinkat(devDir.fd, "ptmx", 0) < 0 && errno != ENOENT) return sysFail(f, "remove", "/dev/ptmx");
  if (symlinkat("pts/ptmx", devDir.fd, "ptmx") < 0) return sysFail(f, "symlink", "/dev/ptmx");
  return true;
}

bool writeSysctls(const Plan& plan, const RootDir* root, Failure& f) {
  if (plan.sysctls.empty()) return true;
  // Through the container's own procfs, never the host's: /proc/sys shows
  // the namespaces of the writing process, and the path is resolved below a
  // directory checked to be procfs, so no key, symlink or mount in the
  // rootfs can turn a sysctl write into a write to a host file.
  Fd procSys(-1);
  if (root) {
    Fd resolved(root->resolve("/proc/sys"));
    if (resolved.fd < 0)
      return sysFail(f, "resolve /proc/sys in the container", "/proc/sys",
                     errno == ENOENT ? "sysctls need procfs mounted on /proc (add a \"proc\" mount)" : "");
    procSys.fd = openProcfsDir(resolved.fd, ".", "the container's /proc/sys", f);
  } else {
    procSys.fd = openProcfsDir(AT_FDCWD, "/proc/sys", "/proc/sys", f);
  }
  if (procSys.fd < 0) return false;
  for (const auto& s : plan.sysctls) {
    if (!writeProcfsFile(procSys.fd, s.path, s.value, "sysctl " + s.key, f)) {
      f.step = "set sysctl " + s.key + "=" + s.value + " (" + f.step + ")";
      return false;
    }
  }
  return true;
}

bool applyReadonlyPaths(const Plan& plan, const RootDir& root, Failure& f) {
  for (const auto& p : plan.readonlyPaths) {
    Fd fd(root.resolve(p));
    if (fd.fd < 0) {
      if (errno == ENOENT) continue;
      return sysFail(f, "resolve readonly path", p);
    }
    std::string self = RootDir::fdPath(fd.fd);
    if (mount(self.c_str(), self.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
      return sysFail(f, "bind readonly path", p);
    Fd top(resolveTop(root, p, f));
    if (top.fd < 0) return false;
    if (!remountBind(RootDir::fdPath(top.fd), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, p, f)) return false;
  }
  return true;
}

bool applyMaskedPaths(const Plan& plan, const RootDir& root, Failure& f) {
  if (plan.maskedPaths.empty()) return true;
  // The host's /dev/null, checked to be the null device: a container's own
  // /dev/null could be a symlink to something writable (CVE-2025-31133).
  Fd null(open("/dev/null", O_PATH | O_CLOEXEC));
  struct stat st;
  if (null.fd < 0 || fstat(null.fd, &st) < 0) return sysFail(f, "open", "/dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    errno = EINVAL;
    return sysFail(f, "check", "/dev/null", "the host's /dev/null is not the null device");
  }
  for (const auto& p : plan.maskedPaths) {
    Fd fd(root.resolve(p));
    if (fd.fd < 0) {
      if (errno == ENOENT) continue;
      return sysFail(f, "resolve masked path", p);
    }
    struct stat target;
    if (fstat(fd.fd, &target) < 0) return sysFail(f, "stat masked path", p);
    std::string dest = RootDir::fdPath(fd.fd);
    int r = S_ISDIR(target.st_mode)
                ? mount("tmpfs", dest.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
                : mount(RootDir::fdPath(null.fd).c_str(), dest.c_str(), nullptr, MS_BIND, nullptr);
    if (r < 0) return sysFail(f, "mask path", p);
  }
  return true;
}

bool enterRoot(const Plan& plan, Failure& f) {
  const char* rootfs = plan.rootfs.c_str();
  if (plan.noPivot) {
    if (chdir(rootfs) < 0) return sysFail(f, "chdir", plan.rootfs);
    if (mount(rootfs, "/", nullptr, MS_MOVE, nullptr) < 0) return sysFail(f, "move rootfs to / (--no-pivot)", plan.rootfs);
    if (chroot(".") < 0) return sysFail(f, "chroot", plan.rootfs);
    if (chdir("/") < 0) return sysFail(f, "chdir", "/");
    return true;
  }
  Fd oldRoot(open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  Fd newRoot(open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (oldRoot.fd < 0 || newRoot.fd < 0) return sysFail(f, "open", plan.rootfs);
  if (fchdir(newRoot.fd) < 0) return sysFail(f, "chdir", plan.rootfs);
  // pivot_root(".", ".") stacks the old root on top of the new one; it is then
  // detached, without the need for a directory inside the rootfs.
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return sysFail(f, "pivot_root", plan.rootfs,
                   errno == EINVAL ? "the rootfs may be on a ramdisk; use --no-pivot" : "");
  if (fchdir(oldRoot.fd) < 0) return sysFail(f, "chdir", "old root");
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) return sysFail(f, "make old root a slave", "/");
  if (umount2(".", MNT_DETACH) < 0) return sysFail(f, "unmount old root", "/");
  if (chdir("/") < 0) return sysFail(f, "chdir", "/");
  return true;
}

bool finalizeRoot(const Plan& plan, Failure& f) {
  if (plan.rootReadonly && !remountBind("/", MS_RDONLY, "/ (root.readonly)", f)) return false;
  if (plan.rootfsPropagation && mount(nullptr, "/", nullptr, plan.rootfsPropagation, nullptr) < 0)
    return sysFail(f, "set rootfsPropagation on", "/");
  return true;
}

// The building blocks composite mounts use (cgroup-mounts.cc), with the
// same destination resolution and checks as mountAll's own steps.
bool mountFilesystemIn(const RootDir& root, const Mount& m, Failure& f) { return filesystemMount(root, m, f); }

bool bindDirectoryIn(const RootDir& root, const std::string& source, const std::string& dest, unsigned long remountFlags,
                     Failure& f) {
  return bindMount(root, source, dest, true, MS_REC, true, remountFlags, f);
}

bool remountIn(const RootDir& root, const std::string& dest, unsigned long flags, Failure& f) {
  Fd top(resolveTop(root, dest, f));
  if (top.fd < 0) return false;
  return remountBind(RootDir::fdPath(top.fd), flags, dest, f);
}

}  // namespace runts::init
