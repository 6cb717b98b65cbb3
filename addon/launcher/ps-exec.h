// Runs ps(1) for `runts ps` in table form. Only the launcher does this: it is
// single-threaded, so fork + execvp is safe here (the Node addon is not, and
// src/container/ps.ts runs ps through child_process instead).
#pragma once

#include <string>
#include <vector>

#include "../common/failure.h"

namespace runts {

// Runs `ps args...` (found through PATH, as runc does), stdin from
// /dev/null, stderr passed through; out is what it wrote to stdout. Fails
// when ps cannot be run or does not exit 0.
bool runPs(const std::vector<std::string>& args, std::string& out, Failure& f);

}  // namespace runts
