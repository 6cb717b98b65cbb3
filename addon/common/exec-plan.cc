#include "exec-plan.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "capability-names.h"
#include "json.h"

namespace runts {

namespace {

using json::Type;
using json::Value;

// getrlimit(2) numbers (capability-names.h has capabilities(7)'s):
// src/plan/rlimits.ts holds the same table (the comparison test checks the
// plans, masks included).
const char* const kRlimits[] = {
    "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
    "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

struct NsType {
  const char* type;
  const char* proc;
  int flag;
};
const NsType kNamespaces[] = {
    {"mount", "mnt", 0x00020000}, {"cgroup", "cgroup", 0x02000000}, {"uts", "uts", 0x04000000},
    {"ipc", "ipc", 0x08000000},   {"user", "user", 0x10000000},     {"pid", "pid", 0x20000000},
    {"network", "net", 0x40000000}, {"time", "time", 0x00000080},
};

constexpr uint64_t kSafeInteger = (1ULL << 53) - 1;

template <size_t N>
int indexOf(const char* const (&table)[N], const std::string& name) {
  for (size_t i = 0; i < N; i++)
    if (name == table[i]) return static_cast<int>(i);
  return -1;
}

// An object whose members are all named in allowed, none twice (JSON.parse
// keeps the last of two, this reader the first: such a document goes to Node).
bool plainObject(const Value* v, std::initializer_list<const char*> allowed) {
  if (!v || !v->isObject()) return false;
  std::set<std::string> seen;
  for (const auto& [k, _] : v->members) {
    bool known = false;
    for (const char* a : allowed) known = known || k == a;
    if (!known || !seen.insert(k).second) return false;
  }
  return true;
}

// A JSON integer written as one: digits, an optional minus, no fraction or exponent.
bool integerText(const Value& v, bool& negative, uint64_t& magnitude) {
  if (!v.isNumber() || v.text.empty()) return false;
  const std::string& t = v.text;
  size_t i = t[0] == '-' ? 1 : 0;
  negative = i == 1;
  if (i >= t.size() || t.size() - i > 20) return false;
  magnitude = 0;
  for (; i < t.size(); i++) {
    if (t[i] < '0' || t[i] > '9') return false;
    uint64_t next = magnitude * 10 + static_cast<uint64_t>(t[i] - '0');
    if (next / 10 != magnitude) return false;
    magnitude = next;
  }
  return true;
}

// An integer in [lo, hi] that JSON.parse reads exactly.
bool smallInt(const Value* v, int64_t lo, int64_t hi, int64_t& out) {
  bool neg = false;
  uint64_t mag = 0;
  if (!v || !integerText(*v, neg, mag) || mag > kSafeInteger) return false;
  out = neg ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag);
  return out >= lo && out <= hi;
}

// A uint64 as the TypeScript planner reads it: JSON.parse makes a double
// (exact up to 2^53, rounded above), uint64String clamps it to 2^64-1
// (RLIM_INFINITY, which JSON.stringify writes back as 18446744073709552000).
// strtod rounds as JSON.parse does, so both sides get the same value.
bool uint64Value(const Value* v, uint64_t& out) {
  if (!v || !v->isNumber() || v->text.empty() || v->text.size() > 400) return false;
  const std::string& t = v->text;
  if (t.find_first_not_of("0123456789") != std::string::npos) return false;
  bool neg = false;
  if (integerText(*v, neg, out) && out <= kSafeInteger) return true;
  double d = strtod(t.c_str(), nullptr);
  out = d >= 18446744073709551616.0 ? UINT64_MAX : static_cast<uint64_t>(d);
  return true;
}

bool stringList(const Value* v, std::vector<std::string>& out) {
  if (!v || !v->isArray()) return false;
  for (const auto& item : v->items) {
    // A NUL byte is refused on the TypeScript side (src/config/hostile.ts).
    if (!item.isString() || item.text.find('\0') != std::string::npos) return false;
    out.push_back(item.text);
  }
  return true;
}

struct SimpleProcess {
  bool terminal = false;
  bool hasConsoleSize = false;
  int64_t rows = 0, cols = 0;
  std::string cwd;
  std::vector<std::string> env, args;
  bool hasUser = false;
  int64_t uid = 0, gid = 0;
  std::vector<int64_t> gids;
  bool hasUmask = false;
  int64_t umask = 0;
  bool hasCaps = false;
  uint64_t caps[5] = {};  // bounding, effective, permitted, inheritable, ambient
  bool noNewPrivileges = false;
  bool hasRlimits = false;
  struct Rlimit {
    std::string name;
    int resource;
    uint64_t soft, hard;
  };
  std::vector<Rlimit> rlimits;
  bool hasOom = false;
  int64_t oom = 0;
};

bool readCaps(const Value* v, SimpleProcess& p) {
  static const char* const sets[] = {"bounding", "effective", "permitted", "inheritable", "ambient"};
  if (!plainObject(v, {"bounding", "effective", "permitted", "inheritable", "ambient"})) return false;
  p.hasCaps = true;
  for (int s = 0; s < 5; s++) {
    const Value* list = v->get(sets[s]);
    if (!list) continue;
    std::vector<std::string> names;
    if (!stringList(list, names)) return false;
    for (const auto& n : names) {
      // Unknown names are a warning on the TypeScript side.
      int cap = indexOf(kCapabilityNames, n);
      if (cap < 0) return false;
      p.caps[s] |= 1ULL << cap;
    }
  }
  return true;
}

bool readRlimits(const Value* v, SimpleProcess& p) {
  if (!v->isArray()) return false;
  p.hasRlimits = true;
  std::set<std::string> seen;
  for (const auto& item : v->items) {
    if (!plainObject(&item, {"type", "soft", "hard"})) return false;
    const Value* type = item.get("type");
    SimpleProcess::Rlimit r;
    if (!type || !type->isString() || !uint64Value(item.get("soft"), r.soft) || !uint64Value(item.get("hard"), r.hard))
      return false;
    r.name = type->text;
    r.resource = indexOf(kRlimits, r.name);
    if (r.resource < 0 || r.soft > r.hard || !seen.insert(r.name).second) return false;
    p.rlimits.push_back(r);
  }
  return true;
}

bool readUser(const Value* v, SimpleProcess& p) {
  if (!plainObject(v, {"uid", "gid", "additionalGids", "umask"})) return false;
  p.hasUser = true;
  if (!smallInt(v->get("uid"), 0, 0xffffffffLL, p.uid) || !smallInt(v->get("gid"), 0, 0xffffffffLL, p.gid)) return false;
  if (const Value* g = v->get("additionalGids")) {
    if (!g->isArray()) return false;
    for (const auto& item : g->items) {
      int64_t gid = 0;
      if (!smallInt(&item, 0, 0xffffffffLL, gid)) return false;
      p.gids.push_back(gid);
    }
  }
  if (const Value* u = v->get("umask")) {
    p.hasUmask = true;
    if (!smallInt(u, 0, 0xffffffffLL, p.umask)) return false;
  }
  return true;
}

// The subset: what engines put in a process object. A label, scheduler, I/O
// priority, CPU affinity or anything else goes to Node.
bool readProcess(const Value* v, SimpleProcess& p) {
  if (!plainObject(v, {"terminal", "consoleSize", "cwd", "env", "args", "user", "capabilities", "noNewPrivileges",
                       "rlimits", "oomScoreAdj", "apparmorProfile", "selinuxLabel"}))
    return false;
  for (const char* label : {"apparmorProfile", "selinuxLabel"}) {
    const Value* l = v->get(label);
    if (l && (!l->isString() || !l->text.empty())) return false;
  }
  if (const Value* t = v->get("terminal")) {
    if (t->type != Type::Bool) return false;
    p.terminal = t->boolean;
  }
  if (const Value* c = v->get("consoleSize")) {
    if (!plainObject(c, {"height", "width"}) || !smallInt(c->get("height"), 0, 65535, p.rows) ||
        !smallInt(c->get("width"), 0, 65535, p.cols))
      return false;
    p.hasConsoleSize = true;
  }
  const Value* cwd = v->get("cwd");
  if (!cwd || !cwd->isString() || cwd->text.empty() || cwd->text[0] != '/' || cwd->text.find('\0') != std::string::npos)
    return false;
  p.cwd = cwd->text;
  if (const Value* e = v->get("env")) {
    if (!stringList(e, p.env)) return false;
    for (const auto& s : p.env)
      if (s.find('=') == std::string::npos) return false;
  }
  if (!stringList(v->get("args"), p.args) || p.args.empty()) return false;
  if (const Value* u = v->get("user"); u && !readUser(u, p)) return false;
  if (const Value* c = v->get("capabilities"); c && !readCaps(c, p)) return false;
  if (const Value* n = v->get("noNewPrivileges")) {
    if (n->type != Type::Bool) return false;
    p.noNewPrivileges = n->boolean;
  }
  if (const Value* r = v->get("rlimits"); r && !readRlimits(r, p)) return false;
  if (const Value* o = v->get("oomScoreAdj")) {
    p.hasOom = true;
    if (!smallInt(o, -1000, 1000, p.oom)) return false;
  }
  return true;
}

// exec.json as create writes it (src/plan/exec-record.ts), every field checked.
struct Record {
  std::vector<std::string> namespaces;
  const Value* seccomp = nullptr;
  const Value* personality = nullptr;
  const Value* memoryPolicy = nullptr;
  bool newKeyring = true;
  const Value* process = nullptr;
};

bool isIntValue(const Value* v) {
  int64_t n = 0;
  return smallInt(v, INT32_MIN, INT64_MAX >> 11, n);
}

bool readRecord(const Value& doc, const std::string& id, Record& r) {
  if (!plainObject(&doc, {"version", "id", "process", "namespaces", "seccomp", "seccompListenerPath", "seccompListenerMetadata",
                          "personality", "memoryPolicy", "newKeyring", "ociVersion", "bundle", "annotations"}) ||
      doc.members.size() != 13)
    return false;
  int64_t version = 0;
  const Value* rid = doc.get("id");
  if (!smallInt(doc.get("version"), 1, 1, version) || !rid->isString() || rid->text != id) return false;
  if (!stringList(doc.get("namespaces"), r.namespaces)) return false;
  for (const auto& n : r.namespaces) {
    bool known = false;
    for (const auto& t : kNamespaces) known = known || n == t.type;
    if (!known) return false;
  }
  // SCMP_ACT_NOTIFY (a listener for the agent) goes to Node.
  if (!doc.get("seccompListenerPath")->isNull() || !doc.get("seccompListenerMetadata")->isString()) return false;
  r.seccomp = doc.get("seccomp");
  if (!r.seccomp->isNull()) {
    const Value* s = r.seccomp;
    if (!plainObject(s, {"program", "flags", "notify", "beforeCredentials"}) || s->members.size() != 4 ||
        !s->get("program")->isString() || !isIntValue(s->get("flags")) || s->get("notify")->type != Type::Bool ||
        s->get("notify")->boolean || s->get("beforeCredentials")->type != Type::Bool)
      return false;
  }
  r.personality = doc.get("personality");
  if (!r.personality->isNull() &&
      (!plainObject(r.personality, {"persona", "domain"}) || r.personality->members.size() != 2 ||
       !isIntValue(r.personality->get("persona")) || !r.personality->get("domain")->isString()))
    return false;
  r.memoryPolicy = doc.get("memoryPolicy");
  if (!r.memoryPolicy->isNull()) {
    const Value* m = r.memoryPolicy;
    std::vector<std::string> words;
    if (!plainObject(m, {"mode", "name", "nodes"}) || m->members.size() != 3 || !isIntValue(m->get("mode")) ||
        !m->get("name")->isString() || !stringList(m->get("nodes"), words))
      return false;
    for (const auto& w : words)
      if (w.empty() || w.size() > 20 || w.find_first_not_of("0123456789") != std::string::npos) return false;
  }
  const Value* keyring = doc.get("newKeyring");
  if (keyring->type != Type::Bool) return false;
  r.newKeyring = keyring->boolean;
  if (!doc.get("ociVersion")->isString() || !doc.get("bundle")->isString()) return false;
  const Value* annotations = doc.get("annotations");
  if (!annotations->isObject()) return false;
  for (const auto& [k, v] : annotations->members)
    if (!v.isString()) return false;
  r.process = doc.get("process");
  return true;
}

Value boolean(bool b) {
  Value v;
  v.type = Type::Bool;
  v.boolean = b;
  return v;
}

Value array() {
  Value v;
  v.type = Type::Array;
  return v;
}

Value strings(const std::vector<std::string>& list) {
  Value v = array();
  for (const auto& s : list) v.items.push_back(Value::makeString(s));
  return v;
}

Value number(int64_t n) { return Value::makeNumber(n); }
Value decimal(uint64_t n) { return Value::makeString(std::to_string(n)); }

Value joins(const std::vector<std::string>& types, pid_t pid) {
  // User first, then the config's order (src/plan/exec.ts execJoins); each type once.
  std::vector<const NsType*> order;
  for (const auto& t : types)
    for (const auto& ns : kNamespaces)
      if (t == ns.type && std::find(order.begin(), order.end(), &ns) == order.end()) order.push_back(&ns);
  std::stable_sort(order.begin(), order.end(),
                   [](const NsType* a, const NsType* b) { return (a->flag == 0x10000000) > (b->flag == 0x10000000); });
  Value out = array();
  for (const NsType* ns : order) {
    Value j = Value::makeObject();
    j.set("flag", number(ns->flag));
    j.set("path", Value::makeString("/proc/" + std::to_string(pid) + "/ns/" + ns->proc));
    out.items.push_back(std::move(j));
  }
  return out;
}

Value planProcess(const SimpleProcess& p, const SimpleProcess& base, const Record& r, int preserveFds,
                  const char* listenFds, NativeExecPlan& out) {
  std::vector<std::string> env = p.env;
  // LISTEN_FDS as the TypeScript side reads it: a positive integer.
  if (listenFds && *listenFds && strspn(listenFds, "0123456789") == strlen(listenFds) && strlen(listenFds) < 10) {
    long n = strtol(listenFds, nullptr, 10);
    if (n > 0) {
      preserveFds += static_cast<int>(n);
      env.push_back("LISTEN_FDS=" + std::to_string(n));
      env.push_back("LISTEN_PID=1");
    }
  }
  std::string pathEnv;
  for (auto it = env.rbegin(); it != env.rend(); ++it)
    if (it->compare(0, 5, "PATH=") == 0) {
      pathEnv = it->substr(5);
      break;
    }
  const SimpleProcess& capsFrom = p.hasCaps ? p : base;
  const SimpleProcess& limitsFrom = p.hasRlimits && !p.rlimits.empty() ? p : base;
  Value v = Value::makeObject();
  v.set("args", strings(p.args));
  v.set("env", strings(env));
  v.set("cwd", Value::makeString(p.cwd));
  v.set("path", Value::makeString(pathEnv));
  v.set("uid", number(p.uid));
  v.set("gid", number(p.gid));
  Value gids = array();
  for (int64_t g : p.gids) gids.items.push_back(number(g));
  v.set("additionalGids", gids);
  v.set("setGroups", boolean(true));
  v.set("umask", p.hasUmask ? number(p.umask) : Value());
  Value limits = array();
  for (const auto& l : limitsFrom.rlimits) {
    Value o = Value::makeObject();
    o.set("name", Value::makeString(l.name));
    o.set("resource", number(l.resource));
    o.set("soft", decimal(l.soft));
    o.set("hard", decimal(l.hard));
    limits.items.push_back(std::move(o));
  }
  v.set("rlimits", limits);
  Value caps = Value::makeObject();
  const char* names[] = {"bounding", "effective", "permitted", "inheritable", "ambient"};
  for (int s = 0; s < 5; s++) {
    caps.set(names[s], decimal(capsFrom.caps[s]));
    out.requestedCaps |= capsFrom.caps[s];
  }
  out.ambientGrantable = (capsFrom.caps[4] & ~(capsFrom.caps[2] & capsFrom.caps[3])) == 0;
  v.set("capabilities", caps);
  v.set("noNewPrivileges", boolean(p.noNewPrivileges));
  v.set("oomScoreAdj", base.hasOom ? number(base.oom) : Value());
  v.set("terminal", boolean(p.terminal));
  Value size;
  if (p.terminal && p.hasConsoleSize) {
    size = Value::makeObject();
    size.set("rows", number(p.rows));
    size.set("cols", number(p.cols));
  }
  v.set("consoleSize", size);
  v.set("preserveFds", number(preserveFds));
  v.set("newKeyring", boolean(r.newKeyring));
  v.set("scheduler", Value());
  v.set("ioPriority", Value());
  Value affinity = Value::makeObject();
  affinity.set("resetToAll", boolean(true));
  affinity.set("initial", Value());
  affinity.set("final", Value());
  v.set("cpuAffinity", affinity);
  Value lsm = Value::makeObject();
  lsm.set("apparmorProfile", Value());
  lsm.set("selinuxLabel", Value());
  v.set("lsm", lsm);
  out.preserveFds = preserveFds;
  out.terminal = p.terminal;
  return v;
}

}  // namespace

bool planNativeExec(const std::string& id, const std::string& recordText, const std::string& processText, pid_t pid,
                    uint64_t startTime, int preserveFds, const char* listenFds, NativeExecPlan& out) {
  Value recordDoc, processDoc;
  std::string err;
  if (!json::parse(recordText, recordDoc, err) || !json::parse(processText, processDoc, err)) return false;
  Record r;
  SimpleProcess base, p;
  if (!readRecord(recordDoc, id, r) || !readProcess(r.process, base) || !readProcess(&processDoc, p)) return false;
  Value plan = Value::makeObject();
  plan.set("version", number(1));
  plan.set("id", Value::makeString(id));
  plan.set("cloneFlags", number(0));
  plan.set("joins", joins(r.namespaces, pid));
  plan.set("timeOffsets", Value::makeString(""));
  plan.set("rootfs", Value());
  plan.set("mounts", array());
  plan.set("setupDev", boolean(false));
  plan.set("devices", array());
  plan.set("maskedPaths", array());
  plan.set("readonlyPaths", array());
  plan.set("sysctls", array());
  plan.set("hostname", Value());
  plan.set("domainname", Value());
  plan.set("forceSafeWalk", boolean(false));
  plan.set("personality", *r.personality);
  plan.set("memoryPolicy", *r.memoryPolicy);
  plan.set("mountLabel", Value());
  plan.set("process", planProcess(p, base, r, preserveFds, listenFds, out));
  Value seccomp = *r.seccomp;
  // Without no_new_privs the filter is loaded before the credential switch.
  if (!seccomp.isNull()) seccomp.set("beforeCredentials", boolean(!p.noNewPrivileges));
  plan.set("seccomp", seccomp);
  // Hooks are the container's lifecycle's, never an exec's.
  plan.set("hooks", Value());
  Value exec = Value::makeObject();
  exec.set("pid", number(pid));
  exec.set("startTime", decimal(startTime));
  plan.set("exec", exec);
  json::write(plan, out.planJson);
  return true;
}

}  // namespace runts
