// Loading the seccomp filter the runtime compiled (plan.seccomp). runts-init
// does not link libseccomp: the program is already BPF, and the init only
// hands it to seccomp(2).
#pragma once

#include "../common/failure.h"
#include "plan.h"

namespace runts::init {

// Loads the filter into this process. With SCMP_ACT_NOTIFY rules, the
// listener fd goes to the runtime over the sync socket, and the init waits
// until the runtime has passed it to the seccomp agent.
//
// Every system call the init makes after this is filtered too: the callers
// load it as late as runc does (see main.cc), and what follows is the
// credential switch (without no_new_privs), the sync messages, the exec-fifo
// read, the signal resets and execve.
bool loadSeccomp(const Seccomp& s, int sync, Failure& f);

}  // namespace runts::init
