#include "container.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <initializer_list>

#include "fsutil.h"
#include "proc.h"

namespace runts {

const char* statusName(Status s) {
  switch (s) {
    case Status::Creating: return "creating";
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Paused: return "paused";
    case Status::Stopped: return "stopped";
  }
  return "stopped";
}

const CgroupLayout& ContainerRecord::layout() const {
  if (!layoutRead_) layout_ = hostCgroupLayout();
  layoutRead_ = true;
  return layout_;
}

bool ContainerRecord::needsNode(const std::string& verb) const {
  for (const auto& v : needsNodeFor)
    if (v == verb) return true;
  return false;
}

// runc's rule is ^[\w+-\.]+$: in that character class "+-\." is a range,
// from '+' to '.', so ',' is allowed too. runts adds: no "..", at most 1024 bytes.
bool validateContainerId(const std::string& id, Failure& f) {
  if (id.empty()) return plainFail(f, "container id must not be empty");
  if (id.size() > 1024) return plainFail(f, "container id is longer than 1024 bytes");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              (c >= '+' && c <= '.');
    if (!ok)
      return plainFail(f, "invalid container id " + quoted(id) +
                              ": use only letters, digits and _ + , - . (no '/' or spaces)");
  }
  if (id.find("..") != std::string::npos || id == ".")
    return plainFail(f, "invalid container id " + quoted(id) + ": it must not be '.' or contain '..'");
  return true;
}

std::string stateDirFor(const std::string& root, const std::string& id) { return root + "/" + id; }

namespace {

// Collects what is wrong with a record; the first problem is the one named.
struct Damage {
  std::string& out;
  void operator()(const std::string& field, const std::string& what) {
    if (out.empty()) out = field + " " + what;
  }
};

bool isUnsigned(const json::Value* v) {
  if (!v || (!v->isNumber() && !v->isString()) || v->text.empty()) return false;
  return v->text.find_first_not_of("0123456789") == std::string::npos;
}

// An optional string field: absent is fine, present must be a string.
std::string optionalString(const json::Value& obj, const char* key, const std::string& field, Damage& damage) {
  const json::Value* v = obj.get(key);
  if (!v) return "";
  if (!v->isString()) {
    damage(field, "is not a string");
    return "";
  }
  return v->text;
}

// The record's members must be exactly those of src/state/contract.ts: a
// missing or unknown one means the record is not what runts wrote.
void checkMembers(const json::Value& obj, const std::string& path, std::initializer_list<const char*> required,
                  std::initializer_list<const char*> optional, Damage& damage) {
  std::string prefix = path.empty() ? "" : path + ".";
  for (const char* key : required)
    if (!obj.get(key)) damage(prefix + key, "is missing");
  for (const auto& member : obj.members) {
    bool known = false;
    for (const char* key : required) known = known || member.first == key;
    for (const char* key : optional) known = known || member.first == key;
    if (!known) damage(prefix + quoted(member.first), "is not a field runts writes");
  }
}

void checkString(const json::Value& obj, const char* key, const std::string& field, Damage& damage) {
  const json::Value* v = obj.get(key);
  if (v && !v->isString()) damage(field, "is not a string");
}

void checkStringMap(const json::Value& obj, const char* key, const std::string& field, Damage& damage) {
  const json::Value* v = obj.get(key);
  if (!v) return;
  if (!v->isObject()) return damage(field, "is not an object");
  for (const auto& member : v->members)
    if (!member.second.isString()) damage(field + "." + quoted(member.first), "is not a string");
}

// A file of a confined cgroup directory: one of the container's own.
bool isFileOf(const ContainerRecord& rec, const std::string& file, std::initializer_list<const char*> names) {
  for (const auto& d : rec.cgroups)
    for (const char* n : names)
      if (file == d.path + "/" + n) return true;
  return false;
}

void readCgroups(const json::Value& priv, ContainerRecord& rec, Damage& damage) {
  const json::Value* list = priv.get("cgroups");
  if (list && !list->isArray()) damage("runts.cgroups", "is not an array");
  if (list && list->isArray()) {
    for (size_t i = 0; i < list->items.size(); i++) {
      const json::Value& item = list->items[i];
      std::string field = "runts.cgroups[" + std::to_string(i) + "]";
      const json::Value* path = item.get("path");
      const json::Value* created = item.get("created");
      if (!item.isObject()) {
        damage(field, "is not {\"path\": string, \"created\": boolean}");
        continue;
      }
      checkMembers(item, field, {"path", "created"}, {}, damage);
      if (!path || !path->isString() || !created || created->type != json::Type::Bool) {
        damage(!path || !path->isString() ? field + ".path" : field + ".created",
               !path || !path->isString() ? "is not a string" : "is not true or false");
        continue;
      }
      if (!isCleanAbsolutePath(path->text)) {
        damage(field + ".path " + quoted(path->text), "is not a clean absolute path (\".\", \"..\", \"//\" or a trailing \"/\")");
        continue;
      }
      rec.cgroups.push_back(CgroupDir{path->text, created->boolean});
    }
  }
  struct FileField {
    const char* key;
    std::string* out;
    std::initializer_list<const char*> names;
  };
  for (const FileField& ff : {FileField{"procsFile", &rec.procsFile, {"cgroup.procs"}},
                              FileField{"killFile", &rec.killFile, {"cgroup.kill"}},
                              FileField{"freezerFile", &rec.freezerFile, {"cgroup.freeze", "freezer.state"}}}) {
    std::string field = std::string("runts.") + ff.key;
    std::string v = optionalString(priv, ff.key, field, damage);
    if (v.empty()) continue;
    if (!isFileOf(rec, v, ff.names)) {
      damage(field + " " + quoted(v), "is not a file of the container's own cgroups");
      continue;
    }
    *ff.out = v;
  }
}

void readPrivate(const json::Value& priv, ContainerRecord& rec, Damage& damage) {
  checkMembers(priv, "runts", {"version", "creatorPid", "creatorStartTime", "cgroups", "needsNodeFor"},
               {"pidStartTime", "procsFile", "killFile", "freezerFile"}, damage);
  const json::Value* version = priv.get("version");
  if (version && (!version->isNumber() || version->text != "1")) damage("runts.version", "is not 1");
  const json::Value* pst = priv.get("pidStartTime");
  if (pst && (!pst->isString() || !isUnsigned(pst))) damage("runts.pidStartTime", "is not a start time");
  else if (pst) rec.pidStartTime = pst->asU64();
  const json::Value* cpid = priv.get("creatorPid");
  if (!cpid || !cpid->isNumber() || !isUnsigned(cpid)) damage("runts.creatorPid", "is not a pid");
  else rec.creatorPid = static_cast<pid_t>(cpid->asI64());
  const json::Value* cst = priv.get("creatorStartTime");
  if (!cst || !cst->isString() || !isUnsigned(cst)) damage("runts.creatorStartTime", "is not a start time");
  else rec.creatorStartTime = cst->asU64();
  readCgroups(priv, rec, damage);
  if (const json::Value* nn = priv.get("needsNodeFor"); nn) {
    if (!nn->isArray()) damage("runts.needsNodeFor", "is not an array");
    else
      for (size_t i = 0; i < nn->items.size(); i++) {
        if (nn->items[i].isString()) rec.needsNodeFor.push_back(nn->items[i].text);
        else damage("runts.needsNodeFor[" + std::to_string(i) + "]", "is not a string");
      }
  }
}

// Fills rec from the parsed record, checking every field a verb acts on.
void readFields(ContainerRecord& rec) {
  Damage damage{rec.damage};
  const json::Value& doc = rec.doc;
  if (!doc.isObject()) {
    damage("the record", "is not a JSON object");
  } else {
    checkMembers(doc, "", {"ociVersion", "id", "status", "pid", "bundle", "rootfs", "created", "owner", "runts"},
                 {"annotations"}, damage);
    for (const char* key : {"ociVersion", "id", "bundle", "rootfs", "created", "owner"}) checkString(doc, key, key, damage);
    checkStringMap(doc, "annotations", "annotations", damage);
    if (const json::Value* id = doc.get("id"); id && id->isString() && id->text != rec.id)
      damage("id " + quoted(id->text), "is not the container's id");
    const json::Value* status = doc.get("status");
    if (!status || !status->isString() || (status->text != "creating" && status->text != "created"))
      damage("status", "is not \"creating\" or \"created\"");
    else
      rec.storedStatus = status->text;
    const json::Value* pid = doc.get("pid");
    if (!pid || !pid->isNumber() || !isUnsigned(pid) || pid->asI64(-1) > INT32_MAX)
      damage("pid", "is not a pid");
    else
      rec.pid = static_cast<pid_t>(pid->asI64());
    const json::Value* priv = doc.get("runts");
    if (!priv || !priv->isObject()) damage("runts", "is not an object");
    else readPrivate(*priv, rec, damage);
  }
  // A damaged record tells nothing reliable about the process: its pid is
  // never signalled (delete finds the container through its cgroups).
  if (!rec.damage.empty()) {
    rec.pid = 0;
    rec.storedStatus = "created";
  }
}

// Checks the cgroup paths against the host's cgroup mounts (which costs a
// read of /proc/self/mountinfo and /proc/self/cgroup); drops those that
// fail, and the cgroup files that belonged to them.
void confineCgroups(ContainerRecord& rec) {
  Damage damage{rec.damage};
  std::vector<CgroupDir> kept;
  for (size_t i = 0; i < rec.cgroups.size(); i++) {
    std::string why;
    if (confinedCgroupDir(rec.layout(), rec.cgroups[i].path, why)) kept.push_back(rec.cgroups[i]);
    else damage("runts.cgroups[" + std::to_string(i) + "].path " + quoted(rec.cgroups[i].path), why);
  }
  rec.cgroups = kept;
  if (!isFileOf(rec, rec.procsFile, {"cgroup.procs"})) rec.procsFile.clear();
  if (!isFileOf(rec, rec.killFile, {"cgroup.kill"})) rec.killFile.clear();
  if (!isFileOf(rec, rec.freezerFile, {"cgroup.freeze", "freezer.state"})) rec.freezerFile.clear();
}

}  // namespace

bool loadRecordEvenDamaged(const std::string& root, const std::string& id, ContainerRecord& rec, Failure& f,
                           bool confine) {
  if (!validateContainerId(id, f)) return false;
  rec = ContainerRecord{};
  rec.id = id;
  rec.stateDir = stateDirFor(root, id);
  struct stat st;
  if (stat(rec.stateDir.c_str(), &st) < 0) {
    if (errno == ENOENT) return plainFail(f, "container \"" + id + "\" does not exist");
    return sysFail(f, "stat", rec.stateDir);
  }
  std::string text;
  std::string path = rec.stateDir + "/state.json";
  Failure readFailure;
  if (!readRegularFile(path, kMaxDocumentBytes, true, text, readFailure)) {
    if (readFailure.err == ENOENT) return true;  // an interrupted create: a directory without a record
    rec.damage = "it cannot be read (" + readFailure.message() + ")";
  } else {
    std::string err;
    if (json::parse(text, rec.doc, err)) {
      readFields(rec);
      if (confine) confineCgroups(rec);
    } else {
      rec.damage = "it is not valid JSON (" + err + ")";
    }
  }
  if (!rec.damage.empty()) {
    rec.doc = json::Value{};
    rec.storedStatus = "created";
    rec.pid = 0;
  }
  return true;
}

std::string recordTextDamage(const std::string& id, const std::string& text) {
  ContainerRecord rec;
  rec.id = id;
  std::string err;
  if (!json::parse(text, rec.doc, err)) return "it is not valid JSON (" + err + ")";
  readFields(rec);
  return rec.damage;
}

std::string damagedMessage(const ContainerRecord& rec) {
  return "state file " + rec.stateDir + "/state.json is damaged: " + rec.damage + "; `runts delete --force " + rec.id +
         "` removes the container";
}

bool loadRecord(const std::string& root, const std::string& id, ContainerRecord& rec, Failure& f, bool confine) {
  if (!loadRecordEvenDamaged(root, id, rec, f, confine)) return false;
  if (!rec.damage.empty()) return plainFail(f, damagedMessage(rec));
  return true;
}

// Paused is what the container's own freezer says: cgroup.freeze (v2), or
// freezer.state (v1) FROZEN or FREEZING with freezer.self_freezing 1 — a
// cgroup frozen only through an ancestor is not paused, as runc reads it
// (no self_freezing, an old kernel: frozen).
static bool isFrozen(const std::string& freezerFile) {
  if (freezerFile.empty()) return false;
  std::string text;
  Failure ignored;
  if (!readFile(freezerFile, text, ignored)) return false;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text == "1") return true;
  if (text != "FROZEN" && text != "FREEZING") return false;
  std::string self;
  std::string selfFile = freezerFile.substr(0, freezerFile.rfind('/')) + "/freezer.self_freezing";
  if (!readFile(selfFile, self, ignored)) return true;
  return self.compare(0, 1, "0") != 0;
}

Status liveStatus(const ContainerRecord& rec) {
  if (rec.storedStatus == "creating")
    return isSameLiveProcess(rec.creatorPid, rec.creatorStartTime) ? Status::Creating : Status::Stopped;
  if (rec.storedStatus.empty() || rec.pid <= 0) return Status::Stopped;
  if (!isSameLiveProcess(rec.pid, rec.pidStartTime)) return Status::Stopped;
  // Before the exec fifo, as runc: a created container can be paused too.
  if (isFrozen(rec.freezerFile)) return Status::Paused;
  if (pathExists(rec.stateDir + "/exec.fifo")) return Status::Created;
  return Status::Running;
}

std::string renderState(const ContainerRecord& rec, Status status) {
  json::Value out = json::Value::makeObject();
  out.set("ociVersion", json::Value::makeString(rec.doc.str("ociVersion")));
  out.set("id", json::Value::makeString(rec.id));
  bool alive = status != Status::Stopped && status != Status::Creating;
  out.set("pid", json::Value::makeNumber(alive ? rec.pid : 0));
  out.set("status", json::Value::makeString(statusName(status)));
  out.set("bundle", json::Value::makeString(rec.doc.str("bundle")));
  out.set("rootfs", json::Value::makeString(rec.doc.str("rootfs")));
  out.set("created", json::Value::makeString(rec.doc.str("created")));
  out.set("owner", json::Value::makeString(rec.doc.str("owner")));
  if (const json::Value* ann = rec.doc.get("annotations"); ann && ann->isObject() && !ann->members.empty())
    out.set("annotations", *ann);
  std::string text;
  json::write(out, text, 2);
  text += '\n';
  return text;
}

void RecordLock::release() { fd_.reset(); }

bool RecordLock::acquire(const std::string& stateDir, const std::string& id, Failure& f) {
  std::string path = stateDir + "/lock";
  // O_NOFOLLOW: a lock replaced by a symlink must not create or open a file elsewhere.
  fd_.reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd_.fd < 0) {
    if (errno == ENOENT) return plainFail(f, "container \"" + id + "\" does not exist");
    return sysFail(f, "open lock", path);
  }
  while (flock(fd_.fd, LOCK_EX) < 0) {
    if (errno != EINTR) return sysFail(f, "lock", path);
  }
  // A delete that held the lock before us may have removed the directory.
  struct stat held, current;
  if (fstat(fd_.fd, &held) < 0 || stat(path.c_str(), &current) < 0 || held.st_ino != current.st_ino) {
    release();
    return plainFail(f, "container \"" + id + "\" does not exist");
  }
  return true;
}

}  // namespace runts
