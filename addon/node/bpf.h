// The system calls of the cgroup v2 device filter, one function per step.
// The program itself is emitted in TypeScript (src/cgroups/devices-bpf.ts);
// these only load it, attach it to a cgroup and detach earlier ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../common/failure.h"

namespace runts::node {

// bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program; on failure
// the verifier's log is the Failure's detail.
bool bpfLoadDeviceProgram(const uint8_t* insns, size_t size, const std::string& license, int& fd, Failure& f);
// bpf(BPF_PROG_QUERY): ids of the device programs attached to the cgroup.
bool bpfQueryDevicePrograms(const std::string& cgroupDir, std::vector<uint32_t>& ids, Failure& f);
// bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI).
bool bpfAttachDeviceProgram(const std::string& cgroupDir, int progFd, Failure& f);
// bpf(BPF_PROG_GET_FD_BY_ID) + bpf(BPF_PROG_DETACH) of one attached program.
bool bpfDetachDeviceProgram(const std::string& cgroupDir, uint32_t progId, Failure& f);

}  // namespace runts::node
