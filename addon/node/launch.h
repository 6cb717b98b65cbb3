// The one native entry that makes a process inside namespaces: create and
// run use it now, exec will (joining the container's namespaces instead of
// creating new ones). It starts runts-init from a sealed memfd with
// posix_spawn, so that nothing runs in a forked copy of the multi-threaded
// Node process, and drives the sync protocol (addon/common/channel.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "../common/failure.h"

namespace runts::node {

struct LaunchRequest {
  std::string initPath;  // the runts-init executable to copy into the memfd
  std::string plan;      // launch plan JSON
  std::vector<std::string> cgroupProcsFiles;
  std::string uidMap;  // contents for /proc/<pid>/uid_map ("" when no new user namespace)
  std::string gidMap;
  std::string execFifo;       // path of the fifo `start` writes to
  std::string consoleSocket;  // --console-socket path
  // `run` in a terminal: the pty master comes back in LaunchResult instead
  // of going to a console socket.
  bool attachConsole = false;
  int preserveFds = 0;
  int timeoutMs = 60000;
  // SCMP_ACT_NOTIFY: where the listener fd goes, with the container process
  // state (JSON; its "pid" and "state.pid" are filled in here).
  std::string seccompListenerPath;
  std::string seccompState;
  // The runtime's part of a stage the init stops at (plan.hooks.stops, e.g.
  // "createRuntime": the TypeScript side runs the hooks). Called on the
  // calling thread, inside launch(); data goes back to the init with
  // "continue". False: the launch fails with f.
  std::function<bool(const std::string& stage, pid_t pid, std::string& data, Failure& f)> onStage;
  // A second fifo, created like execFifo, on which the init reports a
  // failure after `start` (a startContainer hook, execve); "" for none.
  std::string startFifo;
  // exec: process.execCPUAffinity.initial, set on runts-init before it is
  // moved into the container's cgroups (64-bit mask words, lowest first).
  std::vector<uint64_t> initialCpuAffinity;
};

struct LaunchResult {
  pid_t pid = 0;
  uint64_t startTime = 0;
  int syncFd = -1;  // kept open until commitLaunch/abortLaunch
  int consoleFd = -1;  // the pty master, with attachConsole
  // Milliseconds from the start of launch to each step, for --debug.
  std::vector<std::pair<std::string, double>> timings;
  std::string capsUnavailable;  // comma-separated capability numbers
  std::string ambientRefused;
};

bool launch(const LaunchRequest& req, LaunchResult& out, Failure& f);

// The state is written: the init stops dying with its parent. syncFd is
// closed in every case, success or failure.
bool commitLaunch(int syncFd, Failure& f);

// Kills a launched container process and reaps it; closes syncFd unless it
// is -1 (after a commitLaunch, which has closed it already).
void abortLaunch(int syncFd, pid_t pid, uint64_t startTime);

}  // namespace runts::node
