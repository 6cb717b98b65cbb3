#include "verbs.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

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

std::vector<pid_t> listCgroupPids(const std::string& procsFile) {
  std::vector<pid_t> pids;
  std::string text;
  Failure ignored;
  if (procsFile.empty() || !readFile(procsFile, text, ignored)) return pids;
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

bool setFrozen(const ContainerRecord& rec, bool frozen) {
  if (rec.freezerFile.empty()) return false;
  bool v2 = rec.freezerFile.size() >= 13 && rec.freezerFile.compare(rec.freezerFile.size() - 13, 13, "cgroup.freeze") == 0;
  std::string value = v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
  Failure ignored;
  return writeExisting(rec.freezerFile, value, ignored);
}

// Signals every process in the container's cgroup. The cgroup is frozen
// meanwhile (where there is a freezer) so that no process forks or exits
// and hands its pid to someone else between listing and signalling.
bool signalAllProcesses(const ContainerRecord& rec, int sig, Failure& f) {
  if (rec.procsFile.empty())
    return plainFail(f, "container \"" + rec.id + "\" has no cgroup to list its processes (kill --all needs one)");
  if (sig == SIGKILL && !rec.killFile.empty()) {
    Failure ignored;
    if (writeExisting(rec.killFile, "1", ignored)) return true;
  }
  bool wasFrozen = liveStatus(rec) == Status::Paused;
  bool froze = !wasFrozen && setFrozen(rec, true);
  for (pid_t pid : listCgroupPids(rec.procsFile)) {
    int fd = pidfdOpen(pid);
    if (fd < 0) continue;  // already gone
    pidfdSendSignal(fd, sig);
    close(fd);
  }
  // A frozen process only acts on SIGKILL once thawed.
  if (froze || (wasFrozen && sig == SIGKILL)) setFrozen(rec, false);
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
  if (fd < 0) return plainFail(f, "container \"" + rec.id + "\" is not running");
  if (pidfdSendSignal(fd, sig) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return sysFail(f, "signal container process", std::to_string(rec.pid));
  }
  close(fd);
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

void killMembers(const ContainerRecord& rec) {
  Failure ignored;
  if (!rec.procsFile.empty()) signalAllProcesses(rec, SIGKILL, ignored);
  for (pid_t pid : cgroupMembers(rec)) {
    int fd = pidfdOpen(pid);
    if (fd < 0) continue;
    pidfdSendSignal(fd, SIGKILL);
    close(fd);
  }
}

// Kills the init and everything else in the container's cgroups, then waits
// until they are gone so that the cgroups can be removed.
void killEverything(const ContainerRecord& rec) {
  int fd = openContainerPidfd(rec);
  if (fd >= 0) {
    pidfdSendSignal(fd, SIGKILL);
    pidfdWaitExit(fd, kExitWaitMs);
    close(fd);
  }
  for (int waited = 0; waited < kExitWaitMs; waited += 10) {
    if (cgroupMembers(rec).empty()) return;
    killMembers(rec);
    sleepMs(10);
  }
}

// A record that is damaged or missing cannot say where the container is:
// look where create puts a container by default (/runts/<id>) as well. What
// is found there is runts' own placement, so it is removed. A container with
// its own linux.cgroupsPath is found only through the parts of its record
// that are intact.
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

bool removeCgroups(const ContainerRecord& rec, Failure& f) {
  for (auto it = rec.cgroups.rbegin(); it != rec.cgroups.rend(); ++it) {
    if (!it->created) continue;
    int waited = 0;
    while (rmdir(it->path.c_str()) < 0) {
      if (errno == ENOENT) break;
      // EBUSY: processes that were just killed can take a moment to leave.
      if (errno == EBUSY && waited < 2000) {
        sleepMs(10);
        waited += 10;
        continue;
      }
      return sysFail(f, "remove cgroup", it->path,
                     errno == EBUSY ? "processes are still in it; see its cgroup.procs" : "");
    }
  }
  return true;
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
    case Status::Running:
    case Status::Paused: return plainFail(f, "cannot start an already running container \"" + id + "\"");
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
  if (sig == 0)
    return plainFail(f, "unknown signal \"" + signal + "\": use a name such as SIGTERM or KILL, or a number");
  ContainerRecord rec;
  if (!loadRecord(o.root, id, rec, f)) return false;
  if (handOff(o, rec, "kill", f)) return false;
  Status s = liveStatus(rec);
  if (s == Status::Stopped || s == Status::Creating || rec.storedStatus.empty())
    return plainFail(f, "container \"" + id + "\" is not running (status: " + statusName(s) + ")");
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
  if (!rec.damage.empty() && !force) return plainFail(f, damagedMessage(rec));
  if (rec.damage.empty() && handOff(o, rec, "delete", f)) return false;
  if (rec.unreliable()) addDefaultPlacement(rec);
  Status s = liveStatus(rec);
  // Without a record, what is alive in the container's cgroups says whether it runs.
  if (rec.storedStatus.empty() && !cgroupMembers(rec).empty()) s = Status::Running;
  if (!force && (s == Status::Running || s == Status::Paused))
    return plainFail(f, "cannot delete container \"" + id + "\" that is not stopped: " + statusName(s) +
                            " (stop it with `runts kill`, or use `runts delete --force`)");
  killEverything(rec);
  if (!removeCgroups(rec, f)) return false;
  return removeFlatDir(dir, f);
}

}  // namespace runts
