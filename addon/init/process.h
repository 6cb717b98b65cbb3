// The container process's own attributes: rlimits, oom_score_adj, session
// keyring, user and groups, capabilities, file descriptors, and finally the
// lookup and execve of args[0].
#pragma once

#include <string>
#include <vector>

#include "../common/failure.h"
#include "plan.h"

namespace runts::init {

bool applyOomScoreAdj(const Process& p, Failure& f);
bool applyRlimits(const Process& p, Failure& f);
bool joinSessionKeyring(const std::string& id, Failure& f);

// Capabilities that could not be given, as comma-separated numbers.
struct CapabilityWarnings {
  std::string unavailable;     // not in the runtime's own bounding set
  std::string ambientRefused;  // ambient but not permitted and inheritable
};

// Drops the bounding set, switches uid/gids and sets the capability sets.
// What cannot be granted is left out and reported in warnings (the spec
// asks for a warning, not an error).
bool applyCredentials(const Process& p, CapabilityWarnings& warnings, Failure& f);

// chdir to the cwd and check that it really is inside the container
// (CVE-2024-21626: a leaked fd used as cwd pointed outside).
bool enterCwd(const Process& p, Failure& f);

// Finds args[0] the way execvp would, as the container user; the message on
// failure is the one engines look for ("executable file not found in $PATH").
bool lookupExecutable(const Process& p, std::string& path, Failure& f);

// Marks every fd but stdio and the preserved ones close-on-exec.
bool closeExtraFds(const Process& p, Failure& f);

// Replaces the init with the user's program. Returns only on failure.
// HOME from the container's /etc/passwd entry of process.user.uid, "/" when
// it has none, when process.env sets no (or an empty) HOME, as runc and crun
// do; read in the container's root (after pivot_root). Returns the
// "HOME=..." entry to add, or "" when env has one.
std::string homeEntry(const Process& p);
// extraEnv: an entry appended to process.env (homeEntry's), if not empty.
void execProcess(const Process& p, const std::string& path, Failure& f, const std::string& extraEnv = "");

}  // namespace runts::init
