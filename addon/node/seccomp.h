// seccomp at create time, in the runtime: the profile description that
// TypeScript made from linux.seccomp (src/seccomp/translate.ts) is compiled
// with libseccomp into a classic BPF program, which the launch plan carries
// to runts-init. runts-init loads it with seccomp(2) and never links
// libseccomp, so it stays static and small.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../common/failure.h"

namespace runts::node {

struct CompiledSeccomp {
  std::string program;               // struct sock_filter[], host byte order
  std::vector<std::string> skipped;  // syscall names this libseccomp does not know
};

// description: the JSON of a SeccompDescription.
bool compileSeccomp(const std::string& description, CompiledSeccomp& out, Failure& f);

// The SECCOMP_FILTER_FLAG_* bits this kernel accepts (probed as libseccomp
// and runc do: a NULL program gives EFAULT for a known flag, EINVAL otherwise).
uint32_t seccompSupportedFlags();

// Which of these libseccomp architecture names this libseccomp knows.
std::vector<std::string> seccompKnownArchitectures(const std::vector<std::string>& names);

// libseccomp's version, "major.minor.micro".
std::string libseccompVersion();

// Sends the container process state and the listener fd to the seccomp
// agent at path (runtime-spec "seccomp state"): one message, the JSON in the
// payload and the fd in SCM_RIGHTS.
bool sendToSeccompAgent(const std::string& path, const std::string& state, int listenerFd, Failure& f);

}  // namespace runts::node
