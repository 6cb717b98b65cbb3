// The host's cgroup hierarchies as the native verbs need them: to confine
// the cgroup paths read back from state.json (a record is a file, and an
// edited one must not make delete remove or kill arbitrary things), and to
// find a container whose record is damaged or gone at runts' default
// placement, /runts/<id>. src/cgroups/layout.ts and placement.ts are the
// reference; test/unit/native-verbs.test.ts checks that both sides agree.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace runts {

struct CgroupMount {
  int version = 1;         // 1 or 2
  std::string name;        // "memory", "cpu,cpuacct", "name=systemd"; "" for cgroup2
  std::string mountPoint;  // e.g. /sys/fs/cgroup/memory
  std::string root;        // the mount's root inside the hierarchy ("/" usually)
  std::string ownPath;     // this process's cgroup in the hierarchy
};

struct CgroupLayout {
  std::string mode;  // "v1", "v2", "hybrid" or "none"
  std::vector<CgroupMount> mounts;
};

// Reads /proc/self/mountinfo and /proc/self/cgroup: one entry per hierarchy,
// the first mount of each, as src/cgroups/layout.ts does.
CgroupLayout hostCgroupLayout();

struct DefaultPlacement {
  std::vector<std::string> dirs;  // outermost hierarchy order, as placement.ts
  std::string procsFile;
  std::string freezerFile;
  std::string killFile;  // set only where the kernel has cgroup.kill
};

// Where create puts a container without linux.cgroupsPath: /runts/<id> in
// every hierarchy.
DefaultPlacement defaultPlacement(const CgroupLayout& layout, const std::string& id);

// The files of a placement whose directories are known (cgroups.json of a
// container whose state.json is damaged): the same choice of procs, freezer
// and kill file as placement.ts makes. Directories below no cgroup mount are
// left out.
DefaultPlacement placementOfDirs(const CgroupLayout& layout, const std::vector<std::string>& dirs);

// An absolute path without ".", "..", empty components or a trailing "/".
bool isCleanAbsolutePath(const std::string& p);

// Whether dir may be acted on as a container's cgroup: an absolute, clean
// path (no ".", "..", "//", trailing "/") strictly below a cgroup mount of
// this host, with nothing but directories on the way (no symlink), and
// neither the hierarchy's root nor an ancestor of runts' own cgroup (killing
// what is in those would kill the host's processes, runts included). why
// says which rule failed.
bool confinedCgroupDir(const CgroupLayout& layout, const std::string& dir, std::string& why);

// Whether pid is in dir or below it (from /proc/<pid>/cgroup).
bool processInCgroup(const CgroupLayout& layout, pid_t pid, const std::string& dir);

}  // namespace runts
