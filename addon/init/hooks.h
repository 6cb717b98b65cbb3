// The init's side of hooks (docs/hooks.md): the stops where it waits for the
// runtime (which runs the runtime-namespace hooks from TypeScript), and the
// hooks it runs itself, inside the container: createContainer (in the
// container's namespaces, before pivot_root) and startContainer (after
// `start`, just before execve).
#pragma once

#include <string>
#include <vector>

#include "../common/failure.h"
#include "plan.h"

namespace runts::init {

// The container state each of the init's own hook kinds gets on stdin, as
// the runtime sent it at the createRuntime stop (the pid as the host sees it).
struct HookStates {
  std::string createContainer;
  std::string startContainer;
};

// If the plan lists the stage among its stops: tells the runtime
// {"type":"stage","stage":...} and waits for {"type":"continue","data":...}.
// Anything else (an error, EOF) is a failure: the runtime refused to go on.
// data is the JSON text the runtime returned ("" when it returned none).
bool stopAt(const Plan& plan, const char* stage, int sync, std::string& data, Failure& f);

// The createRuntime stop's data: {"createContainer": state, "startContainer": state}.
bool readHookStates(const std::string& data, HookStates& out, Failure& f);

// Runs hooks in order; the first that fails stops the list (the message
// names it: hooks.<kind>[i], path, exit status or timeout, stderr tail).
bool runHooks(const std::vector<HookCommand>& hooks, const std::string& state, Failure& f);

}  // namespace runts::init
