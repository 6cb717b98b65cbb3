// The loopback interface of a network namespace the container creates.
#pragma once

#include "../common/failure.h"

namespace runts::init {

// A new network namespace starts with `lo` down; runc and crun bring it up
// (runc's "loopback" network strategy), and programs expect 127.0.0.1 to
// answer. Runs in the new namespace, before any user switch.
bool bringUpLoopback(Failure& f);

}  // namespace runts::init
