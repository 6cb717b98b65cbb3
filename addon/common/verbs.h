// The verbs that engines call most often (state, start, kill, delete, pause,
// resume, ps), implemented once in C++ and used both by the native launcher
// (no Node start at all) and by the Node addon (the library API and the
// yargs CLI).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "failure.h"

namespace runts {

// Where a verb on a container needs work that only the TypeScript side does
// (hooks), a caller that set handOffToNode gets a failure with this exit
// code instead, before anything was changed: the launcher then runs the
// command under Node.
constexpr int kNeedsNode = -2;

struct VerbOptions {
  std::string root;
  bool handOffToNode = false;
  // Where a verb's warnings go (the launcher's log lines, or back to Node);
  // none are shown without it.
  std::function<void(const std::string&)> warn;
};

// Returns the state JSON in out.
bool stateVerb(const VerbOptions& o, const std::string& id, std::string& out, Failure& f);
bool startVerb(const VerbOptions& o, const std::string& id, Failure& f);
bool killVerb(const VerbOptions& o, const std::string& id, const std::string& signal, bool all, Failure& f);
bool deleteVerb(const VerbOptions& o, const std::string& id, bool force, Failure& f);
// Freezes a running or created container and waits until it is frozen.
bool pauseVerb(const VerbOptions& o, const std::string& id, Failure& f);
// Thaws a paused container.
bool resumeVerb(const VerbOptions& o, const std::string& id, Failure& f);
// The pids of every process in the container's cgroup and the cgroups
// below it, in runc's order (`ps`).
bool processesVerb(const VerbOptions& o, const std::string& id, std::vector<pid_t>& pids, Failure& f);

}  // namespace runts
