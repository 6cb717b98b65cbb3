// process.terminal: a pseudoterminal from the container's own devpts, whose
// master goes to the --console-socket (SCM_RIGHTS, as the runtime-spec CLI
// document and runc do) and whose slave becomes /dev/console and stdio.
#pragma once

#include "../common/failure.h"
#include "plan.h"
#include "rootpath.h"

namespace runts::init {

// Before pivot_root: allocates the pty, binds the slave on /dev/console,
// sends the master. Returns the slave fd in slaveFd.
bool setupConsole(const Plan& plan, const RootDir* root, int consoleSocket, int& slaveFd, Failure& f);
// After pivot_root: the slave becomes stdin/stdout/stderr and the
// controlling terminal.
bool attachConsole(int slaveFd, Failure& f);

}  // namespace runts::init
