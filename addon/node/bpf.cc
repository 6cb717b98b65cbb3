#include "bpf.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../common/unique-fd.h"

namespace runts::node {

namespace {

long sysBpf(int cmd, union bpf_attr& attr) {
  return syscall(__NR_bpf, cmd, &attr, sizeof attr);
}

// The cgroup directory as the fd bpf() targets; -1 with f filled on failure.
int openCgroup(const std::string& dir, Failure& f) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) sysFail(f, "open cgroup", dir);
  return fd;
}

long loadOnce(const uint8_t* insns, size_t size, const std::string& license, char* log, uint32_t logSize) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insn_cnt = static_cast<uint32_t>(size / sizeof(struct bpf_insn));
  attr.insns = reinterpret_cast<uintptr_t>(insns);
  attr.license = reinterpret_cast<uintptr_t>(license.c_str());
  if (log) {
    attr.log_level = 1;
    attr.log_buf = reinterpret_cast<uintptr_t>(log);
    attr.log_size = logSize;
  }
  memcpy(attr.prog_name, "runts_devices", sizeof "runts_devices");
  return sysBpf(BPF_PROG_LOAD, attr);
}

}  // namespace

bool bpfLoadDeviceProgram(const uint8_t* insns, size_t size, const std::string& license, int& fd, Failure& f) {
  if (size == 0 || size % sizeof(struct bpf_insn) != 0) {
    errno = EINVAL;
    return sysFail(f, "bpf BPF_PROG_LOAD", "", "the program is not a whole number of instructions");
  }
  long r = loadOnce(insns, size, license, nullptr, 0);
  if (r < 0 && errno == EPERM) {
    // Kernels before 5.11 charge programs to RLIMIT_MEMLOCK (runc raises it
    // too). Only for this load: the container's init inherits our limits.
    struct rlimit old;
    if (getrlimit(RLIMIT_MEMLOCK, &old) == 0) {
      struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
      if (setrlimit(RLIMIT_MEMLOCK, &unlimited) == 0) {
        r = loadOnce(insns, size, license, nullptr, 0);
        int saved = errno;
        setrlimit(RLIMIT_MEMLOCK, &old);
        errno = saved;
      }
    }
  }
  if (r < 0) {
    int err = errno;
    // Load again with the verifier's log, to say why.
    std::vector<char> log(65536, '\0');
    loadOnce(insns, size, license, log.data(), static_cast<uint32_t>(log.size()));
    log.back() = '\0';
    errno = err;
    std::string text(log.data());
    return sysFail(f, "bpf BPF_PROG_LOAD", "", text.empty() ? "" : "verifier log: " + text);
  }
  fd = static_cast<int>(r);
  return true;
}

bool bpfQueryDevicePrograms(const std::string& cgroupDir, std::vector<uint32_t>& ids, Failure& f) {
  Fd dir(openCgroup(cgroupDir, f));
  if (dir.fd < 0) return false;
  // A cgroup holds at most 64 programs per attach type; ENOSPC tells the count.
  std::vector<uint32_t> buf(64);
  for (int attempt = 0; attempt < 4; attempt++) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = static_cast<uint32_t>(dir.fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = reinterpret_cast<uintptr_t>(buf.data());
    attr.query.prog_cnt = static_cast<uint32_t>(buf.size());
    if (sysBpf(BPF_PROG_QUERY, attr) == 0) {
      ids.assign(buf.begin(), buf.begin() + attr.query.prog_cnt);
      return true;
    }
    if (errno != ENOSPC) break;
    buf.resize(attr.query.prog_cnt + 8);
  }
  return sysFail(f, "bpf BPF_PROG_QUERY", cgroupDir);
}

bool bpfAttachDeviceProgram(const std::string& cgroupDir, int progFd, Failure& f) {
  Fd dir(openCgroup(cgroupDir, f));
  if (dir.fd < 0) return false;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(dir.fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(progFd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  return sysBpf(BPF_PROG_ATTACH, attr) == 0 || sysFail(f, "bpf BPF_PROG_ATTACH", cgroupDir);
}

bool bpfDetachDeviceProgram(const std::string& cgroupDir, uint32_t progId, Failure& f) {
  union bpf_attr get;
  memset(&get, 0, sizeof get);
  get.prog_id = progId;
  Fd prog(static_cast<int>(sysBpf(BPF_PROG_GET_FD_BY_ID, get)));
  if (prog.fd < 0) return sysFail(f, "bpf BPF_PROG_GET_FD_BY_ID", cgroupDir, "program id " + std::to_string(progId));
  Fd dir(openCgroup(cgroupDir, f));
  if (dir.fd < 0) return false;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(dir.fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  return sysBpf(BPF_PROG_DETACH, attr) == 0 || sysFail(f, "bpf BPF_PROG_DETACH", cgroupDir, "program id " + std::to_string(progId));
}

}  // namespace runts::node
