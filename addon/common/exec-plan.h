// The exec plan for the launcher's native `exec` (the engines' form:
// `exec --process FILE --detach [--pid-file F] [--tty --console-socket S]
// ID`), so that an engine's exec does not pay for Node's start.
//
// It is the fast parser's bargain applied to documents: the native planner
// takes only a simple, well-formed subset of exec.json and of the process
// document (the fields engines send, every value checked) and declines
// everything else, which then goes to Node (src/plan/exec.ts), the reference
// that reports every problem with its path. For what it takes, it must
// produce exactly the plan the TypeScript planner produces:
// test/unit/exec-native.test.ts compares the two on a corpus.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace runts {

struct NativeExecPlan {
  std::string planJson;
  bool terminal = false;
  // Every capability the process asks for, and whether its ambient ones
  // are all permitted and inheritable: the launcher declines what would
  // need a warning (the TypeScript side words those).
  uint64_t requestedCaps = 0;
  bool ambientGrantable = true;
  int preserveFds = 0;
};

// recordText: <root>/<id>/exec.json; processText: the --process file.
// listenFds: the runtime's LISTEN_FDS (nullptr when unset). False: declined.
bool planNativeExec(const std::string& id, const std::string& recordText, const std::string& processText, pid_t pid,
                    uint64_t startTime, int preserveFds, const char* listenFds, NativeExecPlan& out);

}  // namespace runts
