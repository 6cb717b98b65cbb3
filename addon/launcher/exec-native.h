// `exec` in the launcher, without Node, for the form engines send:
//   exec [--pid-file F] --process FILE --detach [--tty --console-socket S] ID
// (also -p, -d, -t and --preserve-fds N), and the same without --detach and
// without a terminal: the launcher then waits for the process, forwards
// signals to it and exits with its code. The plan comes from
// addon/common/exec-plan.h, the launch from addon/node/launch.h, the very
// code the Node path runs. Anything the native path does not take, or a
// container not created or running, goes to Node (kNeedsNode), which words
// every refusal.
#pragma once

#include <string>

#include "../common/failure.h"

namespace runts::launcher {

struct ExecCommand {
  std::string root;
  std::string id;
  std::string processFile;
  std::string pidFile;
  std::string consoleSocket;
  bool detach = false;
  bool tty = false;
  int preserveFds = 0;
  std::string buildDir;  // where runts-init is
};

// argv[i] is the first argument after "exec". False: not a form the native path takes.
bool parseExecArgs(int argc, char** argv, int i, ExecCommand& cmd);

// 0 on success (attached: the process's exit code, 128+signal when killed,
// with f left empty); kNeedsNode to hand the command to Node (nothing was
// done); otherwise a failure in f with its exit code.
int runExec(const ExecCommand& cmd, Failure& f);

}  // namespace runts::launcher
