#include "plan.h"

#include <sys/stat.h>

namespace runts::init {

namespace {

std::vector<std::string> strings(const json::Value* v) {
  std::vector<std::string> out;
  if (!v || !v->isArray()) return out;
  for (const auto& item : v->items)
    if (item.isString()) out.push_back(item.text);
  return out;
}

bool parseMount(const json::Value& m, Mount& out, Failure& f) {
  std::string kind = m.str("kind");
  if (kind == "bind") out.kind = MountKind::Bind;
  else if (kind == "fs") out.kind = MountKind::Filesystem;
  else if (kind == "cgroup1") out.kind = MountKind::CgroupV1;
  else if (kind == "cgroup2") out.kind = MountKind::CgroupV2;
  else return plainFail(f, "launch plan: unknown mount kind \"" + kind + "\"");
  out.destination = m.str("destination");
  out.source = m.str("source");
  out.type = m.str("type");
  out.flags = m.u64("flags");
  out.data = m.str("data");
  out.remount = m.flag("remount");
  out.remountFlags = m.u64("remountFlags");
  if (const json::Value* p = m.get("propagation"); p && p->isArray())
    for (const auto& item : p->items) out.propagation.push_back(item.asU64());
  out.recAttrSet = m.u64("recAttrSet");
  out.recAttrClr = m.u64("recAttrClr");
  out.sourceIsDir = m.flag("sourceIsDir", true);
  if (const json::Value* b = m.get("cgroupBinds"); b && b->isArray())
    for (const auto& item : b->items) out.cgroupBinds.push_back({item.str("source"), item.str("name")});
  if (const json::Value* l = m.get("cgroupLinks"); l && l->isArray())
    for (const auto& item : l->items) out.cgroupLinks.push_back({item.str("name"), item.str("target")});
  if (out.destination.empty() || out.destination[0] != '/')
    return plainFail(f, "launch plan: mount destination \"" + out.destination + "\" is not absolute");
  return true;
}

bool parseDevice(const json::Value& d, Device& out, Failure& f) {
  out.path = d.str("path");
  std::string type = d.str("type");
  if (type == "c" || type == "u") out.type = S_IFCHR;
  else if (type == "b") out.type = S_IFBLK;
  else if (type == "p") out.type = S_IFIFO;
  else return plainFail(f, "launch plan: device " + out.path + " has unknown type \"" + type + "\"");
  out.major = d.u64("major");
  out.minor = d.u64("minor");
  out.mode = static_cast<mode_t>(d.u64("mode", 0666));
  out.uid = static_cast<uid_t>(d.u64("uid"));
  out.gid = static_cast<gid_t>(d.u64("gid"));
  return true;
}

std::vector<uint64_t> words(const json::Value* v) {
  std::vector<uint64_t> out;
  if (!v || !v->isArray()) return out;
  for (const auto& item : v->items) out.push_back(item.asU64());
  return out;
}

// Each of the process attributes set by sched.cc is read by its own
// function: absent or null means "leave the runtime's value".
void parseScheduler(const json::Value* s, Scheduler& out) {
  if (!s || !s->isObject()) return;
  out.set = true;
  out.policy = static_cast<uint32_t>(s->u64("policy"));
  out.name = s->str("name");
  out.nice = static_cast<int32_t>(s->i64("nice"));
  out.priority = static_cast<uint32_t>(s->u64("priority"));
  out.flags = s->u64("flags");
  out.runtime = s->u64("runtime");
  out.deadline = s->u64("deadline");
  out.period = s->u64("period");
}

void parseIoPriority(const json::Value* io, IoPriority& out) {
  if (!io || !io->isObject()) return;
  out.set = true;
  out.value = static_cast<int>(io->i64("value"));
  out.name = io->str("class") + " " + std::to_string(io->i64("priority"));
}

void parseCpuAffinity(const json::Value* a, CpuAffinity& out) {
  if (!a || !a->isObject()) return;
  out.resetToAll = a->flag("resetToAll");
  out.initial = words(a->get("initial"));
  out.final = words(a->get("final"));
}

void parsePersonality(const json::Value* p, Personality& out) {
  if (!p || !p->isObject()) return;
  out.set = true;
  out.persona = static_cast<unsigned long>(p->u64("persona"));
  out.domain = p->str("domain");
}

void parseMemoryPolicy(const json::Value* m, MemoryPolicy& out) {
  if (!m || !m->isObject()) return;
  out.set = true;
  out.mode = static_cast<int>(m->i64("mode"));
  out.nodes = words(m->get("nodes"));
  out.name = m->str("name");
}

void parseProcess(const json::Value& p, Process& out) {
  out.args = strings(p.get("args"));
  out.env = strings(p.get("env"));
  out.cwd = p.str("cwd", "/");
  out.pathEnv = p.str("path");
  out.uid = static_cast<uid_t>(p.u64("uid"));
  out.gid = static_cast<gid_t>(p.u64("gid"));
  if (const json::Value* g = p.get("additionalGids"); g && g->isArray())
    for (const auto& item : g->items) out.additionalGids.push_back(static_cast<gid_t>(item.asU64()));
  out.setGroups = p.flag("setGroups", true);
  if (const json::Value* u = p.get("umask"); u && u->isNumber()) out.umask = static_cast<int>(u->asI64());
  if (const json::Value* r = p.get("rlimits"); r && r->isArray()) {
    for (const auto& item : r->items) {
      Rlimit rl;
      rl.name = item.str("name");
      rl.resource = static_cast<int>(item.i64("resource"));
      rl.soft = item.u64("soft");
      rl.hard = item.u64("hard");
      out.rlimits.push_back(rl);
    }
  }
  if (const json::Value* c = p.get("capabilities"); c && c->isObject()) {
    out.caps.set = true;
    out.caps.bounding = c->u64("bounding");
    out.caps.effective = c->u64("effective");
    out.caps.permitted = c->u64("permitted");
    out.caps.inheritable = c->u64("inheritable");
    out.caps.ambient = c->u64("ambient");
  }
  out.noNewPrivileges = p.flag("noNewPrivileges");
  if (const json::Value* o = p.get("oomScoreAdj"); o && o->isNumber()) {
    out.hasOomScoreAdj = true;
    out.oomScoreAdj = static_cast<int>(o->asI64());
  }
  out.terminal = p.flag("terminal");
  if (const json::Value* cs = p.get("consoleSize"); cs && cs->isObject()) {
    out.consoleRows = static_cast<unsigned short>(cs->u64("rows"));
    out.consoleCols = static_cast<unsigned short>(cs->u64("cols"));
  }
  out.preserveFds = static_cast<int>(p.i64("preserveFds"));
  out.newKeyring = p.flag("newKeyring", true);
  parseScheduler(p.get("scheduler"), out.scheduler);
  parseIoPriority(p.get("ioPriority"), out.ioPriority);
  parseCpuAffinity(p.get("cpuAffinity"), out.cpuAffinity);
}

}  // namespace

bool parsePlan(const json::Value& doc, Plan& plan, Failure& f) {
  if (doc.i64("version") != 1) return plainFail(f, "launch plan: unsupported version");
  plan.id = doc.str("id");
  plan.cloneFlags = static_cast<int>(doc.i64("cloneFlags"));
  if (const json::Value* joins = doc.get("joins"); joins && joins->isArray())
    for (const auto& j : joins->items) plan.joins.push_back({static_cast<int>(j.i64("flag")), j.str("path")});
  plan.timeOffsets = doc.str("timeOffsets");
  if (const json::Value* root = doc.get("rootfs"); root && root->isObject()) {
    plan.setupRootfs = true;
    plan.rootfs = root->str("path");
    plan.noPivot = root->flag("noPivot");
    plan.rootPropagation = root->u64("propagation");
    plan.rootfsPropagation = root->u64("rootfsPropagation");
    plan.rootReadonly = root->flag("readonly");
  }
  if (const json::Value* mounts = doc.get("mounts"); mounts && mounts->isArray()) {
    for (const auto& m : mounts->items) {
      Mount mount;
      if (!parseMount(m, mount, f)) return false;
      plan.mounts.push_back(std::move(mount));
    }
  }
  plan.setupDev = doc.flag("setupDev");
  if (const json::Value* devices = doc.get("devices"); devices && devices->isArray()) {
    for (const auto& d : devices->items) {
      Device dev;
      if (!parseDevice(d, dev, f)) return false;
      plan.devices.push_back(dev);
    }
  }
  plan.maskedPaths = strings(doc.get("maskedPaths"));
  plan.readonlyPaths = strings(doc.get("readonlyPaths"));
  if (const json::Value* s = doc.get("sysctls"); s && s->isArray())
    for (const auto& item : s->items) plan.sysctls.push_back({item.str("path"), item.str("value"), item.str("key")});
  if (const json::Value* h = doc.get("hostname"); h && h->isString()) {
    plan.hasHostname = true;
    plan.hostname = h->text;
  }
  if (const json::Value* d = doc.get("domainname"); d && d->isString()) {
    plan.hasDomainname = true;
    plan.domainname = d->text;
  }
  plan.forceSafeWalk = doc.flag("forceSafeWalk");
  parsePersonality(doc.get("personality"), plan.personality);
  parseMemoryPolicy(doc.get("memoryPolicy"), plan.memoryPolicy);
  if (const json::Value* p = doc.get("process"); p && p->isObject()) parseProcess(*p, plan.process);
  if (plan.process.args.empty()) return plainFail(f, "launch plan: process.args is empty");
  return true;
}

}  // namespace runts::init
