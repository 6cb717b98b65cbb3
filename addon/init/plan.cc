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

// plan.process.lsm: null or absent members mean no label.
void parseProcessLsm(const json::Value* v, ProcessLsm& out) {
  if (!v || !v->isObject()) return;
  if (const json::Value* a = v->get("apparmorProfile"); a && a->isString()) out.apparmorProfile = a->text;
  if (const json::Value* s = v->get("selinuxLabel"); s && s->isString()) out.selinuxLabel = s->text;
}

// plan.mountLabel: null or absent when the config has none.
bool parseMountLabel(const json::Value* v, MountLabel& out, Failure& f) {
  if (!v || !v->isObject()) return true;
  out.label = v->str("label");
  out.xattrDestinations = strings(v->get("xattrDestinations"));
  for (const auto& d : out.xattrDestinations)
    if (d.empty() || d[0] != '/') return plainFail(f, "launch plan: mountLabel destination \"" + d + "\" is not absolute");
  return true;
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
  parseProcessLsm(p.get("lsm"), out.lsm);
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
  if (!parseMountLabel(doc.get("mountLabel"), plan.mountLabel, f)) return false;
  if (const json::Value* p = doc.get("process"); p && p->isObject()) parseProcess(*p, plan.process);
  if (plan.process.args.empty()) return plainFail(f, "launch plan: process.args is empty");
  return true;
}

}  // namespace runts::init
