// <root>/<id>/cgroups.json: the container's cgroup list, a second small
// record that create writes before it makes any cgroup, and rewrites when
// the record's cgroup list changes (a directory that appeared in a race). It
// holds only the cgroup directories (src/state/contract.ts CGROUP_LIST):
// with state.json damaged or missing, it is how `delete --force` finds a
// container with its own linux.cgroupsPath (the default placement
// /runts/<id> is found without it). The procs, freezer and kill files are
// derived from the directories (placementOfDirs), not read.
//
// It is read exactly as untrusted as state.json: a bounded regular file (no
// symlink), strict members, the container's own id, and clean absolute paths
// confined to this host's cgroup mounts (confinedCgroupDir). A list with any
// problem is ignored as a whole: a file that is not what runts wrote tells
// nothing reliable.
#pragma once

#include <string>
#include <vector>

#include "cgroupfs.h"
#include "container.h"

namespace runts {

constexpr size_t kMaxCgroupListBytes = 256u * 1024;

struct CgroupList {
  std::vector<CgroupDir> cgroups;
};

// What is wrong with a cgroup list's text ("" when nothing is; out is then
// filled). The contract tests feed it mutations.
std::string cgroupListDamage(const std::string& id, const std::string& text, const CgroupLayout& layout, CgroupList& out);

// For a record that cannot be trusted (rec.unreliable()): adds the cgroups
// of <stateDir>/cgroups.json that rec lacks, and the procs, freezer and
// kill files of those that exist. Returns why the list was ignored ("" when
// it was used, or there is none).
std::string addCgroupList(ContainerRecord& rec);

}  // namespace runts
