// Linux security module labels: the AppArmor profile and SELinux label the
// process gets at execve, the SELinux label of its session keyring, and the
// mount label of mounts that take no context= option.
//
// Every write goes to /proc/<tid>/attr/... resolved from an fd of the
// runtime's procfs, opened before any namespace is joined or any container
// mount is made, checked to be a procfs root, and walked without following
// symlinks or crossing mounts: a malicious rootfs or mount cannot redirect
// the write (runc's CVE-2025-52881).
#pragma once

#include "../common/failure.h"
#include "plan.h"
#include "rootpath.h"

namespace runts::init {

// The procfs root fd when the plan has LSM labels to write, else -1 (and
// true). Call it in the runtime's mount namespace, before any setns.
bool openProcRootIfNeeded(const Plan& plan, int& procRoot, Failure& f);

// Before the session keyring is created: with an SELinux process label, the
// keyring gets it too (runc's SetKeyLabel).
bool applyKeyringLabel(const Plan& plan, int procRoot, Failure& f);

// After the mounts: linux.mountLabel as the security.selinux xattr of the
// roots of mounts that cannot take context= (mqueue, as runc does).
bool labelMountRoots(const Plan& plan, const RootDir& root, Failure& f);

// The last step before no_new_privs and the seccomp filter: the AppArmor
// profile and SELinux label the kernel applies at the next execve.
bool applyExecLabels(const Plan& plan, int procRoot, Failure& f);

}  // namespace runts::init
