// Runs one OCI hook: path, argv and envp exactly as given, the container
// state on a pipe to its stdin, stdout and stderr captured (their tails go
// into the failure message, as runc does; nothing reaches the runtime's or
// the container's stdio), and a timeout after which the hook's process
// group is killed. Used by runts-init (createContainer, startContainer,
// inside the container) and by the Node addon (the runtime-namespace kinds).
// It only uses posix_spawn, so it is safe in the multi-threaded Node
// process as in the single-threaded init.
#pragma once

#include <string>
#include <vector>

#include "failure.h"

namespace runts {

struct HookCommand {
  std::string kind;  // "createRuntime", ... for messages
  int index = 0;     // position in hooks.<kind>
  std::string path;
  std::vector<std::string> args;  // argv, args[0] included
  std::vector<std::string> env;
  int timeoutMs = 0;  // 0: no timeout
  std::string cwd;    // "" : the caller's
};

struct HookOutcome {
  int spawnErrno = 0;  // posix_spawn failed (the hook never ran)
  bool exited = false;
  int exitStatus = 0;
  int signal = 0;
  bool timedOut = false;
  std::string out, err;  // tails of what the hook wrote
  bool ok() const { return spawnErrno == 0 && !timedOut && exited && exitStatus == 0; }
};

// False only when the runner itself could not work (pipes, poll): a hook
// that fails is a true return with a failed outcome.
bool runHookCommand(const HookCommand& cmd, const std::string& stdinText, HookOutcome& out, Failure& f);

// "hook hooks.createRuntime[0] (/usr/bin/x) exited with status 3; stderr: ..."
std::string hookFailureMessage(const HookCommand& cmd, const HookOutcome& out);

}  // namespace runts
