#include "cgroupfs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "fsutil.h"

namespace runts {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescapeOctal(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); i++) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string oct = field.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out.push_back(static_cast<char>(strtol(oct.c_str(), nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

bool isNoiseOption(const std::string& o) {
  static const char* const kNoise[] = {"rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "favordynmods"};
  for (const char* n : kNoise)
    if (o == n) return true;
  return o.rfind("release_agent=", 0) == 0;
}

std::string v1Name(const std::string& superOptions) {
  std::string name;
  for (const auto& o : split(superOptions, ',')) {
    if (o.empty() || isNoiseOption(o)) continue;
    if (!name.empty()) name += ',';
    name += o;
  }
  return name;
}

std::string readText(const char* path) {
  std::string text;
  Failure ignored;
  readFile(path, text, ignored);
  return text;
}

// Maps "memory", "cpu,cpuacct", "name=systemd" or "" (unified) to a path.
std::string cgroupOf(const std::string& procCgroup, const std::string& key) {
  for (const auto& line : split(procCgroup, '\n')) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos || a == 0) continue;
    if (line.substr(a + 1, b - a - 1) == key) return line.substr(b + 1);
  }
  return "";
}

bool hasPrefixDir(const std::string& path, const std::string& dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

}  // namespace

bool isCleanAbsolutePath(const std::string& p) {
  if (p.empty() || p[0] != '/' || p.size() == 1 || p.back() == '/') return false;
  for (const auto& part : split(p.substr(1), '/'))
    if (part.empty() || part == "." || part == "..") return false;
  return true;
}

namespace {

// The mount a host directory is strictly below (the deepest such mount).
const CgroupMount* mountBelow(const CgroupLayout& layout, const std::string& dir) {
  const CgroupMount* best = nullptr;
  for (const auto& m : layout.mounts)
    if (hasPrefixDir(dir, m.mountPoint) && (!best || m.mountPoint.size() > best->mountPoint.size())) best = &m;
  return best;
}

// The cgroup (as /proc/<pid>/cgroup shows it) of a host directory.
std::string cgroupPathOf(const CgroupMount& m, const std::string& dir) {
  std::string rel = dir.substr(m.mountPoint.size());  // starts with '/'
  return m.root == "/" ? rel : m.root + rel;
}

}  // namespace

CgroupLayout hostCgroupLayout() {
  CgroupLayout layout;
  std::string own = readText("/proc/self/cgroup");
  bool seenUnified = false;
  std::vector<std::string> seenNames;
  for (const auto& line : split(readText("/proc/self/mountinfo"), '\n')) {
    size_t sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::vector<std::string> before = split(line.substr(0, sep), ' ');
    std::vector<std::string> after = split(line.substr(sep + 3), ' ');
    if (before.size() < 5 || after.empty()) continue;
    const std::string& fstype = after[0];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m;
    m.root = unescapeOctal(before[3]);
    m.mountPoint = unescapeOctal(before[4]);
    if (fstype == "cgroup2") {
      if (seenUnified) continue;
      seenUnified = true;
      m.version = 2;
    } else {
      m.name = v1Name(after.size() > 2 ? after[2] : "");
      bool seen = false;
      for (const auto& n : seenNames) seen = seen || n == m.name;
      if (m.name.empty() || seen) continue;
      seenNames.push_back(m.name);
    }
    m.ownPath = cgroupOf(own, m.name);
    if (m.ownPath.empty()) m.ownPath = "/";
    layout.mounts.push_back(m);
  }
  bool v1 = !seenNames.empty();
  layout.mode = v1 ? (seenUnified ? "hybrid" : "v1") : seenUnified ? "v2" : "none";
  return layout;
}

DefaultPlacement placementOfDirs(const CgroupLayout& layout, const std::vector<std::string>& dirs) {
  DefaultPlacement p;
  std::string unified, freezer, first;
  for (const auto& dir : dirs) {
    const CgroupMount* m = mountBelow(layout, dir);
    if (!m) continue;
    p.dirs.push_back(dir);
    if (first.empty()) first = dir;
    if (m->version == 2 && unified.empty()) unified = dir;
    for (const auto& c : split(m->name, ','))
      if (c == "freezer" && freezer.empty()) freezer = dir;
  }
  std::string listing = layout.mode == "v1" ? (freezer.empty() ? first : freezer) : unified;
  if (!listing.empty()) p.procsFile = listing + "/cgroup.procs";
  if (layout.mode == "v2" && !unified.empty()) p.freezerFile = unified + "/cgroup.freeze";
  else if (!freezer.empty()) p.freezerFile = freezer + "/freezer.state";
  if (!unified.empty() && pathExists(unified + "/cgroup.kill")) p.killFile = unified + "/cgroup.kill";
  return p;
}

DefaultPlacement defaultPlacement(const CgroupLayout& layout, const std::string& id) {
  const std::string cgroupPath = "/runts/" + id;
  std::vector<std::string> dirs;
  for (const auto& m : layout.mounts) {
    std::string rel;
    if (m.root == "/") rel = cgroupPath;
    else if (hasPrefixDir(cgroupPath, m.root)) rel = cgroupPath.substr(m.root.size());
    else continue;  // outside this mount: create refuses such a placement
    dirs.push_back(m.mountPoint + rel);
  }
  return placementOfDirs(layout, dirs);
}

bool confinedCgroupDir(const CgroupLayout& layout, const std::string& dir, std::string& why) {
  if (!isCleanAbsolutePath(dir)) {
    why = "is not a clean absolute path (\".\", \"..\", \"//\" or a trailing \"/\")";
    return false;
  }
  const CgroupMount* m = mountBelow(layout, dir);
  if (!m) {
    why = "is not below a cgroup mount of this host";
    return false;
  }
  // The mount point is the kernel's own path (mountinfo), free of symlinks;
  // what follows it is checked one component at a time (cgroupfs has no
  // symlinks, but something else may be mounted inside the hierarchy).
  for (size_t end = m->mountPoint.size() + 1; end <= dir.size(); end++) {
    if (end < dir.size() && dir[end] != '/') continue;
    struct stat st;
    if (lstat(dir.substr(0, end).c_str(), &st) < 0) {
      if (errno == ENOENT) break;  // nothing there: nothing to act on
      why = "cannot be checked";
      return false;
    }
    if (!S_ISDIR(st.st_mode)) {
      why = S_ISLNK(st.st_mode) ? "goes through a symlink" : "is not a directory";
      return false;
    }
  }
  std::string cg = cgroupPathOf(*m, dir);
  if (cg == m->ownPath || hasPrefixDir(m->ownPath, cg)) {
    why = "holds runts' own process (it is " + m->ownPath + " or above it)";
    return false;
  }
  return true;
}

bool processInCgroup(const CgroupLayout& layout, pid_t pid, const std::string& dir) {
  const CgroupMount* m = mountBelow(layout, dir);
  if (!m || pid <= 0) return false;
  std::string proc = "/proc/" + std::to_string(pid) + "/cgroup";
  std::string path = cgroupOf(readText(proc.c_str()), m->version == 2 ? "" : m->name);
  std::string cg = cgroupPathOf(*m, dir);
  return path == cg || hasPrefixDir(path, cg);
}

}  // namespace runts
