#include "events.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "container.h"
#include "fsutil.h"
#include "json.h"
#include "proc.h"

namespace runts {

namespace {

constexpr uint64_t kMaxDuration = uint64_t{1} << 63;

struct Unit {
  const char* name;
  uint64_t ns;
};
// µs is U+00B5 (micro sign) or U+03BC (Greek mu), as Go accepts both.
const Unit kUnits[] = {{"ns", 1},          {"us", 1000},          {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
                       {"ms", 1000000},    {"s", 1000000000},     {"m", 60000000000},  {"h", 3600000000000}};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::string quotedGo(const std::string& s) {
  std::string out;
  json::writeString(printable(s), out);
  return out;
}

int64_t monotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string statsLine(const std::string& id, const std::string& data) {
  std::string line = "{\"type\":\"stats\",\"id\":";
  json::writeString(id, line);
  line += ",\"data\":" + data + "}\n";
  return line;
}

// runc's order of checks: the interval's syntax (a flag), the container,
// the interval's value, the container's status. runc refuses only a stopped
// container: a created one has stats too.
bool prepare(const VerbOptions& o, const std::string& id, const std::string& interval, ContainerRecord& rec,
             int64_t& ns, Failure& f) {
  std::string why;
  if (!parseGoDuration(interval, ns, why))
    return plainFail(f, "invalid value " + quotedGo(interval) + " for --interval: " + why +
                            " (use a duration such as 5s, 100ms or 1m30s)");
  // Confined: the OOM watch writes to cgroup.event_control, and a record
  // edited to point elsewhere must not make events read or register on
  // arbitrary files.
  if (!loadRecord(o.root, id, rec, f, true)) return false;
  if (ns <= 0) return plainFail(f, "duration interval must be greater than 0");
  Status s = liveStatus(rec);
  if (rec.storedStatus.empty() || s == Status::Stopped || s == Status::Creating)
    return plainFail(f, "container with id " + id + " is not running");
  return true;
}

}  // namespace

bool parseGoDuration(const std::string& text, int64_t& ns, std::string& why) {
  std::string s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s = s.substr(1);
  }
  if (s == "0") {
    ns = 0;
    return true;
  }
  why = "time: invalid duration " + quotedGo(text);
  if (s.empty()) return false;
  uint64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (!(s[i] == '.' || isDigit(s[i]))) return false;
    // The integer part: an overflow is an error.
    uint64_t v = 0;
    size_t start = i;
    for (; i < s.size() && isDigit(s[i]); i++) {
      if (v > kMaxDuration / 10) return false;
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kMaxDuration) return false;
    }
    bool pre = i != start;
    // The fraction: digits beyond what fits are ignored.
    uint64_t frac = 0;
    double scale = 1;
    bool post = false;
    if (i < s.size() && s[i] == '.') {
      i++;
      size_t fstart = i;
      bool overflow = false;
      for (; i < s.size() && isDigit(s[i]); i++) {
        if (overflow) continue;
        if (frac > (kMaxDuration - 1) / 10) {
          overflow = true;
          continue;
        }
        uint64_t y = frac * 10 + static_cast<uint64_t>(s[i] - '0');
        if (y > kMaxDuration) {
          overflow = true;
          continue;
        }
        frac = y;
        scale *= 10;
      }
      post = i != fstart;
    }
    if (!pre && !post) return false;
    size_t ustart = i;
    while (i < s.size() && s[i] != '.' && !isDigit(s[i])) i++;
    if (i == ustart) {
      why = "time: missing unit in duration " + quotedGo(text);
      return false;
    }
    std::string unitName = s.substr(ustart, i - ustart);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits)
      if (unitName == u.name) unit = &u;
    if (!unit) {
      why = "time: unknown unit " + quotedGo(unitName) + " in duration " + quotedGo(text);
      return false;
    }
    if (v > kMaxDuration / unit->ns) return false;
    v *= unit->ns;
    if (frac > 0) {
      v += static_cast<uint64_t>(static_cast<double>(frac) * (static_cast<double>(unit->ns) / scale));
      if (v > kMaxDuration) return false;
    }
    total += v;
    if (total > kMaxDuration) return false;
  }
  if (neg) {
    ns = total == kMaxDuration ? INT64_MIN : -static_cast<int64_t>(total);
    return true;
  }
  if (total > kMaxDuration - 1) return false;
  ns = static_cast<int64_t>(total);
  return true;
}

bool statsEventVerb(const VerbOptions& o, const std::string& id, const std::string& interval, std::string& line,
                    Failure& f) {
  ContainerRecord rec;
  int64_t ns;
  if (!prepare(o, id, interval, rec, ns, f)) return false;
  std::string data;
  if (!readStatsJson(statsSourcesOf(rec.layout(), rec.cgroups), data, f)) return false;
  line = statsLine(id, data);
  return true;
}

bool eventsVerb(const VerbOptions& o, const std::string& id, const std::string& interval, bool statsOnly,
                const EmitLine& emit, const LogError& logError, Failure& f) {
  if (statsOnly) {
    std::string line;
    if (!statsEventVerb(o, id, interval, line, f)) return false;
    emit(line);
    return true;
  }
  EventsStream stream;
  return stream.open(o, id, interval, f) && stream.run(-1, emit, logError, f);
}

EventsStream::~EventsStream() {
  for (int fd : {pidfd_, oomFd_, controlFd_})
    if (fd >= 0) close(fd);
}

bool EventsStream::open(const VerbOptions& o, const std::string& id, const std::string& interval, Failure& f) {
  ContainerRecord rec;
  if (!prepare(o, id, interval, rec, intervalNs_, f)) return false;
  id_ = id;
  sources_ = statsSourcesOf(rec.layout(), rec.cgroups);
  pidfd_ = pidfdOpenVerified(rec.pid, rec.pidStartTime);
  if (pidfd_ < 0) return plainFail(f, "container with id " + id + " is not running");
  std::string dir = sources_.memoryDir();
  if (dir.empty())
    return plainFail(f, "container \"" + id + "\" has no memory cgroup to watch for OOM kills (`runts events --stats " +
                            id + "` shows its statistics)");
  if (!sources_.unified) {
    // memory.oom_control's notification (cgroup-v1/memory.rst): "<eventfd>
    // <fd of memory.oom_control>" written to cgroup.event_control.
    std::string control = dir + "/memory.oom_control";
    controlFd_ = ::open(control.c_str(), O_RDONLY | O_CLOEXEC);
    if (controlFd_ < 0) return sysFail(f, "open", control);
    oomFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (oomFd_ < 0) return sysFail(f, "eventfd for OOM notifications");
    return writeExisting(dir + "/cgroup.event_control", std::to_string(oomFd_) + " " + std::to_string(controlFd_), f);
  }
  // v2 has no notification of its own: memory.events changes (an inotify
  // IN_MODIFY) and its oom_kill counter says whether a process was killed.
  if (!cgroupValueByKey(dir + "/memory.events", "oom_kill", oomKills_, f)) {
    if (f.err == ENOENT)
      return plainFail(f, "container \"" + id + "\" has no memory controller in its cgroup " + dir +
                              " (no memory.events) to watch for OOM kills (`runts events --stats " + id +
                              "` shows its statistics)");
    return false;
  }
  oomFd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (oomFd_ < 0) return sysFail(f, "inotify_init1 for OOM notifications");
  std::string events = dir + "/memory.events", cgroupEvents = dir + "/cgroup.events";
  eventsWatch_ = inotify_add_watch(oomFd_, events.c_str(), IN_MODIFY);
  if (eventsWatch_ < 0) return sysFail(f, "inotify_add_watch", events);
  // cgroupfs sends no IN_DELETE_SELF: an empty cgroup shows in cgroup.events.
  cgroupWatch_ = inotify_add_watch(oomFd_, cgroupEvents.c_str(), IN_MODIFY);
  if (cgroupWatch_ < 0) return sysFail(f, "inotify_add_watch", cgroupEvents);
  return true;
}

std::string EventsStream::oomLine() const {
  std::string line = "{\"type\":\"oom\",\"id\":";
  json::writeString(id_, line);
  return line + "}\n";
}

bool EventsStream::oomKillCountRose() {
  uint64_t now = 0;
  Failure ignored;
  if (!cgroupValueByKey(sources_.unifiedDir + "/memory.events", "oom_kill", now, ignored) || now <= oomKills_) return false;
  oomKills_ = now;
  return true;
}

EventsStream::Wake EventsStream::readOomFd() {
  Wake w;
  if (!sources_.unified) {
    uint64_t count;
    if (read(oomFd_, &count, sizeof count) != sizeof count) return w;
    // The eventfd also fires when the cgroup is removed (runc's check).
    struct stat st;
    bool removed = lstat((sources_.memoryDir() + "/cgroup.event_control").c_str(), &st) < 0 && errno == ENOENT;
    (removed ? w.gone : w.oom) = true;
    return w;
  }
  alignas(struct inotify_event) char buf[4096];
  bool memoryEvents = false, cgroupEvents = false;
  for (;;) {
    ssize_t n = read(oomFd_, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(struct inotify_event)) <= n;) {
      const auto* e = reinterpret_cast<const struct inotify_event*>(buf + off);
      memoryEvents = memoryEvents || e->wd == eventsWatch_;
      cgroupEvents = cgroupEvents || e->wd == cgroupWatch_;
      off += static_cast<ssize_t>(sizeof(struct inotify_event) + e->len);
    }
  }
  w.oom = memoryEvents && oomKillCountRose();
  if (cgroupEvents) {
    uint64_t populated = 1;
    Failure ignored;
    w.gone = !cgroupValueByKey(sources_.unifiedDir + "/cgroup.events", "populated", populated, ignored) || populated == 0;
  }
  return w;
}

// A last look once the container stopped: an OOM kill of the init shows on
// the notification before its exit shows on the pidfd, but the loop may not
// have read it yet.
bool EventsStream::pendingOom() {
  if (sources_.unified) return oomKillCountRose();
  return readOomFd().oom;
}

bool EventsStream::run(int cancelFd, const EmitLine& emit, const LogError& logError, Failure& f) {
  const int64_t intervalNs = intervalNs_;
  int64_t next = monotonicNs() + intervalNs;
  for (;;) {
    struct pollfd fds[3] = {{pidfd_, POLLIN, 0}, {oomFd_, POLLIN, 0}, {cancelFd, POLLIN, 0}};
    int64_t wait = next - monotonicNs();
    if (wait < 0) wait = 0;
    struct timespec timeout = {static_cast<time_t>(wait / 1000000000), static_cast<long>(wait % 1000000000)};
    int n = ppoll(fds, cancelFd >= 0 ? 3 : 2, &timeout, nullptr);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysFail(f, "wait for container events");
    if (cancelFd >= 0 && fds[2].revents) return true;
    bool stopped = fds[0].revents != 0;
    if (fds[1].revents) {
      Wake w = readOomFd();
      if (w.oom && !emit(oomLine())) return true;
      stopped = stopped || w.gone;
    }
    if (stopped) {
      if (pendingOom()) emit(oomLine());
      return true;
    }
    if (monotonicNs() < next) continue;
    std::string data;
    Failure statsFailure;
    if (readStatsJson(sources_, data, statsFailure)) {
      if (!emit(statsLine(id_, data))) return true;
    } else {
      logError(statsFailure.message());
    }
    // As Go's time.Tick: ticks missed while busy are dropped, not bunched.
    next += intervalNs;
    int64_t now = monotonicNs();
    if (next <= now) next = now + intervalNs;
  }
}

}  // namespace runts
