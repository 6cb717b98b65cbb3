// The output of `ps`: the JSON list of pids (what containerd's shim reads)
// and runc's filter of a ps(1) table down to the container's processes. Pure
// functions: the launcher and the Node side (src/container/ps.ts) run ps(1)
// each their own way and both filter through here.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "failure.h"

namespace runts {

// "[1234,1235]\n"; "[]\n" for none (runc prints Go's "null" there).
std::string renderPidsJson(const std::vector<pid_t>& pids);

// Keeps the header line of ps(1)'s output and each line whose PID column
// (found by its title in the header, as runc does) holds one of pids. Fails
// when the header has no PID column or a line's PID field is not a number.
bool filterPsTable(const std::string& output, const std::vector<pid_t>& pids, std::string& out, Failure& f);

}  // namespace runts
