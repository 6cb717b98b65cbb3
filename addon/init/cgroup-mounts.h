// The config's cgroup mount on a v1 or hybrid host ("cgroup1" in the plan,
// src/plan/build.ts cgroupMount): a tmpfs at the destination holding one
// entry per hierarchy, as runc's mountCgroupV1 makes it. With a cgroup
// namespace each entry is a new mount of its hierarchy, which shows the
// namespace's root (the container's own cgroup: the init joined its cgroups
// before it unshared); without one each is a bind of the container's cgroup
// directory on the host. Then the co-mount symlinks (cpu -> cpu,cpuacct),
// and the read-only remount of the tmpfs.
#pragma once

#include "../common/failure.h"
#include "plan.h"
#include "rootpath.h"

namespace runts::init {

bool cgroupLayoutMount(const RootDir& root, const Mount& m, Failure& f);

}  // namespace runts::init
