// The process attributes the runtime-spec gives a system call each:
// dumpability, NUMA memory policy, scheduling policy, CPU affinity, I/O
// priority and execution domain. One function per step; a failure names the
// step, errno and, where the cause is usually the host or a missing
// privilege, what to do. The order they run in is main.cc's (see
// docs/process-fields.md).
#pragma once

#include "../common/failure.h"
#include "plan.h"

namespace runts::init {

// prctl(PR_SET_DUMPABLE, 0): while runts-init sets up and waits for
// `start`, nothing in the container (or in a pid namespace that joins it)
// may ptrace it or read its memory or environment. execve of the user's
// program gives that program the kernel's normal dumpability again.
bool makeNonDumpable(Failure& f);

// set_mempolicy(2) with linux.memoryPolicy; inherited across fork and
// execve.
bool applyMemoryPolicy(const Plan& plan, Failure& f);

// sched_setattr(2) with process.scheduler. ownUserNamespace: the container
// process is in a user namespace of its own or a joined one, where its
// capabilities do not count for the scheduler's privilege checks.
bool applyScheduler(const Process& p, bool ownUserNamespace, Failure& f);

// sched_setaffinity(2) to every CPU the cpuset allows (runc and crun do the
// same), so that a runtime started under `taskset` does not pin the
// container. process.execCPUAffinity is not used here: it is for exec.
bool resetCpuAffinity(const Process& p, Failure& f);

// ioprio_set(2) with process.ioPriority; children inherit it.
bool applyIoPriority(const Process& p, bool ownUserNamespace, Failure& f);

// personality(2) with linux.personality; kept across execve.
bool applyPersonality(const Plan& plan, Failure& f);

}  // namespace runts::init
