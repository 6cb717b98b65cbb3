// The on-disk record of a container (<root>/<id>/state.json) as the native
// verbs see it. TypeScript writes the record at create; start, state, kill
// and delete read it here, so that those verbs never need Node.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cgroupfs.h"
#include "failure.h"
#include "json.h"
#include "unique-fd.h"

namespace runts {

enum class Status { Creating, Created, Running, Paused, Stopped };
const char* statusName(Status s);

struct CgroupDir {
  std::string path;
  bool created = false;  // only directories runts created are removed
};

struct ContainerRecord {
  std::string stateDir;
  json::Value doc;  // the whole state.json
  std::string id;
  std::string storedStatus;  // "creating" or "created"
  pid_t pid = 0;
  uint64_t pidStartTime = 0;
  pid_t creatorPid = 0;
  uint64_t creatorStartTime = 0;
  std::vector<CgroupDir> cgroups;
  std::string procsFile;    // lists every process of the container
  std::string killFile;     // cgroup.kill, where the kernel has it
  std::string freezerFile;  // freezer.state (v1) or cgroup.freeze (v2)
  // Work that only the TypeScript side can do (hooks): the launcher hands
  // such verbs to Node instead of running them natively.
  std::vector<std::string> needsNodeFor;
  // Why state.json cannot be trusted as a whole ("" when it can): not a
  // regular file, too big, not JSON, a field of the wrong type, or a path
  // outside the cgroup mounts. Only the fields that passed are filled in.
  std::string damage;
  bool needsNode(const std::string& verb) const;
  // The host's hierarchies, against which cgroup paths are confined. Read on
  // first use: `state` of a record without cgroups never pays for it.
  const CgroupLayout& layout() const;
  // No record at all (an interrupted create), or a damaged one.
  bool unreliable() const { return storedStatus.empty() || !damage.empty(); }

 private:
  mutable bool layoutRead_ = false;
  mutable CgroupLayout layout_;
};

// runc's rule for ids, plus: no "..", at most 1024 bytes.
bool validateContainerId(const std::string& id, Failure& f);

std::string stateDirFor(const std::string& root, const std::string& id);

// Loads <root>/<id>/state.json. A missing container is a failure whose
// message says so; a directory without a record (an interrupted create) loads
// as an empty record with storedStatus "". A damaged record is a failure
// that names the damage and says that `delete --force` removes it.
//
// Cgroup paths are always checked to be clean absolute paths, and the cgroup
// files to belong to them. With confine (the verbs that act on cgroups: kill,
// delete) they are also checked against the host's cgroup mounts
// (confinedCgroupDir); state and start, which only read the freezer file, skip
// that and the two /proc reads it costs.
bool loadRecord(const std::string& root, const std::string& id, ContainerRecord& rec, Failure& f, bool confine = true);

// loadRecord for delete: a damaged record loads with rec.damage set and only
// its trustworthy fields filled in.
bool loadRecordEvenDamaged(const std::string& root, const std::string& id, ContainerRecord& rec, Failure& f,
                           bool confine = true);

// The message for a damaged record.
std::string damagedMessage(const ContainerRecord& rec);

// What is wrong with a record's text, as loadRecord would read it ("" when
// nothing is): the state contract tests feed it mutations.
std::string recordTextDamage(const std::string& id, const std::string& text);

Status liveStatus(const ContainerRecord& rec);

// The state JSON that `state` prints: the spec's fields plus runc's
// rootfs/created/owner, in runc's order.
std::string renderState(const ContainerRecord& rec, Status status);

// An exclusive lock on <stateDir>/lock, held until release. Verifies after
// locking that the directory was not deleted meanwhile.
class RecordLock {
 public:
  RecordLock() = default;
  RecordLock(const RecordLock&) = delete;
  RecordLock& operator=(const RecordLock&) = delete;
  bool acquire(const std::string& stateDir, const std::string& id, Failure& f);
  void release();

 private:
  Fd fd_;
};

}  // namespace runts
