#include "cgroup-stats.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>

#include "container.h"
#include "fsutil.h"
#include "json.h"

namespace runts {

namespace {

// ---------------------------------------------------------------------------
// What runc collects (libcontainer/cgroups/stats.go), in the fields that
// `runc events` prints.

struct CpuStats {
  uint64_t total = 0, kernel = 0, user = 0;
  std::vector<uint64_t> percpu, percpuKernel, percpuUser;
  uint64_t periods = 0, throttledPeriods = 0, throttledTime = 0;
};

struct CpusetStats {
  std::vector<uint16_t> cpus, mems;
  uint64_t cpuExclusive = 0, memHardwall = 0, memExclusive = 0, memoryMigrate = 0, memorySpreadPage = 0,
           memorySpreadSlab = 0, memoryPressure = 0, schedLoadBalance = 0;
  int64_t schedRelaxDomainLevel = 0;
};

struct MemoryEntry {
  uint64_t limit = 0, usage = 0, max = 0, failcnt = 0;
};

struct MemoryStats {
  uint64_t cache = 0;
  MemoryEntry usage, swap, kernel, kernelTCP;
  std::map<std::string, uint64_t> raw;  // memory.stat; sorted, as Go writes a map
};

struct BlkioEntry {
  uint64_t major = 0, minor = 0;
  std::string op;
  uint64_t value = 0;
};

// In runc's order and with its JSON names (ioQueueRecursive is runc's spelling).
enum BlkioTable { kServiceBytes, kServiced, kQueued, kServiceTime, kWaitTime, kMerged, kTime, kSectors, kBlkioTables };
const char* const kBlkioNames[kBlkioTables] = {"ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive",
                                               "ioServiceTimeRecursive",  "ioWaitTimeRecursive", "ioMergedRecursive",
                                               "ioTimeRecursive",         "sectorsRecursive"};

struct HugetlbStats {
  uint64_t usage = 0, max = 0, failcnt = 0;
};

struct Stats {
  CpuStats cpu;
  CpusetStats cpuset;
  MemoryStats memory;
  uint64_t pidsCurrent = 0, pidsLimit = 0;
  std::vector<BlkioEntry> blkio[kBlkioTables];
  std::map<std::string, HugetlbStats> hugetlb;
};

// ---------------------------------------------------------------------------
// Parsing as Go's strconv and runc's fscommon do.

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string trimSpace(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && isSpace(s[a])) a++;
  while (b > a && isSpace(s[b - 1])) b--;
  return s.substr(a, b - a);
}

std::vector<std::string> fields(const std::string& s, bool (*sep)(char)) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && sep(s[i])) i++;
    size_t start = i;
    while (i < s.size() && !sep(s[i])) i++;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// strings.SplitN(s, sep, n)
std::vector<std::string> splitN(const std::string& s, char sep, size_t n) {
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() + 1 < n) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) break;
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  out.push_back(s.substr(start));
  return out;
}

// bufio.Scanner's lines: split at '\n', a trailing '\r' dropped, no empty
// last line.
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out = splitN(text, '\n', SIZE_MAX);
  if (!out.empty() && out.back().empty()) out.pop_back();
  for (auto& l : out)
    if (!l.empty() && l.back() == '\r') l.pop_back();
  return out;
}

// strconv.ParseUint(s, 10, bits)
bool parseUint(const std::string& s, int bits, uint64_t& v) {
  if (s.empty()) return false;
  uint64_t limit = bits >= 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  return true;
}

// strconv.ParseInt(s, 10, 64)
bool parseInt(const std::string& s, int64_t& v) {
  bool neg = !s.empty() && s[0] == '-';
  std::string digits = !s.empty() && (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
  uint64_t u;
  if (!parseUint(digits, 64, u)) return false;
  if (neg ? u > uint64_t{1} << 63 : u > static_cast<uint64_t>(INT64_MAX)) return false;
  v = neg ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
  return true;
}

// fscommon.ParseUint: a negative number (some memory counters go below zero
// through kernel bugs) reads as 0.
bool parseUintLoose(const std::string& s, uint64_t& v) {
  if (parseUint(s, 64, v)) return true;
  if (s.size() > 1 && s[0] == '-') {
    uint64_t ignored;
    // Any run of digits after '-', in range of int64 or not.
    if (parseUint(s.substr(1), 64, ignored) || s.find_first_not_of("0123456789", 1) == std::string::npos) {
      v = 0;
      return true;
    }
  }
  return false;
}

bool parseFail(Failure& f, const std::string& path, const std::string& detail) {
  f.step = "parse";
  f.path = path;
  f.err = 0;
  f.detail = detail;
  return false;
}

bool notExist(const Failure& f) { return f.err == ENOENT; }

// The files of one cgroup directory.
struct Dir {
  std::string path;

  std::string file(const std::string& name) const { return path + "/" + name; }

  bool exists() const {
    struct stat st;
    return !path.empty() && stat(path.c_str(), &st) == 0;
  }

  bool read(const std::string& name, std::string& out, Failure& f) const { return readFile(file(name), out, f); }

  // fscommon.GetCgroupParamUint: "max" is UINT64_MAX.
  bool paramUint(const std::string& name, uint64_t& v, Failure& f) const {
    std::string text;
    if (!read(name, text, f)) return false;
    text = trimSpace(text);
    if (text == "max") {
      v = UINT64_MAX;
      return true;
    }
    if (!parseUintLoose(text, v)) return parseFail(f, file(name), printable(text) + " is not an unsigned integer");
    return true;
  }

  // fscommon.GetCgroupParamInt: "max" is INT64_MAX.
  bool paramInt(const std::string& name, int64_t& v, Failure& f) const {
    std::string text;
    if (!read(name, text, f)) return false;
    text = trimSpace(text);
    if (text == "max") {
      v = INT64_MAX;
      return true;
    }
    if (!parseInt(text, v)) return parseFail(f, file(name), printable(text) + " is not an integer");
    return true;
  }

  // Lines of "key value" (fscommon.ParseKeyValue); a line of another shape
  // is a failure.
  bool keyValues(const std::string& name, std::vector<std::pair<std::string, uint64_t>>& out, Failure& f) const {
    std::string text;
    if (!read(name, text, f)) return false;
    for (const auto& line : lines(text)) {
      std::vector<std::string> parts = splitN(line, ' ', 3);
      uint64_t v;
      if (parts.size() != 2 || !parseUintLoose(parts[1], v))
        return parseFail(f, file(name), "line " + printable(line) + " is not \"key value\"");
      out.emplace_back(parts[0], v);
    }
    return true;
  }
};

// fscommon.GetValueByKey on an already read file.
bool valueByKey(const std::string& path, const std::string& text, const std::string& key, uint64_t& v, Failure& f) {
  v = 0;
  for (const auto& line : splitN(text, '\n', SIZE_MAX)) {
    std::vector<std::string> parts = splitN(line, ' ', SIZE_MAX);
    if (parts.size() != 2 || parts[0] != key) continue;
    if (!parseUintLoose(parts[1], v)) return parseFail(f, path, "line " + printable(line) + " is not \"key value\"");
    return true;
  }
  return true;
}

// cgroups.GetHugePageSize: hugepages-2048kB is "2MB", hugepages-1048576kB
// "1GB". Sorted, so that the order does not depend on the directory's.
std::vector<std::string> hugePageSizes(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> sizes;
  DIR* d = opendir(dir.c_str());
  if (!d) return {};
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    const std::string prefix = "hugepages-";
    if (name.rfind(prefix, 0) != 0 || name.size() < prefix.size() + 3 || name.compare(name.size() - 2, 2, "kB") != 0)
      continue;
    uint64_t kb;
    if (!parseUint(name.substr(prefix.size(), name.size() - prefix.size() - 2), 63, kb)) continue;
    std::string label = kb >= (1u << 20)   ? std::to_string(kb >> 20) + "GB"
                        : kb >= (1u << 10) ? std::to_string(kb >> 10) + "MB"
                                           : std::to_string(kb) + "KB";
    sizes.emplace_back(kb, label);
  }
  closedir(d);
  std::sort(sizes.begin(), sizes.end());
  std::vector<std::string> out;
  for (const auto& s : sizes) out.push_back(s.second);
  return out;
}

// ---------------------------------------------------------------------------
// cgroup v1 (libcontainer/cgroups/fs). A missing file of an optional
// counter is skipped, as runc skips it; any other failure stops.

// "0-3,5" as [0 1 2 3 5]; an empty file is an error (getCpusetStat).
bool cpusetList(const Dir& d, const std::string& name, std::vector<uint16_t>& out, Failure& f) {
  std::string text;
  if (!d.read(name, text, f)) return false;
  text = trimSpace(text);
  if (text.empty()) return parseFail(f, d.file(name), "it is empty");
  for (const auto& part : splitN(text, ',', SIZE_MAX)) {
    std::vector<std::string> range = splitN(part, '-', 3);
    uint64_t lo, hi;
    if (range.size() == 3 || !parseUint(range[0], 16, lo) || !parseUint(range.back(), 16, hi) || lo > hi)
      return parseFail(f, d.file(name), printable(part) + " is not a CPU or node number or range");
    for (uint64_t i = lo; i <= hi; i++) out.push_back(static_cast<uint16_t>(i));
  }
  return true;
}

bool v1Cpuset(const Dir& d, CpusetStats& s, Failure& f) {
  auto optional = [&f](bool ok) { return ok || notExist(f); };
  if (!optional(cpusetList(d, "cpuset.cpus", s.cpus, f))) return false;
  if (!optional(d.paramUint("cpuset.cpu_exclusive", s.cpuExclusive, f))) return false;
  if (!optional(cpusetList(d, "cpuset.mems", s.mems, f))) return false;
  struct {
    const char* file;
    uint64_t* out;
  } const counters[] = {{"cpuset.mem_hardwall", &s.memHardwall},
                        {"cpuset.mem_exclusive", &s.memExclusive},
                        {"cpuset.memory_migrate", &s.memoryMigrate},
                        {"cpuset.memory_spread_page", &s.memorySpreadPage},
                        {"cpuset.memory_spread_slab", &s.memorySpreadSlab},
                        {"cpuset.memory_pressure", &s.memoryPressure},
                        {"cpuset.sched_load_balance", &s.schedLoadBalance}};
  for (const auto& c : counters)
    if (!optional(d.paramUint(c.file, *c.out, f))) return false;
  return optional(d.paramInt("cpuset.sched_relax_domain_level", s.schedRelaxDomainLevel, f));
}

// memory.<name>.{usage,max_usage,limit}_in_bytes and .failcnt; memsw, kmem
// and kmem.tcp are optional in the kernel, the main counters are not.
bool v1MemoryEntry(const Dir& d, const std::string& name, MemoryEntry& e, Failure& f) {
  std::string prefix = name.empty() ? "memory" : "memory." + name;
  if (!d.paramUint(prefix + ".usage_in_bytes", e.usage, f)) {
    if (!name.empty() && notExist(f)) {
      e = MemoryEntry{};
      return true;
    }
    return false;
  }
  return d.paramUint(prefix + ".max_usage_in_bytes", e.max, f) && d.paramUint(prefix + ".failcnt", e.failcnt, f) &&
         d.paramUint(prefix + ".limit_in_bytes", e.limit, f);
}

bool v1Memory(const Dir& d, MemoryStats& s, Failure& f) {
  std::vector<std::pair<std::string, uint64_t>> kv;
  if (!d.keyValues("memory.stat", kv, f)) return notExist(f);
  for (const auto& p : kv) s.raw[p.first] = p.second;
  s.cache = s.raw.count("cache") ? s.raw["cache"] : 0;
  uint64_t hierarchy;
  return v1MemoryEntry(d, "", s.usage, f) && v1MemoryEntry(d, "memsw", s.swap, f) &&
         v1MemoryEntry(d, "kmem", s.kernel, f) && v1MemoryEntry(d, "kmem.tcp", s.kernelTCP, f) &&
         d.paramUint("memory.use_hierarchy", hierarchy, f);
}

bool v1Cpu(const Dir& d, CpuStats& s, Failure& f) {
  std::vector<std::pair<std::string, uint64_t>> kv;
  if (!d.keyValues("cpu.stat", kv, f)) return notExist(f);
  for (const auto& p : kv) {
    if (p.first == "nr_periods") s.periods = p.second;
    else if (p.first == "nr_throttled") s.throttledPeriods = p.second;
    else if (p.first == "throttled_time") s.throttledTime = p.second;
  }
  return true;
}

// cpuacct.stat is in USER_HZ ticks (100 a second on Linux), the rest in ns.
bool v1Cpuacct(const Dir& d, CpuStats& s, Failure& f) {
  if (!d.exists()) return true;
  std::string text;
  if (!d.read("cpuacct.stat", text, f)) return false;
  std::vector<std::string> w = fields(text, isSpace);
  uint64_t user, system;
  if (w.size() < 4 || w[0] != "user" || w[2] != "system" || !parseUint(w[1], 64, user) || !parseUint(w[3], 64, system))
    return parseFail(f, d.file("cpuacct.stat"), "it is not \"user N\\nsystem N\"");
  s.user = user * 1000000000 / 100;
  s.kernel = system * 1000000000 / 100;
  if (!d.paramUint("cpuacct.usage", s.total, f)) return false;
  if (!d.read("cpuacct.usage_percpu", text, f)) return false;
  for (const auto& v : fields(text, isSpace)) {
    uint64_t n;
    if (!parseUint(v, 64, n)) return parseFail(f, d.file("cpuacct.usage_percpu"), printable(v) + " is not a number");
    s.percpu.push_back(n);
  }
  // "cpu user system" then one line per CPU; older kernels lack the file.
  if (!d.read("cpuacct.usage_all", text, f)) return notExist(f);
  std::vector<std::string> rows = lines(text);
  for (size_t i = 1; i < rows.size(); i++) {
    std::vector<std::string> cols = splitN(rows[i], ' ', 4);
    if (cols.size() != 3) continue;
    uint64_t u, k;
    if (!parseUint(cols[2], 64, k) || !parseUint(cols[1], 64, u))
      return parseFail(f, d.file("cpuacct.usage_all"), "line " + printable(rows[i]) + " is not \"cpu user system\"");
    s.percpuKernel.push_back(k);
    s.percpuUser.push_back(u);
  }
  return true;
}

// pids.max "max" is 0: no limit.
bool pidsFrom(const Dir& d, Stats& s, Failure& f) {
  std::string max;
  if (!d.paramUint("pids.current", s.pidsCurrent, f) || !d.read("pids.max", max, f)) return false;
  max = trimSpace(max);
  s.pidsLimit = 0;
  if (max != "max" && !parseUintLoose(max, s.pidsLimit))
    return parseFail(f, d.file("pids.max"), printable(max) + " is not a number or \"max\"");
  return true;
}

bool isBlkioSeparator(char c) { return c == ' ' || c == ':'; }

// "8:0 Read 1282048" lines; "Total N" is skipped. A missing file reads as no
// entries.
bool blkioFile(const Dir& d, const std::string& name, std::vector<BlkioEntry>& out, Failure& f) {
  out.clear();
  std::string text;
  if (!d.read(name, text, f)) return notExist(f);
  for (const auto& line : lines(text)) {
    std::vector<std::string> w = fields(line, isBlkioSeparator);
    if (w.size() < 3) {
      if (w.size() == 2 && w[0] == "Total") continue;
      return parseFail(f, d.file(name), "line " + printable(line) + " is not \"major:minor [op] value\"");
    }
    BlkioEntry e;
    size_t valueField = w.size() == 4 ? 3 : 2;
    if (w.size() == 4) e.op = w[2];
    if (!parseUint(w[0], 64, e.major) || !parseUint(w[1], 64, e.minor) || !parseUint(w[valueField], 64, e.value))
      return parseFail(f, d.file(name), "line " + printable(line) + " is not \"major:minor [op] value\"");
    out.push_back(e);
  }
  return true;
}

// runc tries the groups of files in this order and takes the first whose
// first file has entries (bfq with debug counters, bfq, cfq, throttle
// recursive, throttle).
bool v1Blkio(const Dir& d, Stats& s, Failure& f) {
  struct Source {
    const char* file;
    BlkioTable table;
  };
  static const std::vector<std::vector<Source>> groups = {
      {{"blkio.bfq.sectors_recursive", kSectors},
       {"blkio.bfq.io_service_time_recursive", kServiceTime},
       {"blkio.bfq.io_wait_time_recursive", kWaitTime},
       {"blkio.bfq.io_merged_recursive", kMerged},
       {"blkio.bfq.io_queued_recursive", kQueued},
       {"blkio.bfq.time_recursive", kTime},
       {"blkio.bfq.io_serviced_recursive", kServiced},
       {"blkio.bfq.io_service_bytes_recursive", kServiceBytes}},
      {{"blkio.bfq.io_serviced_recursive", kServiced}, {"blkio.bfq.io_service_bytes_recursive", kServiceBytes}},
      {{"blkio.sectors_recursive", kSectors},
       {"blkio.io_service_time_recursive", kServiceTime},
       {"blkio.io_wait_time_recursive", kWaitTime},
       {"blkio.io_merged_recursive", kMerged},
       {"blkio.io_queued_recursive", kQueued},
       {"blkio.time_recursive", kTime},
       {"blkio.io_serviced_recursive", kServiced},
       {"blkio.io_service_bytes_recursive", kServiceBytes}},
      {{"blkio.throttle.io_serviced_recursive", kServiced}, {"blkio.throttle.io_service_bytes_recursive", kServiceBytes}},
      {{"blkio.throttle.io_serviced", kServiced}, {"blkio.throttle.io_service_bytes", kServiceBytes}},
  };
  for (const auto& group : groups) {
    for (size_t i = 0; i < group.size(); i++) {
      std::vector<BlkioEntry> entries;
      bool ok = blkioFile(d, group[i].file, entries, f);
      if (!ok || entries.empty()) {
        if (i == 0) break;
        return ok;  // runc stops here, keeping what it has
      }
      s.blkio[group[i].table] = entries;
      if (i == group.size() - 1) return true;
    }
  }
  return true;
}

bool v1Hugetlb(const Dir& d, const std::string& hugepagesDir, Stats& s, Failure& f) {
  if (!d.exists()) return true;
  for (const auto& size : hugePageSizes(hugepagesDir)) {
    HugetlbStats h;
    std::string prefix = "hugetlb." + size;
    if (!d.paramUint(prefix + ".usage_in_bytes", h.usage, f) || !d.paramUint(prefix + ".max_usage_in_bytes", h.max, f) ||
        !d.paramUint(prefix + ".failcnt", h.failcnt, f))
      return false;
    s.hugetlb[size] = h;
  }
  return true;
}

// runc's subsystem order (fs.go): the first failure is the one reported.
bool v1Stats(const StatsSources& src, Stats& s, Failure& f) {
  auto dir = [&src](const char* c) { return Dir{src.dirOf(c)}; };
  auto has = [&src](const char* c) { return !src.dirOf(c).empty(); };
  if (has("cpuset") && !v1Cpuset(dir("cpuset"), s.cpuset, f)) return false;
  if (has("memory") && !v1Memory(dir("memory"), s.memory, f)) return false;
  if (has("cpu") && !v1Cpu(dir("cpu"), s.cpu, f)) return false;
  if (has("cpuacct") && !v1Cpuacct(dir("cpuacct"), s.cpu, f)) return false;
  if (has("pids") && dir("pids").exists() && !pidsFrom(dir("pids"), s, f)) return false;
  if (has("blkio") && !v1Blkio(dir("blkio"), s, f)) return false;
  if (has("hugetlb") && !v1Hugetlb(dir("hugetlb"), src.hugepagesDir, s, f)) return false;
  return true;
}

// ---------------------------------------------------------------------------
// cgroup v2 (libcontainer/cgroups/fs2). Every controller is read; a missing
// file (a controller not enabled for the cgroup) is skipped, and the other
// failures are reported together.

// Without the pids controller (no pids.current), the processes listed in
// cgroup.procs (cgroup.threads in a threaded cgroup).
bool v2Pids(const Dir& d, Stats& s, Failure& f) {
  uint64_t current;
  if (d.paramUint("pids.current", current, f)) return pidsFrom(d, s, f);
  if (!notExist(f)) return false;
  std::string text;
  if (!d.read("cgroup.procs", text, f) && (f.err != EOPNOTSUPP || !d.read("cgroup.threads", text, f))) return false;
  s.pidsCurrent = static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
  s.pidsLimit = 0;
  return true;
}

// memory.{current,max}, and memory.swap.* reported with memory included,
// as v1's memsw counters are.
bool v2Memory(const Dir& d, MemoryStats& s, Failure& f) {
  std::vector<std::pair<std::string, uint64_t>> kv;
  if (!d.keyValues("memory.stat", kv, f)) return false;
  for (const auto& p : kv) s.raw[p.first] = p.second;
  s.cache = s.raw.count("file") ? s.raw["file"] : 0;
  if (!d.paramUint("memory.current", s.usage.usage, f) || !d.paramUint("memory.max", s.usage.limit, f)) return false;
  MemoryEntry swap;
  if (!d.paramUint("memory.swap.current", swap.usage, f)) {
    if (!notExist(f)) return false;
    swap = MemoryEntry{};
  } else if (!d.paramUint("memory.swap.max", swap.limit, f)) {
    return false;
  }
  swap.usage += s.usage.usage;
  if (swap.limit != UINT64_MAX) swap.limit += s.usage.limit;
  s.swap = swap;
  return true;
}

// io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." in v1's tables. Lines
// in the file's order (runc goes through a Go map, in no fixed order).
bool v2Io(const Dir& d, Stats& s, Failure& f) {
  std::string text;
  if (!d.read("io.stat", text, f)) return false;
  Stats parsed;
  for (const auto& line : lines(text)) {
    std::vector<std::string> w = fields(line, isSpace);
    if (w.size() < 2) continue;
    std::vector<std::string> dev = splitN(w[0], ':', SIZE_MAX);
    if (dev.size() != 2) continue;
    uint64_t major, minor;
    if (!parseUint(dev[0], 64, major) || !parseUint(dev[1], 64, minor))
      return parseFail(f, d.file("io.stat"), printable(w[0]) + " is not major:minor");
    for (size_t i = 1; i < w.size(); i++) {
      std::vector<std::string> kv = splitN(w[i], '=', SIZE_MAX);
      if (kv.size() != 2) continue;
      BlkioTable table;
      std::string op;
      if (kv[0] == "rbytes") table = kServiceBytes, op = "Read";
      else if (kv[0] == "wbytes") table = kServiceBytes, op = "Write";
      else if (kv[0] == "rios") table = kServiced, op = "Read";
      else if (kv[0] == "wios") table = kServiced, op = "Write";
      else continue;
      BlkioEntry e{major, minor, op, 0};
      if (!parseUint(kv[1], 64, e.value)) return parseFail(f, d.file("io.stat"), printable(w[i]) + " is not a counter");
      parsed.blkio[table].push_back(e);
    }
  }
  for (int t = 0; t < kBlkioTables; t++) s.blkio[t] = parsed.blkio[t];
  return true;
}

bool v2Cpu(const Dir& d, CpuStats& s, Failure& f) {
  std::vector<std::pair<std::string, uint64_t>> kv;
  if (!d.keyValues("cpu.stat", kv, f)) return false;
  for (const auto& p : kv) {
    if (p.first == "usage_usec") s.total = p.second * 1000;
    else if (p.first == "user_usec") s.user = p.second * 1000;
    else if (p.first == "system_usec") s.kernel = p.second * 1000;
    else if (p.first == "nr_periods") s.periods = p.second;
    else if (p.first == "nr_throttled") s.throttledPeriods = p.second;
    else if (p.first == "throttled_usec") s.throttledTime = p.second * 1000;
  }
  return true;
}

bool v2Hugetlb(const Dir& d, const std::string& hugepagesDir, Stats& s, Failure& f) {
  for (const auto& size : hugePageSizes(hugepagesDir)) {
    HugetlbStats h;
    std::string events;
    if (!d.paramUint("hugetlb." + size + ".current", h.usage, f) || !d.read("hugetlb." + size + ".events", events, f) ||
        !valueByKey(d.file("hugetlb." + size + ".events"), events, "max", h.failcnt, f))
      return false;
    s.hugetlb[size] = h;
  }
  return true;
}

bool v2Stats(const StatsSources& src, Stats& s, Failure& f) {
  Dir d{src.unifiedDir};
  std::vector<std::string> problems;
  Failure first;
  auto step = [&](bool ok, bool missingIsFine) {
    if (ok || (missingIsFine && notExist(f))) return;
    if (problems.empty()) first = f;
    problems.push_back(f.message());
  };
  step(v2Pids(d, s, f), false);
  step(v2Memory(d, s.memory, f), true);
  step(v2Io(d, s, f), true);
  step(v2Cpu(d, s.cpu, f), true);
  step(v2Hugetlb(d, src.hugepagesDir, s, f), true);
  if (problems.empty()) return true;
  f = first;
  for (size_t i = 1; i < problems.size(); i++) f.detail += (f.detail.empty() ? "" : "; ") + problems[i];
  return false;
}

// ---------------------------------------------------------------------------
// runc's JSON: encoding/json of types.Stats, field by field. "omitempty"
// leaves out a zero number, an empty list or map; a struct is always
// written.

class Obj {
 public:
  explicit Obj(std::string& out) : out_(out) { out_ += '{'; }
  void key(const char* k) {
    if (!first_) out_ += ',';
    first_ = false;
    json::writeString(k, out_);
    out_ += ':';
  }
  void u64(const char* k, uint64_t v, bool omitEmpty) {
    if (omitEmpty && v == 0) return;
    key(k);
    out_ += std::to_string(v);
  }
  template <typename T>
  void list(const char* k, const std::vector<T>& v) {  // always omitempty here
    if (v.empty()) return;
    key(k);
    out_ += '[';
    for (size_t i = 0; i < v.size(); i++) out_ += (i ? "," : "") + std::to_string(v[i]);
    out_ += ']';
  }
  void raw(const char* k, const std::string& text) {
    key(k);
    out_ += text;
  }
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

std::string renderMemoryEntry(const MemoryEntry& e) {
  std::string out;
  Obj o(out);
  o.u64("limit", e.limit, false);
  o.u64("usage", e.usage, true);
  o.u64("max", e.max, true);
  o.u64("failcnt", e.failcnt, false);
  o.close();
  return out;
}

std::string renderCpu(const CpuStats& c) {
  std::string usage, throttling, out;
  Obj u(usage);
  u.u64("total", c.total, true);
  u.list("percpu", c.percpu);
  u.list("percpu_kernel", c.percpuKernel);
  u.list("percpu_user", c.percpuUser);
  u.u64("kernel", c.kernel, false);
  u.u64("user", c.user, false);
  u.close();
  Obj t(throttling);
  t.u64("periods", c.periods, true);
  t.u64("throttledPeriods", c.throttledPeriods, true);
  t.u64("throttledTime", c.throttledTime, true);
  t.close();
  Obj o(out);
  o.raw("usage", usage);
  o.raw("throttling", throttling);
  o.close();
  return out;
}

std::string renderCpuset(const CpusetStats& c) {
  std::string out;
  Obj o(out);
  o.list("cpus", c.cpus);
  o.u64("cpu_exclusive", c.cpuExclusive, false);
  o.list("mems", c.mems);
  o.u64("mem_hardwall", c.memHardwall, false);
  o.u64("mem_exclusive", c.memExclusive, false);
  o.u64("memory_migrate", c.memoryMigrate, false);
  o.u64("memory_spread_page", c.memorySpreadPage, false);
  o.u64("memory_spread_slab", c.memorySpreadSlab, false);
  o.u64("memory_pressure", c.memoryPressure, false);
  o.u64("sched_load_balance", c.schedLoadBalance, false);
  o.raw("sched_relax_domain_level", std::to_string(c.schedRelaxDomainLevel));
  o.close();
  return out;
}

std::string renderMemory(const MemoryStats& m) {
  std::string out;
  Obj o(out);
  o.u64("cache", m.cache, true);
  o.raw("usage", renderMemoryEntry(m.usage));
  o.raw("swap", renderMemoryEntry(m.swap));
  o.raw("kernel", renderMemoryEntry(m.kernel));
  o.raw("kernelTCP", renderMemoryEntry(m.kernelTCP));
  if (!m.raw.empty()) {
    std::string raw;
    Obj r(raw);
    for (const auto& p : m.raw) {
      r.key(p.first.c_str());
      raw += std::to_string(p.second);
    }
    r.close();
    o.raw("raw", raw);
  }
  o.close();
  return out;
}

std::string renderBlkio(const Stats& s) {
  std::string out;
  Obj o(out);
  for (int t = 0; t < kBlkioTables; t++) {
    if (s.blkio[t].empty()) continue;
    std::string list = "[";
    for (size_t i = 0; i < s.blkio[t].size(); i++) {
      const BlkioEntry& e = s.blkio[t][i];
      if (i) list += ',';
      Obj entry(list);
      entry.u64("major", e.major, true);
      entry.u64("minor", e.minor, true);
      if (!e.op.empty()) {
        entry.key("op");
        json::writeString(e.op, list);
      }
      entry.u64("value", e.value, true);
      entry.close();
    }
    list += ']';
    o.raw(kBlkioNames[t], list);
  }
  o.close();
  return out;
}

std::string renderHugetlb(const std::map<std::string, HugetlbStats>& h) {
  std::string out;
  Obj o(out);
  for (const auto& p : h) {
    std::string entry;
    Obj e(entry);
    e.u64("usage", p.second.usage, true);
    e.u64("max", p.second.max, true);
    e.u64("failcnt", p.second.failcnt, false);
    e.close();
    o.raw(p.first.c_str(), entry);
  }
  o.close();
  return out;
}

std::string renderStats(const Stats& s) {
  std::string pids, out;
  Obj p(pids);
  p.u64("current", s.pidsCurrent, true);
  p.u64("limit", s.pidsLimit, true);
  p.close();
  Obj o(out);
  o.raw("cpu", renderCpu(s.cpu));
  o.raw("cpuset", renderCpuset(s.cpuset));
  o.raw("memory", renderMemory(s.memory));
  o.raw("pids", pids);
  o.raw("blkio", renderBlkio(s));
  o.raw("hugetlb", renderHugetlb(s.hugetlb));
  // Intel RDT is not a cgroup (runts does not set it up): runc writes an
  // empty object for a container without it, and null for the network
  // interfaces of a container whose network it did not configure.
  o.raw("intel_rdt", "{}");
  o.raw("network_interfaces", "null");
  o.close();
  return out;
}

bool hasPrefixDir(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

}  // namespace

std::string StatsSources::dirOf(const std::string& controller) const {
  for (const auto& c : controllers)
    if (c.first == controller) return c.second;
  return "";
}

StatsSources statsSourcesOf(const CgroupLayout& layout, const std::vector<CgroupDir>& cgroups) {
  StatsSources s;
  s.unified = layout.mode == "v2";
  for (const auto& d : cgroups) {
    const CgroupMount* best = nullptr;
    for (const auto& m : layout.mounts)
      if (hasPrefixDir(d.path, m.mountPoint) && (!best || m.mountPoint.size() > best->mountPoint.size())) best = &m;
    if (!best) continue;
    if (best->version == 2) {
      if (s.unifiedDir.empty()) s.unifiedDir = d.path;
      continue;
    }
    for (const auto& name : splitN(best->name, ',', SIZE_MAX))
      if (!name.empty() && name.rfind("name=", 0) != 0 && s.dirOf(name).empty()) s.controllers.emplace_back(name, d.path);
  }
  return s;
}

bool readStatsJson(const StatsSources& sources, std::string& out, Failure& f) {
  Stats s;
  if (sources.unified ? !v2Stats(sources, s, f) : !v1Stats(sources, s, f)) return false;
  out = renderStats(s);
  return true;
}

bool cgroupValueByKey(const std::string& file, const std::string& key, uint64_t& value, Failure& f) {
  std::string text;
  return readFile(file, text, f) && valueByKey(file, text, key, value, f);
}

}  // namespace runts
