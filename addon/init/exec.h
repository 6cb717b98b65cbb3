// runts exec: a new process in the namespaces and cgroups of a container
// that already runs. Stage 1 is main.cc's (join the namespaces, clone with
// CLONE_PARENT); the container process runs execStage instead of the create
// stage: no rootfs, mounts, devices, sysctls or hostname (the container has
// them), only the process's own attributes, in runc's setns order.
#pragma once

#include "../common/failure.h"
#include "plan.h"

namespace runts::init {

// Opens /proc/<exec.pid>, checks the start time recorded for the container
// against its stat, and opens each join's /proc/<pid>/ns/<name> through that
// directory fd, so that a recycled pid never lends its namespaces: a dead
// process's directory fd resolves nothing. Each join then names the open fd
// (/proc/self/fd/N) for joinNamespaces. A namespace the init is already in
// is dropped (setns into one's own user namespace is EINVAL).
// Call it in the runtime's namespaces, before stage 1 joins anything.
bool openExecNamespaces(Plan& plan, Failure& f);

// The exec'd process, after the clone: session, CPU affinity, scheduler,
// I/O priority, oom_score_adj, keyring, console, rlimits, umask, cwd (with
// the CVE-2024-21626 check), seccomp, credentials, LSM labels,
// no_new_privs, fd hygiene, personality; then ready/commit and execve.
[[noreturn]] void execStage(const Plan& plan, int sync, int console, int proc);

}  // namespace runts::init
