// The container's filesystem: the rootfs bind mount, mounts[] in order,
// /dev, masked and read-only paths, then pivot_root. Everything before the
// pivot addresses files through fds resolved inside the rootfs (see
// rootpath.h) and mounts onto /proc/self/fd/N of the host /proc.
#pragma once

#include "../common/failure.h"
#include "plan.h"
#include "rootpath.h"

namespace runts::init {

// Makes every mount of the new namespace a slave, so nothing done here
// propagates back to the host, then binds the rootfs onto itself.
bool prepareRoot(const Plan& plan, RootDir& root, Failure& f);
// With a user namespace, in stage 1 before it is created or joined: a
// detached copy (open_tree(OPEN_TREE_CLONE)) of each bind source, opened by
// the host's root, so that a source the container's root could not reach
// (a 0700 root-owned directory) is still bound, as with runc 1.2. mountAll
// attaches them with move_mount. Kernels without open_tree (before 5.2)
// (and sources open_tree refuses) keep binding by path from inside.
void openBindSources(const Plan& plan);
void closeBindSources();
bool mountAll(const Plan& plan, const RootDir& root, Failure& f);
bool setupDevices(const Plan& plan, const RootDir& root, Failure& f);
// root is null when the mount namespace is joined (no rootfs is set up).
bool writeSysctls(const Plan& plan, const RootDir* root, Failure& f);
bool applyReadonlyPaths(const Plan& plan, const RootDir& root, Failure& f);
bool applyMaskedPaths(const Plan& plan, const RootDir& root, Failure& f);
// pivot_root (or MS_MOVE + chroot with --no-pivot); afterwards "/" is the rootfs.
bool enterRoot(const Plan& plan, Failure& f);
// root.readonly and rootfsPropagation, applied to the new "/".
bool finalizeRoot(const Plan& plan, Failure& f);

// Building blocks for composite mounts (cgroup-mounts.cc). Destinations
// are container paths, resolved inside the rootfs as mountAll resolves them.
// mount(2) of m (kind Filesystem) on its destination, created if missing.
bool mountFilesystemIn(const RootDir& root, const Mount& m, Failure& f);
// A recursive bind of a host directory, then a remount with remountFlags.
bool bindDirectoryIn(const RootDir& root, const std::string& source, const std::string& dest, unsigned long remountFlags,
                     Failure& f);
// MS_REMOUNT|MS_BIND|flags on the mount at dest (the flags the kernel locks are kept).
bool remountIn(const RootDir& root, const std::string& dest, unsigned long flags, Failure& f);

}  // namespace runts::init
