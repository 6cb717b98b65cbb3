#include "plan.h"

#include <sys/stat.h>

#include "../common/strict-reader.h"

// The reader of the contract in src/plan/contract.ts: one function per
// object of it, each taking every field and refusing any other.

namespace runts::init {

namespace {

using json::ObjectReader;
using json::Value;

constexpr const char* kWhat = "launch plan";

// Reads each item of an array member with read(item, itemPath).
template <typename Fn>
bool eachItem(ObjectReader& r, const char* key, Fn read) {
  const Value* list = nullptr;
  if (!r.array(key, list)) return false;
  std::string path = r.pathOf(key);
  for (size_t i = 0; i < list->items.size(); i++)
    if (!read(list->items[i], ObjectReader::itemPath(path, i))) return false;
  return true;
}

// One path component, never "." or "..": an entry made inside a tmpfs by name.
bool isFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

bool readCgroupPart(const Value& v, const std::string& path, CgroupPart& out, Failure& f) {
  ObjectReader r(v, kWhat, path, f);
  if (!r.str("name", out.name) || !r.str("type", out.type) || !r.str("source", out.source) || !r.str("data", out.data) ||
      !r.finish())
    return false;
  if (out.type != "bind" && out.type != "cgroup" && out.type != "cgroup2")
    return plainFail(f, std::string(kWhat) + ": field " + path + ".type has unknown value \"" + out.type + "\"");
  if (!isFileName(out.name))
    return plainFail(f, std::string(kWhat) + ": field " + path + ".name \"" + out.name + "\" is not a file name");
  return true;
}

bool readCgroupLink(const Value& v, const std::string& path, CgroupLink& out, Failure& f) {
  ObjectReader r(v, kWhat, path, f);
  if (!r.str("name", out.name) || !r.str("target", out.target) || !r.finish()) return false;
  if (!isFileName(out.name))
    return plainFail(f, std::string(kWhat) + ": field " + path + ".name \"" + out.name + "\" is not a file name");
  return true;
}

bool readMountKind(ObjectReader& r, Mount& out, Failure& f) {
  std::string kind;
  if (!r.str("kind", kind)) return false;
  if (kind == "bind") out.kind = MountKind::Bind;
  else if (kind == "fs") out.kind = MountKind::Filesystem;
  else if (kind == "cgroup1") out.kind = MountKind::CgroupV1;
  else return plainFail(f, std::string(kWhat) + ": field " + r.pathOf("kind") + " has unknown value \"" + kind + "\"");
  return true;
}

bool readMount(const Value& v, const std::string& path, Mount& out, Failure& f) {
  ObjectReader r(v, kWhat, path, f);
  bool ok = readMountKind(r, out, f) && r.str("destination", out.destination) && r.str("source", out.source) &&
            r.str("type", out.type) && r.integer("flags", out.flags) && r.str("data", out.data) &&
            r.boolean("remount", out.remount) && r.integer("remountFlags", out.remountFlags) &&
            eachItem(r, "propagation",
                     [&](const Value& item, const std::string& p) {
                       int64_t n = 0;
                       if (!item.isNumber() || (n = item.asI64(-1)) < 0)
                         return plainFail(f, std::string(kWhat) + ": field " + p + " must be a mount flag");
                       out.propagation.push_back(static_cast<unsigned long>(n));
                       return true;
                     }) &&
            r.integer("recAttrSet", out.recAttrSet) && r.integer("recAttrClr", out.recAttrClr) &&
            r.boolean("sourceIsDir", out.sourceIsDir) && r.boolean("mayCoverProcfs", out.mayCoverProcfs) &&
            r.boolean("needsPlainDirectory", out.needsPlainDirectory) && r.boolean("copyUp", out.copyUp) &&
            eachItem(r, "cgroupParts",
                     [&](const Value& item, const std::string& p) {
                       out.cgroupParts.emplace_back();
                       return readCgroupPart(item, p, out.cgroupParts.back(), f);
                     }) &&
            eachItem(r, "cgroupLinks",
                     [&](const Value& item, const std::string& p) {
                       out.cgroupLinks.emplace_back();
                       return readCgroupLink(item, p, out.cgroupLinks.back(), f);
                     }) &&
            r.finish();
  if (!ok) return false;
  if (out.destination.empty() || out.destination[0] != '/')
    return plainFail(f, std::string(kWhat) + ": mount destination \"" + out.destination + "\" is not absolute");
  return true;
}

bool readDevice(const Value& v, const std::string& path, Device& out, Failure& f) {
  ObjectReader r(v, kWhat, path, f);
  std::string type;
  if (!r.str("path", out.path) || !r.str("type", type)) return false;
  if (type == "c" || type == "u") out.type = S_IFCHR;
  else if (type == "b") out.type = S_IFBLK;
  else if (type == "p") out.type = S_IFIFO;
  else return plainFail(f, std::string(kWhat) + ": device " + out.path + " has unknown type \"" + type + "\"");
  return r.integer("major", out.major) && r.integer("minor", out.minor) && r.integer("mode", out.mode) &&
         r.integer("uid", out.uid) && r.integer("gid", out.gid) && r.finish();
}

bool readRlimit(const Value& v, const std::string& path, Rlimit& out, Failure& f) {
  ObjectReader r(v, kWhat, path, f);
  return r.str("name", out.name) && r.integer("resource", out.resource) && r.u64String("soft", out.soft) &&
         r.u64String("hard", out.hard) && r.finish();
}

bool readCapabilities(ObjectReader& parent, Capabilities& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("capabilities", v)) return false;
  ObjectReader r(*v, kWhat, parent.pathOf("capabilities"), f);
  out.set = true;
  return r.u64String("bounding", out.bounding) && r.u64String("effective", out.effective) &&
         r.u64String("permitted", out.permitted) && r.u64String("inheritable", out.inheritable) &&
         r.u64String("ambient", out.ambient) && r.finish();
}

bool readConsoleSize(ObjectReader& parent, Process& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("consoleSize", v, true)) return false;
  if (!v) return true;
  ObjectReader r(*v, kWhat, parent.pathOf("consoleSize"), f);
  return r.integer("rows", out.consoleRows) && r.integer("cols", out.consoleCols) && r.finish();
}

// A list of 64-bit mask words carried as decimal strings.
bool readWords(const Value& list, const std::string& path, std::vector<uint64_t>& out, Failure& f) {
  if (!list.isArray()) return plainFail(f, std::string(kWhat) + ": field " + path + " must be an array");
  for (size_t i = 0; i < list.items.size(); i++) {
    const Value& w = list.items[i];
    if (!w.isString() || w.text.empty() || w.text.find_first_not_of("0123456789") != std::string::npos)
      return plainFail(f, std::string(kWhat) + ": field " + ObjectReader::itemPath(path, i) + " must be a decimal string");
    out.push_back(w.asU64());
  }
  return true;
}

// The process attributes sched.cc sets: null leaves the runtime's value.
bool readScheduler(ObjectReader& parent, Scheduler& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("scheduler", v, true)) return false;
  if (!v) return true;
  ObjectReader r(*v, kWhat, parent.pathOf("scheduler"), f);
  out.set = true;
  return r.integer("policy", out.policy) && r.str("name", out.name) && r.integer("nice", out.nice) &&
         r.integer("priority", out.priority) && r.u64String("flags", out.flags) && r.u64String("runtime", out.runtime) &&
         r.u64String("deadline", out.deadline) && r.u64String("period", out.period) && r.finish();
}

bool readIoPriority(ObjectReader& parent, IoPriority& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("ioPriority", v, true)) return false;
  if (!v) return true;
  ObjectReader r(*v, kWhat, parent.pathOf("ioPriority"), f);
  std::string cls;
  int64_t priority = 0;
  out.set = true;
  if (!r.integer("value", out.value) || !r.str("class", cls) || !r.i64("priority", priority) || !r.finish()) return false;
  out.name = cls + " " + std::to_string(priority);
  return true;
}

bool readCpuAffinity(ObjectReader& parent, CpuAffinity& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("cpuAffinity", v)) return false;
  ObjectReader r(*v, kWhat, parent.pathOf("cpuAffinity"), f);
  const Value* initial = nullptr;
  const Value* final = nullptr;
  if (!r.boolean("resetToAll", out.resetToAll) || !r.member("initial", initial) || !r.member("final", final) ||
      !r.finish())
    return false;
  return (initial->isNull() || readWords(*initial, r.pathOf("initial"), out.initial, f)) &&
         (final->isNull() || readWords(*final, r.pathOf("final"), out.final, f));
}

bool readPersonality(ObjectReader& parent, Personality& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("personality", v, true)) return false;
  if (!v) return true;
  ObjectReader r(*v, kWhat, "personality", f);
  out.set = true;
  return r.integer("persona", out.persona) && r.str("domain", out.domain) && r.finish();
}

bool readMemoryPolicy(ObjectReader& parent, MemoryPolicy& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("memoryPolicy", v, true)) return false;
  if (!v) return true;
  ObjectReader r(*v, kWhat, "memoryPolicy", f);
  const Value* nodes = nullptr;
  out.set = true;
  return r.integer("mode", out.mode) && r.str("name", out.name) && r.array("nodes", nodes) &&
         readWords(*nodes, r.pathOf("nodes"), out.nodes, f) && r.finish();
}

// plan.process.lsm: each label a string or null (none).
bool readProcessLsm(ObjectReader& parent, ProcessLsm& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("lsm", v)) return false;
  ObjectReader r(*v, kWhat, parent.pathOf("lsm"), f);
  bool hasProfile = false, hasLabel = false;
  return r.nullableStr("apparmorProfile", hasProfile, out.apparmorProfile) &&
         r.nullableStr("selinuxLabel", hasLabel, out.selinuxLabel) && r.finish();
}

// plan.mountLabel: null when the config has none.
bool readMountLabel(ObjectReader& parent, MountLabel& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("mountLabel", v, true)) return false;
  if (!v) return true;
  ObjectReader r(*v, kWhat, "mountLabel", f);
  if (!r.str("label", out.label) || !r.strings("xattrDestinations", out.xattrDestinations) || !r.finish()) return false;
  for (const auto& d : out.xattrDestinations)
    if (d.empty() || d[0] != '/') return plainFail(f, "launch plan: mountLabel destination \"" + d + "\" is not absolute");
  return true;
}

bool readProcess(const Value& v, const std::string& path, Process& out, Failure& f) {
  ObjectReader r(v, kWhat, path, f);
  int64_t umask = 0, oom = 0;
  bool hasUmask = false;
  bool ok = r.strings("args", out.args) && r.strings("env", out.env) && r.str("cwd", out.cwd) &&
            r.str("path", out.pathEnv) && r.integer("uid", out.uid) && r.integer("gid", out.gid) &&
            eachItem(r, "additionalGids",
                     [&](const Value& item, const std::string& p) {
                       int64_t g = item.isNumber() ? item.asI64(-1) : -1;
                       if (g < 0 || g > 0xffffffffLL)
                         return plainFail(f, std::string(kWhat) + ": field " + p + " must be a gid");
                       out.additionalGids.push_back(static_cast<gid_t>(g));
                       return true;
                     }) &&
            r.boolean("setGroups", out.setGroups) && r.nullableInt("umask", hasUmask, umask) &&
            eachItem(r, "rlimits",
                     [&](const Value& item, const std::string& p) {
                       out.rlimits.emplace_back();
                       return readRlimit(item, p, out.rlimits.back(), f);
                     }) &&
            readCapabilities(r, out.caps, f) && r.boolean("noNewPrivileges", out.noNewPrivileges) &&
            r.nullableInt("oomScoreAdj", out.hasOomScoreAdj, oom) && r.boolean("terminal", out.terminal) &&
            readConsoleSize(r, out, f) && r.integer("preserveFds", out.preserveFds) &&
            r.boolean("newKeyring", out.newKeyring) && readScheduler(r, out.scheduler, f) &&
            readIoPriority(r, out.ioPriority, f) && readCpuAffinity(r, out.cpuAffinity, f) &&
            readProcessLsm(r, out.lsm, f) && r.finish();
  if (!ok) return false;
  out.umask = hasUmask ? static_cast<int>(umask & 07777) : -1;
  out.oomScoreAdj = static_cast<int>(oom);
  if (out.args.empty()) return plainFail(f, std::string(kWhat) + ": process.args is empty");
  return true;
}

bool readRootfs(ObjectReader& parent, Plan& plan, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("rootfs", v, true)) return false;
  plan.setupRootfs = v != nullptr;
  if (!v) return true;
  ObjectReader r(*v, kWhat, "rootfs", f);
  return r.str("path", plan.rootfs) && r.boolean("noPivot", plan.noPivot) &&
         r.integer("propagation", plan.rootPropagation) && r.integer("rootfsPropagation", plan.rootfsPropagation) &&
         r.boolean("readonly", plan.rootReadonly) && r.finish();
}

bool readJoin(const Value& v, const std::string& path, NamespaceJoin& out, Failure& f) {
  ObjectReader r(v, kWhat, path, f);
  return r.integer("flag", out.flag) && r.str("path", out.path) && r.finish();
}

bool readSysctl(const Value& v, const std::string& path, Sysctl& out, Failure& f) {
  ObjectReader r(v, kWhat, path, f);
  return r.str("key", out.key) && r.str("path", out.path) && r.str("value", out.value) && r.finish();
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool decodeBase64(const std::string& in, std::string& out) {
  out.clear();
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = base64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

bool readSeccomp(ObjectReader& parent, Seccomp& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("seccomp", v, true)) return false;
  if (!v) return true;
  ObjectReader r(*v, kWhat, "seccomp", f);
  std::string program;
  if (!r.str("program", program) || !r.integer("flags", out.flags) || !r.boolean("notify", out.notify) ||
      !r.boolean("beforeCredentials", out.beforeCredentials) || !r.finish())
    return false;
  out.set = true;
  if (!decodeBase64(program, out.program)) return plainFail(f, "launch plan: seccomp.program is not base64");
  // struct sock_filter is 8 bytes; the kernel takes 1 to 4096 of them.
  if (out.program.empty() || out.program.size() % 8 != 0 || out.program.size() / 8 > 4096)
    return plainFail(f, "launch plan: seccomp.program is not a BPF program");
  return true;
}

bool readHook(const Value& v, const std::string& path, HookCommand& out, Failure& f) {
  ObjectReader r(v, kWhat, path, f);
  int64_t timeoutMs = 0;
  if (!r.str("kind", out.kind) || !r.integer("index", out.index) || !r.str("path", out.path) ||
      !r.strings("args", out.args) || !r.strings("env", out.env) || !r.i64("timeoutMs", timeoutMs) || !r.finish())
    return false;
  if (out.path.empty() || out.path[0] != '/')
    return plainFail(f, std::string(kWhat) + ": field " + path + ".path \"" + out.path + "\" is not absolute");
  if (timeoutMs < 0 || timeoutMs > 365LL * 24 * 3600 * 1000)
    return plainFail(f, std::string(kWhat) + ": field " + path + ".timeoutMs is out of range");
  out.timeoutMs = static_cast<int>(timeoutMs);
  return true;
}

bool readHooks(ObjectReader& parent, Hooks& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("hooks", v, true)) return false;
  if (!v) return true;
  ObjectReader r(*v, kWhat, "hooks", f);
  return r.strings("stops", out.stops) &&
         eachItem(r, "createContainer",
                  [&](const Value& item, const std::string& p) {
                    out.createContainer.emplace_back();
                    return readHook(item, p, out.createContainer.back(), f);
                  }) &&
         eachItem(r, "startContainer",
                  [&](const Value& item, const std::string& p) {
                    out.startContainer.emplace_back();
                    return readHook(item, p, out.startContainer.back(), f);
                  }) &&
         r.finish();
}

bool readExec(ObjectReader& parent, ExecTarget& out, Failure& f) {
  const Value* v = nullptr;
  if (!parent.object("exec", v, true)) return false;
  if (!v) return true;
  ObjectReader r(*v, kWhat, "exec", f);
  out.set = true;
  if (!r.integer("pid", out.pid) || !r.u64String("startTime", out.startTime) || !r.finish()) return false;
  if (out.pid <= 0) return plainFail(f, "launch plan: exec.pid must be a process id");
  return true;
}

}  // namespace

bool parsePlan(const json::Value& doc, Plan& plan, Failure& f) {
  ObjectReader r(doc, kWhat, "", f);
  int64_t version = 0;
  if (!r.i64("version", version)) return false;
  if (version != 1) return plainFail(f, "launch plan: unsupported version " + std::to_string(version));
  const Value* process = nullptr;
  return r.str("id", plan.id) && r.integer("cloneFlags", plan.cloneFlags) &&
         eachItem(r, "joins",
                  [&](const Value& item, const std::string& p) {
                    plan.joins.emplace_back();
                    return readJoin(item, p, plan.joins.back(), f);
                  }) &&
         r.str("timeOffsets", plan.timeOffsets) && readRootfs(r, plan, f) &&
         eachItem(r, "mounts",
                  [&](const Value& item, const std::string& p) {
                    plan.mounts.emplace_back();
                    return readMount(item, p, plan.mounts.back(), f);
                  }) &&
         r.boolean("setupDev", plan.setupDev) &&
         eachItem(r, "devices",
                  [&](const Value& item, const std::string& p) {
                    plan.devices.emplace_back();
                    return readDevice(item, p, plan.devices.back(), f);
                  }) &&
         r.strings("maskedPaths", plan.maskedPaths) && r.strings("readonlyPaths", plan.readonlyPaths) &&
         eachItem(r, "sysctls",
                  [&](const Value& item, const std::string& p) {
                    plan.sysctls.emplace_back();
                    return readSysctl(item, p, plan.sysctls.back(), f);
                  }) &&
         r.nullableStr("hostname", plan.hasHostname, plan.hostname) &&
         r.nullableStr("domainname", plan.hasDomainname, plan.domainname) &&
         r.boolean("forceSafeWalk", plan.forceSafeWalk) && r.object("process", process) &&
         readProcess(*process, "process", plan.process, f) && readSeccomp(r, plan.seccomp, f) && readPersonality(r, plan.personality, f) &&
         readMemoryPolicy(r, plan.memoryPolicy, f) && readMountLabel(r, plan.mountLabel, f) && readHooks(r, plan.hooks, f) && readExec(r, plan.exec, f) && r.finish();
}

}  // namespace runts::init
