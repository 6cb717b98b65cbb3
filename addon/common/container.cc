#include "container.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

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

bool ContainerRecord::needsNode(const std::string& verb) const {
  for (const auto& v : needsNodeFor)
    if (v == verb) return true;
  return false;
}

bool validateContainerId(const std::string& id, Failure& f) {
  if (id.empty()) return plainFail(f, "container id must not be empty");
  if (id.size() > 1024) return plainFail(f, "container id is longer than 1024 bytes");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '+' || c == '-' || c == '.';
    if (!ok)
      return plainFail(f, "invalid container id \"" + id +
                              "\": use only letters, digits and _ + - . (no '/' or spaces)");
  }
  if (id.find("..") != std::string::npos || id == ".")
    return plainFail(f, "invalid container id \"" + id + "\": it must not be '.' or contain '..'");
  return true;
}

std::string stateDirFor(const std::string& root, const std::string& id) { return root + "/" + id; }

static void readCgroups(const json::Value& priv, ContainerRecord& rec) {
  if (const json::Value* list = priv.get("cgroups"); list && list->isArray()) {
    for (const auto& item : list->items) {
      CgroupDir d;
      d.path = item.str("path");
      d.created = item.flag("created");
      if (!d.path.empty()) rec.cgroups.push_back(d);
    }
  }
  rec.procsFile = priv.str("procsFile");
  rec.killFile = priv.str("killFile");
  rec.freezerFile = priv.str("freezerFile");
}

bool loadRecord(const std::string& root, const std::string& id, ContainerRecord& rec, Failure& f) {
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
  if (!readFile(path, text, f)) {
    if (f.err == ENOENT) {
      f = Failure{};
      return true;  // an interrupted create: a directory without a record
    }
    return false;
  }
  std::string err;
  if (!json::parse(text, rec.doc, err))
    return plainFail(f, "state file " + path + " is corrupt (" + err + "); `runts delete --force " + id +
                            "` removes it");
  rec.storedStatus = rec.doc.str("status");
  rec.pid = static_cast<pid_t>(rec.doc.i64("pid"));
  if (const json::Value* priv = rec.doc.get("runts")) {
    rec.pidStartTime = priv->u64("pidStartTime");
    rec.creatorPid = static_cast<pid_t>(priv->i64("creatorPid"));
    rec.creatorStartTime = priv->u64("creatorStartTime");
    readCgroups(*priv, rec);
    if (const json::Value* nn = priv->get("needsNodeFor"); nn && nn->isArray())
      for (const auto& v : nn->items)
        if (v.isString()) rec.needsNodeFor.push_back(v.text);
  }
  return true;
}

static bool isFrozen(const std::string& freezerFile) {
  if (freezerFile.empty()) return false;
  std::string text;
  Failure ignored;
  if (!readFile(freezerFile, text, ignored)) return false;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text == "FROZEN" || text == "FREEZING" || text == "1";
}

Status liveStatus(const ContainerRecord& rec) {
  if (rec.storedStatus == "creating")
    return isSameLiveProcess(rec.creatorPid, rec.creatorStartTime) ? Status::Creating : Status::Stopped;
  if (rec.storedStatus.empty() || rec.pid <= 0) return Status::Stopped;
  if (!isSameLiveProcess(rec.pid, rec.pidStartTime)) return Status::Stopped;
  if (pathExists(rec.stateDir + "/exec.fifo")) return Status::Created;
  if (isFrozen(rec.freezerFile)) return Status::Paused;
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

RecordLock::~RecordLock() { release(); }

void RecordLock::release() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool RecordLock::acquire(const std::string& stateDir, const std::string& id, Failure& f) {
  std::string path = stateDir + "/lock";
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    if (errno == ENOENT) return plainFail(f, "container \"" + id + "\" does not exist");
    return sysFail(f, "open lock", path);
  }
  while (flock(fd_, LOCK_EX) < 0) {
    if (errno != EINTR) return sysFail(f, "lock", path);
  }
  // A delete that held the lock before us may have removed the directory.
  struct stat held, current;
  if (fstat(fd_, &held) < 0 || stat(path.c_str(), &current) < 0 || held.st_ino != current.st_ino) {
    release();
    return plainFail(f, "container \"" + id + "\" does not exist");
  }
  return true;
}

}  // namespace runts
