// The sync channel between the runtime (the addon, in the Node process) and
// runts-init: length-prefixed JSON messages over a stream socketpair. The
// init reports every failure through it as {step, path, errno}, which the
// TypeScript side turns into the message users read.
#pragma once

#include <string>

#include "failure.h"
#include "json.h"

namespace runts {

// Message types, in the order a launch exchanges them.
//   parent -> init : plan
//   init -> parent : userns         (parent writes uid_map/gid_map)
//   parent -> init : userns-done
//   init -> parent : pid            (the container process, as the host sees it)
//   init -> parent : stage          ({"stage": name}: a stop of plan.hooks.stops;
//                                    the runtime does its part, e.g. hooks)
//   parent -> init : continue       ({"data": text}) or error (the init exits)
//   init -> parent : seccomp        (then one byte carrying the listener fd
//                                    in SCM_RIGHTS; only with SCMP_ACT_NOTIFY)
//   parent -> init : seccomp-done   (the fd went to the seccomp agent)
//   init -> parent : ready          (set up; waiting for start)
//   parent -> init : commit         (state is written; stop dying with the parent)
//   init -> parent : committed
//   init -> parent : error          (at any point; the init exits)

bool sendFrame(int fd, const std::string& payload);
// timeoutMs < 0 waits forever. Returns false on EOF, error or timeout
// (errno is ETIMEDOUT for a timeout, 0 for EOF).
bool recvFrame(int fd, std::string& payload, int timeoutMs);

bool sendMessage(int fd, const json::Value& msg);
bool sendSimple(int fd, const char* type);
bool recvMessage(int fd, json::Value& msg, int timeoutMs);

json::Value failureMessage(const Failure& f);
Failure failureFromMessage(const json::Value& msg);

}  // namespace runts
