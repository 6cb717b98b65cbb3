#include "verbs.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>
#include <vector>

#include "cgroup-list.h"
#include "cgroupfs.h"
#include "container.h"
#include "fsutil.h"
#include "proc.h"
#include "signals.h"

namespace runts {

namespace {

constexpr int kExitWaitMs = 5000;

void sleepMs(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, nullptr);
}

std::vector<pid_t> parsePids(const std::string& text) {
  std::vector<pid_t> pids;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    long v = strtol(text.substr(pos, end - pos).c_str(), nullptr, 10);
    if (v > 0) pids.push_back(static_cast<pid_t>(v));
    pos = end + 1;
  }
  return pids;
}

// Sub-cgroups a container made below its own (a nested runtime, systemd in
// the container) are walked to this depth at most.
constexpr int kMaxCgroupDepth = 32;

// Appends the pids of dir/cgroup.procs and of every cgroup below dir, in
// the order of runc's GetAllPids (a lexical walk: entries sorted by name,
// "cgroup.procs" read where it falls among the sub-directories).
void collectPids(const std::string& dir, int depth, std::vector<pid_t>& pids) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;  // gone meanwhile: no processes there
  std::vector<std::pair<std::string, bool>> entries;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool isDir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      isDir = lstat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (isDir) entries.emplace_back(name, true);
    else if (name == "cgroup.procs") entries.emplace_back(name, false);
  }
  closedir(d);
  std::sort(entries.begin(), entries.end());
  for (const auto& entry : entries) {
    if (!entry.second) {
      std::string text;
      Failure ignored;
      if (readFile(dir + "/cgroup.procs", text, ignored))
        for (pid_t p : parsePids(text)) pids.push_back(p);
    } else if (depth < kMaxCgroupDepth) {
      collectPids(dir + "/" + entry.first, depth + 1, pids);
    }
  }
}

std::string dirOf(const std::string& file) {
  size_t slash = file.rfind('/');
  return slash == std::string::npos ? file : file.substr(0, slash);
}

// Every process of the cgroup that procsFile belongs to and of the cgroups
// below it.
std::vector<pid_t> listCgroupPids(const std::string& procsFile) {
  std::vector<pid_t> pids;
  if (!procsFile.empty()) collectPids(dirOf(procsFile), 0, pids);
  return pids;
}

bool isV2Freezer(const std::string& file) {
  return file.size() >= 13 && file.compare(file.size() - 13, 13, "cgroup.freeze") == 0;
}

bool readTrimmed(const std::string& path, std::string& out, Failure& f) {
  if (!readFile(path, out, f)) return false;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return true;
}

bool thaw(const ContainerRecord& rec, Failure& f) {
  if (rec.freezerFile.empty()) return true;
  if (!writeExisting(rec.freezerFile, isV2Freezer(rec.freezerFile) ? "0" : "THAWED", f)) {
    f.step = "thaw cgroup: write";
    return false;
  }
  return true;
}

void thawQuietly(const ContainerRecord& rec) {
  Failure ignored;
  thaw(rec, ignored);
}

// cgroup v1: the kernel may stay in FREEZING while processes fork or enter
// the cgroup, so the write is repeated until freezer.state reads FROZEN,
// on runc's schedule (fs/freezer.go): a thaw and a 10 ms pause every 50
// tries, 10 us before reading every 25, and 1 s, 2 s, 4 s ... every 200.
bool freezeV1(const std::string& file, Failure& f) {
  int longSleepMs = 1000;
  for (int i = 0; i < 1000; i++) {
    if (i % 50 == 49) {
      Failure ignored;
      writeExisting(file, "THAWED", ignored);
      sleepMs(10);
    }
    if (!writeExisting(file, "FROZEN", f)) {
      f.step = "freeze cgroup: write";
      return false;
    }
    if (i % 25 == 24) {
      struct timespec ts = {0, 10 * 1000};
      nanosleep(&ts, nullptr);
    }
    if (i % 200 == 199) {
      sleepMs(longSleepMs);
      longSleepMs *= 2;
    }
    std::string state;
    if (!readTrimmed(file, state, f)) {
      f.step = "freeze cgroup: read";
      return false;
    }
    if (state == "FROZEN") return true;
    if (state != "FREEZING") {
      errno = EINVAL;
      return sysFail(f, "freeze cgroup", file, "unexpected state " + quoted(state) + " while freezing");
    }
  }
  errno = EBUSY;
  return sysFail(f, "freeze cgroup", file,
                 "still FREEZING after 1000 tries (processes keep forking or entering it); the cgroup was thawed again");
}

// cgroup v2: cgroup.freeze is the request; cgroup.events says "frozen 1"
// once every process has stopped (runc's waitFrozen: 10 ms polls, 10 s).
bool freezeV2(const std::string& file, Failure& f) {
  if (!writeExisting(file, "1", f)) {
    f.step = "freeze cgroup: write";
    return false;
  }
  std::string events = dirOf(file) + "/cgroup.events";
  for (int i = 0; i < 1000; i++) {
    std::string text;
    if (!readFile(events, text, f)) {
      f.step = "freeze cgroup: read";
      return false;
    }
    size_t at = text.find("frozen ");
    if (at != std::string::npos && (at == 0 || text[at - 1] == '\n') && text.compare(at + 7, 1, "1") == 0) return true;
    sleepMs(10);
  }
  errno = ETIMEDOUT;
  return sysFail(f, "freeze cgroup", events, "no \"frozen 1\" after 10 s; the cgroup was thawed again");
}

// Freezes the container's cgroup and waits until it is frozen; on failure
// the cgroup is thawed again, so nothing changed.
bool freeze(const ContainerRecord& rec, Failure& f) {
  bool ok = isV2Freezer(rec.freezerFile) ? freezeV2(rec.freezerFile, f) : freezeV1(rec.freezerFile, f);
  if (!ok) thawQuietly(rec);
  return ok;
}

// Signals every process in the container's cgroup, as runc's
// signalAllProcesses: SIGKILL through cgroup.kill where there is one;
// otherwise the cgroup is frozen meanwhile (where there is a freezer) so
// that no process forks or exits and hands its pid to someone else between
// listing and signalling. The cgroup is thawed afterwards, paused or not
// before, as runc and crun leave it: a frozen process acts on no signal
// (under cgroup v1 not even on SIGKILL) until it is thawed.
bool signalAllProcesses(const ContainerRecord& rec, int sig, Failure& f) {
  if (rec.procsFile.empty())
    return plainFail(f, "container \"" + rec.id + "\" has no cgroup to list its processes (kill --all needs one)");
  if (sig == SIGKILL && !rec.killFile.empty()) {
    Failure ignored;
    if (writeExisting(rec.killFile, "1", ignored)) {
      // On a hybrid host cgroup.kill is the unified hierarchy's and the
      // freezer v1's: what v1 froze dies only once thawed.
      thawQuietly(rec);
      return true;
    }
  }
  if (!rec.freezerFile.empty()) {
    Failure ignored;
    freeze(rec, ignored);  // as runc: a lock where it works; the signals go out either way
  }
  for (pid_t pid : listCgroupPids(rec.procsFile)) {
    int fd = pidfdOpen(pid);
    if (fd < 0) continue;  // already gone
    pidfdSendSignal(fd, sig);
    close(fd);
  }
  thawQuietly(rec);
  return true;
}

// The recorded pid is signalled only while it is a member of the container's
// cgroups: a record edited to name another process (with its start time)
// must not turn kill or delete into a way to signal it.
bool pidIsContainers(const ContainerRecord& rec) {
  if (rec.cgroups.empty()) return true;  // a host without cgroups
  for (const auto& d : rec.cgroups)
    if (processInCgroup(rec.layout(), rec.pid, d.path)) return true;
  return false;
}

int openContainerPidfd(const ContainerRecord& rec) {
  int fd = pidfdOpenVerified(rec.pid, rec.pidStartTime);
  // Checked after the pidfd is open, so the pid cannot be recycled in between.
  if (fd >= 0 && !pidIsContainers(rec)) {
    close(fd);
    return -1;
  }
  return fd;
}

bool killInit(const ContainerRecord& rec, int sig, Failure& f) {
  int fd = openContainerPidfd(rec);
  if (fd < 0) return plainFail(f, "container not running: \"" + rec.id + "\" is stopped");
  if (pidfdSendSignal(fd, sig) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return sysFail(f, "signal container process", std::to_string(rec.pid));
  }
  close(fd);
  // A paused container acts on SIGKILL only once thawed (runc thaws for
  // SIGKILL alone: other signals wait for resume).
  if (sig == SIGKILL && liveStatus(rec) == Status::Paused) thawQuietly(rec);
  return true;
}

// Every process in any of the container's cgroups (a process that moved
// within one hierarchy shows only there).
std::vector<pid_t> cgroupMembers(const ContainerRecord& rec) {
  std::vector<pid_t> pids = listCgroupPids(rec.procsFile);
  for (const auto& d : rec.cgroups)
    for (pid_t p : listCgroupPids(d.path + "/cgroup.procs")) pids.push_back(p);
  return pids;
}

// One pass of delete's killing. No freeze as a lock here (a v1 freeze can
// take seconds to settle while processes exit): delete repeats the pass
// until the cgroups are empty, which catches what forked meanwhile.
void killMembers(const ContainerRecord& rec) {
  Failure ignored;
  if (!rec.killFile.empty()) writeExisting(rec.killFile, "1", ignored);
  for (pid_t pid : cgroupMembers(rec)) {
    int fd = pidfdOpen(pid);
    if (fd < 0) continue;
    pidfdSendSignal(fd, SIGKILL);
    close(fd);
  }
  thawQuietly(rec);  // what is frozen dies only once thawed
}

// Kills the init and everything else in the container's cgroups, then waits
// until they are gone so that the cgroups can be removed.
void killEverything(const ContainerRecord& rec) {
  int fd = openContainerPidfd(rec);
  if (fd >= 0) {
    pidfdSendSignal(fd, SIGKILL);
    // Thawed after the signal, as runc's destroy: a paused container (or
    // one frozen through the v1 freezer by anyone) would never exit, and
    // its cgroups could not be removed. Thawing first would let it run on.
    thawQuietly(rec);
    pidfdWaitExit(fd, kExitWaitMs);
    close(fd);
  }
  if (fd < 0) thawQuietly(rec);  // no init to wait for: what is left dies once thawed
  for (int waited = 0; waited < kExitWaitMs; waited += 10) {
    if (cgroupMembers(rec).empty()) return;
    killMembers(rec);
    sleepMs(10);
  }
}

// A record that is damaged or missing cannot say where the container is:
// after the cgroup list (cgroup-list.h), look where create puts a container
// by default (/runts/<id>) as well. What is found there is runts' own
// placement, so it is removed. A container with its own linux.cgroupsPath
// whose record and cgroup list are both damaged is found only through the
// parts of its record that are intact.
void addDefaultPlacement(ContainerRecord& rec) {
  DefaultPlacement p = defaultPlacement(rec.layout(), rec.id);
  for (const auto& dir : p.dirs) {
    bool listed = false;
    for (const auto& d : rec.cgroups) listed = listed || d.path == dir;
    std::string why;
    if (listed || !pathExists(dir) || !confinedCgroupDir(rec.layout(), dir, why)) continue;
    rec.cgroups.push_back(CgroupDir{dir, true});
  }
  auto present = [](const std::string& file) { return !file.empty() && pathExists(file) ? file : std::string(); };
  if (rec.procsFile.empty()) rec.procsFile = present(p.procsFile);
  if (rec.freezerFile.empty()) rec.freezerFile = present(p.freezerFile);
  if (rec.killFile.empty()) rec.killFile = present(p.killFile);
}

// Removes a cgroup and, first, the cgroups the container made below it
// (as runc's RemovePath): a cgroup with children cannot be removed.
bool removeCgroupTree(const std::string& path, int depth, int busyWaitMs, Failure& f) {
  if (DIR* d = opendir(path.c_str())) {
    std::vector<std::string> children;
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != ".." && e->d_type == DT_DIR) children.push_back(path + "/" + name);
    }
    closedir(d);
    for (const auto& child : children)
      if (depth < kMaxCgroupDepth && !removeCgroupTree(child, depth + 1, busyWaitMs, f)) return false;
  }
  int waited = 0;
  while (rmdir(path.c_str()) < 0) {
    if (errno == ENOENT) break;
    // EBUSY: processes that were just killed can take a moment to leave.
    if (errno == EBUSY && waited < busyWaitMs) {
      sleepMs(10);
      waited += 10;
      continue;
    }
    return sysFail(f, "remove cgroup", path, errno == EBUSY ? "processes are still in it; see its cgroup.procs" : "");
  }
  return true;
}

// Tries every hierarchy, so that one busy cgroup leaves only itself behind;
// f says the first that could not be removed.
bool removeCgroups(const ContainerRecord& rec, Failure& f) {
  bool ok = true;
  for (auto it = rec.cgroups.rbegin(); it != rec.cgroups.rend(); ++it) {
    Failure one;
    // Once one hierarchy stayed busy for the whole wait, the same processes
    // hold the others: one try each.
    if (it->created && !removeCgroupTree(it->path, 0, ok ? 2000 : 0, one)) {
      if (ok) f = one;
      ok = false;
    }
  }
  return ok;
}

bool handOff(const VerbOptions& o, const ContainerRecord& rec, const char* verb, Failure& f) {
  if (!o.handOffToNode || !rec.needsNode(verb)) return false;
  plainFail(f, std::string(verb) + " needs the TypeScript runtime", kNeedsNode);
  return true;
}

}  // namespace

bool stateVerb(const VerbOptions& o, const std::string& id, std::string& out, Failure& f) {
  ContainerRecord rec;
  if (!loadRecord(o.root, id, rec, f, false)) return false;
  if (rec.storedStatus.empty())
    return plainFail(f, "container \"" + id + "\" has no state yet: it is being created, or its create was interrupted (`runts delete --force " + id + "` removes it)");
  out = renderState(rec, liveStatus(rec));
  return true;
}

bool startVerb(const VerbOptions& o, const std::string& id, Failure& f) {
  if (!validateContainerId(id, f)) return false;
  RecordLock lock;
  if (!lock.acquire(stateDirFor(o.root, id), id, f)) return false;
  ContainerRecord rec;
  if (!loadRecord(o.root, id, rec, f, false)) return false;
  if (handOff(o, rec, "start", f)) return false;
  switch (liveStatus(rec)) {
    case Status::Created: break;
    case Status::Running: return plainFail(f, "cannot start an already running container \"" + id + "\"");
    case Status::Paused:
      return plainFail(f, "cannot start a container in the paused state: \"" + id + "\" (`runts resume " + id + "` first)");
    case Status::Stopped: return plainFail(f, "cannot start a container that has stopped: \"" + id + "\"");
    case Status::Creating: return plainFail(f, "container \"" + id + "\" is still being created");
  }
  std::string fifo = rec.stateDir + "/exec.fifo";
  // O_NOFOLLOW and the FIFO check: an exec.fifo replaced by a symlink or a
  // file must not get start's byte written into something else.
  int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENXIO)
      return plainFail(f, "container \"" + id + "\" cannot be started: its init process exited before start");
    return sysFail(f, "open exec fifo", fifo);
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
    close(fd);
    errno = EINVAL;
    return sysFail(f, "open exec fifo", fifo, "it is not a FIFO: the state directory was tampered with");
  }
  ssize_t n = write(fd, "0", 1);
  int e = errno;
  close(fd);
  if (n != 1) {
    errno = e;
    return sysFail(f, "write exec fifo", fifo);
  }
  // Without the fifo the container reads as running from now on.
  if (unlink(fifo.c_str()) < 0) return sysFail(f, "remove exec fifo", fifo);
  return true;
}

bool killVerb(const VerbOptions& o, const std::string& id, const std::string& signal, bool all, Failure& f) {
  int sig = parseSignal(signal);
  if (sig < 0)
    return plainFail(f, "unknown signal \"" + signal + "\": use a name such as SIGTERM or KILL, or a number");
  ContainerRecord rec;
  if (!loadRecord(o.root, id, rec, f)) return false;
  if (handOff(o, rec, "kill", f)) return false;
  Status s = liveStatus(rec);
  // As runc: --all signals whatever is left in the cgroup of a stopped
  // container too (containerd sends `kill --all ID 9` after every stop, and
  // succeeds where nothing is left); a container without a cgroup has nothing left.
  if (all && s == Status::Stopped && !rec.storedStatus.empty())
    return rec.procsFile.empty() || !pathExists(rec.procsFile) || signalAllProcesses(rec, sig, f);
  // runc's wording ("container not running"): containerd's shim takes a kill
  // error with it as "already gone".
  if (s == Status::Stopped || s == Status::Creating || rec.storedStatus.empty())
    return plainFail(f, "container not running: \"" + id + "\" is " + statusName(s));
  if (all) return signalAllProcesses(rec, sig, f);
  return killInit(rec, sig, f);
}

bool deleteVerb(const VerbOptions& o, const std::string& id, bool force, Failure& f) {
  if (!validateContainerId(id, f)) return false;
  std::string dir = stateDirFor(o.root, id);
  // With --force, delete means "make sure it is gone", as for runc and crun:
  // engines clean up after failed creates this way.
  if (!pathExists(dir)) return force ? true : plainFail(f, "container \"" + id + "\" does not exist");
  RecordLock lock;
  if (!lock.acquire(dir, id, f)) return false;
  ContainerRecord rec;
  if (!loadRecordEvenDamaged(o.root, id, rec, f)) return false;
  // A record that cannot say where the container is: the cgroup list
  // (written before any cgroup was made) says it, then the default placement.
  std::string listIgnored = rec.unreliable() ? addCgroupList(rec) : "";
  if (!rec.damage.empty() && !force)
    return plainFail(f, damagedMessage(rec) + (listIgnored.empty() ? "" : "; its " + listIgnored +
                                                                             ", so only cgroups at runts' default placement /runts/" + id + " would be found"));
  if (rec.damage.empty() && handOff(o, rec, "delete", f)) return false;
  if (rec.unreliable()) addDefaultPlacement(rec);
  Status s = liveStatus(rec);
  // Without a record, what is alive in the container's cgroups says whether it runs.
  if (rec.storedStatus.empty() && !cgroupMembers(rec).empty()) s = Status::Running;
  if (!force && (s == Status::Running || s == Status::Paused))
    return plainFail(f, "cannot delete container \"" + id + "\" that is not stopped: " + statusName(s) +
                            " (stop it with `runts kill`, or use `runts delete --force`)");
  killEverything(rec);
  if (!removeCgroups(rec, f)) {
    if (!force) return false;
    // runc logs what Destroy could not remove and still deletes; crun warns.
    // A process that cannot die (stuck in D state, frozen by someone else)
    // must not make `podman rm -f` fail forever: the record goes, the
    // cgroup stays, and the warning says which.
    if (o.warn)
      o.warn(f.message() + "; the container's record is removed anyway (delete --force); remove that cgroup once its processes are gone");
    f = Failure();
  }
  return removeFlatDir(dir, f);
}

namespace {

// The record and lock for pause and resume.
bool loadLocked(const VerbOptions& o, const std::string& id, RecordLock& lock, ContainerRecord& rec, Failure& f) {
  if (!validateContainerId(id, f)) return false;
  // Serialises with start and delete, which hold the same lock.
  if (!lock.acquire(stateDirFor(o.root, id), id, f)) return false;
  if (!loadRecord(o.root, id, rec, f)) return false;
  if (rec.storedStatus.empty())
    return plainFail(f, "container \"" + id + "\" has no state yet: it is being created, or its create was interrupted");
  return true;
}

}  // namespace

bool pauseVerb(const VerbOptions& o, const std::string& id, Failure& f) {
  RecordLock lock;
  ContainerRecord rec;
  if (!loadLocked(o, id, lock, rec, f)) return false;
  Status s = liveStatus(rec);
  // runc pauses a created container too (its waiting init is frozen; resume
  // makes it created again).
  if (s != Status::Running && s != Status::Created)
    return plainFail(f, "container not running: \"" + id + "\" is " + statusName(s) +
                            (s == Status::Paused ? " already (`runts resume " + id + "` resumes it)" : ""));
  if (rec.freezerFile.empty())
    return plainFail(f, "cannot pause container \"" + id +
                            "\": it has no freezer cgroup (this host has neither the cgroup v1 freezer controller nor cgroup v2)");
  if (!freeze(rec, f)) return false;
  // As runc's pause: the init may have exited between the status check and
  // the freeze; a frozen cgroup without the container in it is no pause.
  if (!isSameLiveProcess(rec.pid, rec.pidStartTime)) {
    thawQuietly(rec);
    return plainFail(f, "container process already exited: \"" + id + "\" is stopped");
  }
  return true;
}

bool resumeVerb(const VerbOptions& o, const std::string& id, Failure& f) {
  RecordLock lock;
  ContainerRecord rec;
  if (!loadLocked(o, id, lock, rec, f)) return false;
  Status s = liveStatus(rec);  // paused only where there is a freezer
  if (s != Status::Paused) return plainFail(f, "container not paused: \"" + id + "\" is " + statusName(s));
  return thaw(rec, f);
}

bool processesVerb(const VerbOptions& o, const std::string& id, std::vector<pid_t>& pids, Failure& f) {
  ContainerRecord rec;
  if (!loadRecord(o.root, id, rec, f)) return false;
  if (rec.storedStatus.empty())
    return plainFail(f, "container \"" + id + "\" has no state yet: it is being created, or its create was interrupted");
  if (rec.procsFile.empty())
    return plainFail(f, "container \"" + id + "\" has no cgroup to list its processes (ps needs one)");
  pids = listCgroupPids(rec.procsFile);
  return true;
}

}  // namespace runts
