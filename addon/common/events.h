// `events`, as runc's events.go: with --stats one stats event and exit;
// without, a stats event every --interval and an oom event whenever the
// kernel's OOM killer acts in the container's memory cgroup, until the
// container stops. Each event is one JSON line: {"type":"stats","id":ID,
// "data":{...}} (cgroup-stats.h) or {"type":"oom","id":ID}.
//
// One implementation for both callers: the launcher runs the loop in its
// own process and writes the lines to stdout; the Node addon runs it on a
// worker thread and hands each line to JavaScript (src/container/events.ts).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "cgroup-stats.h"
#include "failure.h"
#include "verbs.h"

namespace runts {

// Go's time.ParseDuration ("5s", "100ms", "1m30s", "1.5h", "-2s", "0"), the
// syntax of runc's --interval. why gets Go's wording of the problem.
bool parseGoDuration(const std::string& text, int64_t& ns, std::string& why);

using EmitLine = std::function<bool(const std::string&)>;
using LogError = std::function<void(const std::string&)>;

// `events --stats ID`: the stats event as one line (ending in '\n'). The
// interval is checked as runc checks it, though unused.
bool statsEventVerb(const VerbOptions& o, const std::string& id, const std::string& interval, std::string& line,
                    Failure& f);

// The whole verb, for the launcher: emit gets each line (ending in '\n')
// and returns false to stop (the reader went away); logError gets a stats
// failure of the stream, which goes on after it, as runc's does.
bool eventsVerb(const VerbOptions& o, const std::string& id, const std::string& interval, bool statsOnly,
                const EmitLine& emit, const LogError& logError, Failure& f);

class EventsStream {
 public:
  EventsStream() = default;
  EventsStream(const EventsStream&) = delete;
  EventsStream& operator=(const EventsStream&) = delete;
  ~EventsStream();

  bool open(const VerbOptions& o, const std::string& id, const std::string& interval, Failure& f);

  // Streams as eventsVerb says. A readable cancelFd (>= 0) stops it too.
  // Returns false only when waiting itself fails.
  bool run(int cancelFd, const EmitLine& emit, const LogError& logError, Failure& f);

 private:
  struct Wake {
    bool oom = false;   // the OOM killer acted
    bool gone = false;  // the cgroup was removed (v1) or emptied (v2)
  };
  Wake readOomFd();
  bool pendingOom();
  bool oomKillCountRose();
  std::string oomLine() const;

  std::string id_;
  int64_t intervalNs_ = 0;
  StatsSources sources_;
  int pidfd_ = -1;
  int oomFd_ = -1;        // v1: the eventfd; v2: the inotify fd
  int controlFd_ = -1;    // v1: memory.oom_control, open while registered
  int eventsWatch_ = -1;  // v2: the watch on memory.events
  int cgroupWatch_ = -1;  // v2: the watch on cgroup.events
  uint64_t oomKills_ = 0; // v2: memory.events oom_kill last seen
};

}  // namespace runts
