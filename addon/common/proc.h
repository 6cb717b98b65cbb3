// Process identity: a pid alone can be recycled, so runts always pairs it
// with the process start time from /proc/<pid>/stat and signals through
// pidfds opened after checking that pair.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace runts {

struct ProcStat {
  char state = 0;           // R, S, D, Z, X, ...
  uint64_t startTime = 0;   // field 22, clock ticks since boot
};

// False when the process does not exist (or /proc cannot be read).
bool readProcStat(pid_t pid, ProcStat& out);

// True when pid is alive (not a zombie) and started at startTime.
bool isSameLiveProcess(pid_t pid, uint64_t startTime);

// pidfd_open(2); -1 with errno on failure.
int pidfdOpen(pid_t pid);

// Opens a pidfd for pid only if it is still the process that started at
// startTime (checked after opening, so a recycled pid is never signalled).
// Returns -1 when the process is gone or is another process.
int pidfdOpenVerified(pid_t pid, uint64_t startTime);

// pidfd_send_signal(2).
int pidfdSendSignal(int pidfd, int sig);

// Waits until the process behind pidfd exits; false on timeout.
bool pidfdWaitExit(int pidfd, int timeoutMs);

}  // namespace runts
