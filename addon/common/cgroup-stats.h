// A container's resource statistics, read from its cgroup files the way
// runc reads them (libcontainer/cgroups/fs/*.go for v1, fs2/*.go for v2) and
// written as the "data" object of `runc events` (runc's types/events.go, the
// 1.1 layout that `runc events --stats` prints: the same keys, the same
// omitempty rules). `events` prints it; the Node addon returns it to the
// library; test/unit/cgroup-stats.test.ts feeds it directories laid out like
// v1 and v2 cgroups.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cgroupfs.h"
#include "failure.h"

namespace runts {

struct CgroupDir;

// Where the statistics are: on a v1 (or hybrid) host the directory of each
// controller that has stats (cpu, cpuacct, cpuset, memory, pids, blkio,
// hugetlb); on a pure v2 host the one unified directory. runc uses the v1
// hierarchies on a hybrid host too.
struct StatsSources {
  bool unified = false;
  std::vector<std::pair<std::string, std::string>> controllers;  // v1: {"memory", dir}, ...
  std::string unifiedDir;
  // Where the kernel lists its huge page sizes (hugepages-2048kB, ...).
  std::string hugepagesDir = "/sys/kernel/mm/hugepages";

  // The v1 directory of a controller ("" when the container has none).
  std::string dirOf(const std::string& controller) const;
  // Where memory.oom_control (v1) or memory.events (v2) is: "" for none.
  std::string memoryDir() const { return unified ? unifiedDir : dirOf("memory"); }
};

// Finds each of the container's cgroup directories' controllers by the
// mount it is below (a co-mounted "cpu,cpuacct" serves both).
StatsSources statsSourcesOf(const CgroupLayout& layout, const std::vector<CgroupDir>& cgroups);

// Reads every statistic and writes runc's "data" object (compact JSON). A
// file that runc requires and cannot read or parse is a failure naming it.
bool readStatsJson(const StatsSources& sources, std::string& out, Failure& f);

// The value of `key` in a flat-keyed file ("oom_kill 3" lines of
// memory.events or memory.oom_control); 0 when absent, as runc's
// GetValueByKey.
bool cgroupValueByKey(const std::string& file, const std::string& key, uint64_t& value, Failure& f);

}  // namespace runts
