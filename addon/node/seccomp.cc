#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <map>

#include "../common/fd-passing.h"
#include "../common/json.h"
#include "../common/unique-fd.h"

namespace runts::node {

namespace {

constexpr uint32_t kRetErrnoEnosys = SECCOMP_RET_ERRNO | ENOSYS;
constexpr uint32_t kX32SyscallBit = 0x40000000;

// Frees the libseccomp context on every return path (-fno-exceptions: no RAII
// beyond destructors).
struct Context {
  scmp_filter_ctx ctx = nullptr;
  ~Context() {
    if (ctx) seccomp_release(ctx);
  }
};

// libseccomp returns -errno.
bool scmpFail(Failure& f, int rc, std::string step, std::string path = "") {
  errno = -rc;
  return sysFail(f, std::move(step), std::move(path));
}

bool addArchitectures(scmp_filter_ctx ctx, const json::Value& desc, Failure& f) {
  const json::Value* archs = desc.get("architectures");
  if (!archs || !archs->isArray()) return true;
  for (const auto& a : archs->items) {
    uint32_t token = seccomp_arch_resolve_name(a.text.c_str());
    if (token == 0) return plainFail(f, "seccomp: architecture \"" + a.text + "\" is not known to this libseccomp");
    if (seccomp_arch_exist(ctx, token) == 0) continue;
    int rc = seccomp_arch_add(ctx, token);
    if (rc < 0) return scmpFail(f, rc, "seccomp: add architecture", a.text);
  }
  return true;
}

bool addRule(scmp_filter_ctx ctx, const json::Value& rule, CompiledSeccomp& out, Failure& f) {
  std::string name = rule.str("syscall");
  int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr == __NR_SCMP_ERROR) {
    // As runc: a syscall this libseccomp does not know is one this kernel
    // may not have either; the profile stays usable.
    if (std::find(out.skipped.begin(), out.skipped.end(), name) == out.skipped.end()) out.skipped.push_back(name);
    return true;
  }
  std::vector<scmp_arg_cmp> conds;
  if (const json::Value* c = rule.get("conditions"); c && c->isArray()) {
    for (const auto& item : c->items) {
      scmp_arg_cmp cmp = {};
      cmp.arg = static_cast<unsigned>(item.u64("index"));
      cmp.op = static_cast<scmp_compare>(item.u64("op"));
      cmp.datum_a = item.u64("value");
      cmp.datum_b = item.u64("valueTwo");
      conds.push_back(cmp);
    }
  }
  uint32_t action = static_cast<uint32_t>(rule.u64("action"));
  int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conds.size()), conds.data());
  if (rc < 0) return scmpFail(f, rc, "seccomp: add rule for syscall " + name);
  return true;
}

bool exportProgram(scmp_filter_ctx ctx, std::string& program, Failure& f) {
  Fd mem;
  mem.fd = memfd_create("runts-seccomp", MFD_CLOEXEC);
  if (mem.fd < 0) return sysFail(f, "seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx, mem.fd);
  if (rc < 0) return scmpFail(f, rc, "seccomp: export the BPF program");
  off_t size = lseek(mem.fd, 0, SEEK_END);
  if (size < 0) return sysFail(f, "seccomp: size of the BPF program");
  program.resize(static_cast<size_t>(size));
  size_t done = 0;
  while (done < program.size()) {
    ssize_t n = pread(mem.fd, program.data() + done, program.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sysFail(f, "seccomp: read the BPF program");
    done += static_cast<size_t>(n);
  }
  if (program.size() % sizeof(sock_filter) != 0) return plainFail(f, "seccomp: libseccomp exported a truncated program");
  return true;
}

// ---- runc's -ENOSYS stub (libcontainer/seccomp/patchbpf) -----------------
// libseccomp gives every syscall the profile does not name the default
// action, so a program probing a syscall newer than the profile (clone3,
// openat2, ...) gets EPERM and does not fall back. runc prepends a stub
// that returns ENOSYS for any syscall number above the largest one the
// profile names, per architecture; runts prepends the same stub, so that
// containers behave as under runc. Jumps are counted from the end of the
// stub, as runc builds it, so that they stay valid while it grows.

struct Stub {
  std::vector<sock_filter> insns;  // built back to front
  void prepend(std::vector<sock_filter> section) {
    section.insert(section.end(), insns.begin(), insns.end());
    insns.swap(section);
  }
  uint32_t size() const { return static_cast<uint32_t>(insns.size()); }
};

sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return BPF_JUMP(code, k, jt, jf); }
sock_filter stmt(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }
sock_filter ja(uint32_t k) { return stmt(BPF_JMP | BPF_JA, k); }
sock_filter retEnosys() { return stmt(BPF_RET | BPF_K, kRetErrnoEnosys); }
sock_filter loadNr() { return stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)); }

// The AUDIT_ARCH_* the kernel reports for a libseccomp architecture token
// (x32 runs as x86_64, with bit 30 set in the syscall number).
uint32_t auditArch(uint32_t token) { return token == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : token; }

// One architecture of one native arch: "nr > largest -> ENOSYS".
std::vector<sock_filter> singleSection(uint32_t native, uint32_t token, uint32_t largest, uint32_t toEnosys,
                                       uint32_t toFilter) {
  std::vector<sock_filter> section = {loadNr()};
  if (token == SCMP_ARCH_S390 || token == SCMP_ARCH_S390X) {
    // Unknown large syscall numbers arrive as setup(2), number 0.
    section.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1));
    section.push_back(retEnosys());
  }
  std::vector<sock_filter> tail;
  if (toEnosys + 1 <= 255) {
    tail = {jump(BPF_JMP | BPF_JGT | BPF_K, largest, static_cast<uint8_t>(toEnosys + 1), 0), ja(toFilter)};
  } else {
    tail = {jump(BPF_JMP | BPF_JGT | BPF_K, largest, 0, 1), retEnosys(), ja(toFilter)};
  }
  if (native == SCMP_ARCH_X86_64) {
    uint8_t skip = static_cast<uint8_t>(tail.size() - 1);
    // x86_64 only: an x32 syscall goes to the filter; x32 only: the reverse.
    sock_filter mode = token == SCMP_ARCH_X32 ? jump(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 0, skip)
                                              : jump(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, skip, 0);
    tail.insert(tail.begin(), mode);
  }
  section.insert(section.end(), tail.begin(), tail.end());
  return section;
}

std::vector<sock_filter> x86Section(uint32_t x86_64, uint32_t x32, uint32_t toEnosys, uint32_t toFilter) {
  if (toEnosys + 2 <= 255) {
    return {loadNr(),
            jump(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 1, 0),
            jump(BPF_JMP | BPF_JGT | BPF_K, x86_64, static_cast<uint8_t>(toEnosys + 2), 1),
            jump(BPF_JMP | BPF_JGT | BPF_K, x32, static_cast<uint8_t>(toEnosys + 1), 0),
            ja(toFilter)};
  }
  return {loadNr(),
          jump(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 1, 0),
          jump(BPF_JMP | BPF_JGT | BPF_K, x86_64, 1, 2),
          jump(BPF_JMP | BPF_JGT | BPF_K, x32, 0, 1),
          retEnosys(),
          ja(toFilter)};
}

bool buildStub(const json::Value& desc, std::vector<sock_filter>& out, Failure& f) {
  // native arch -> (architecture token -> largest syscall number)
  std::map<uint32_t, std::map<uint32_t, uint32_t>> largest;
  const json::Value* archs = desc.get("architectures");
  const json::Value* names = desc.get("stubSyscalls");
  if (archs && archs->isArray()) {
    for (const auto& a : archs->items) {
      uint32_t token = seccomp_arch_resolve_name(a.text.c_str());
      int32_t top = 0;
      if (names && names->isArray())
        for (const auto& n : names->items) top = std::max(top, seccomp_syscall_resolve_name_arch(token, n.text.c_str()));
      if (top > 0) largest[auditArch(token)][token] = static_cast<uint32_t>(top);
    }
  }
  Stub stub;
  stub.insns = {ja(1), retEnosys()};
  std::map<uint32_t, uint32_t> entry;  // native arch -> distance of its section from the end
  for (const auto& [native, tops] : largest) {
    uint32_t toEnosys = stub.size() - 1;
    uint32_t toFilter = toEnosys + 1;
    if (tops.size() == 1) {
      stub.prepend(singleSection(native, tops.begin()->first, tops.begin()->second, toEnosys, toFilter));
    } else if (tops.size() == 2 && native == SCMP_ARCH_X86_64) {
      stub.prepend(x86Section(tops.at(SCMP_ARCH_X86_64), tops.at(SCMP_ARCH_X32), toEnosys, toFilter));
    } else {
      return plainFail(f, "seccomp: unexpected architecture overlap in the -ENOSYS stub");
    }
    entry[native] = stub.size();
  }
  stub.prepend({ja(stub.size())});
  for (const auto& [native, at] : entry) {
    uint32_t distance = stub.size() - at;
    if (distance <= 255) stub.prepend({jump(BPF_JMP | BPF_JEQ | BPF_K, native, static_cast<uint8_t>(distance), 0)});
    else stub.prepend({jump(BPF_JMP | BPF_JEQ | BPF_K, native, 0, 1), ja(distance)});
  }
  stub.prepend({stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch))});
  out = std::move(stub.insns);
  return true;
}

}  // namespace

bool compileSeccomp(const std::string& text, CompiledSeccomp& out, Failure& f) {
  json::Value desc;
  std::string err;
  if (!json::parse(text, desc, err)) return plainFail(f, "seccomp: the profile description is not valid JSON: " + err);
  Context c;
  c.ctx = seccomp_init(static_cast<uint32_t>(desc.u64("defaultAction")));
  if (!c.ctx) return plainFail(f, "seccomp: libseccomp refused the default action");
  // runts-init sets no_new_privs itself, when the config asks for it.
  int rc = seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0) return scmpFail(f, rc, "seccomp: clear the no_new_privs attribute");
  if (!addArchitectures(c.ctx, desc, f)) return false;
  // As runc: not fatal, older libseccomp has no binary tree.
  if (desc.flag("optimize")) seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (const json::Value* rules = desc.get("rules"); rules && rules->isArray())
    for (const auto& r : rules->items)
      if (!addRule(c.ctx, r, out, f)) return false;
  std::string program;
  if (!exportProgram(c.ctx, program, f)) return false;
  if (desc.flag("enosysStub")) {
    std::vector<sock_filter> stub;
    if (!buildStub(desc, stub, f)) return false;
    std::string prefix(reinterpret_cast<const char*>(stub.data()), stub.size() * sizeof(sock_filter));
    program = prefix + program;
  }
  if (program.size() / sizeof(sock_filter) > BPF_MAXINSNS)
    return plainFail(f, "seccomp: the profile compiles to " + std::to_string(program.size() / sizeof(sock_filter)) +
                            " BPF instructions, more than the kernel's " + std::to_string(BPF_MAXINSNS));
  out.program = std::move(program);
  return true;
}

uint32_t seccompSupportedFlags() {
  uint32_t supported = 0;
  const uint32_t flags[] = {SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW,
                            SECCOMP_FILTER_FLAG_NEW_LISTENER, 1u << 5 /* WAIT_KILLABLE_RECV */};
  for (uint32_t flag : flags) {
    // WAIT_KILLABLE_RECV is refused without NEW_LISTENER before the program is read.
    uint32_t probe = flag == (1u << 5) ? flag | SECCOMP_FILTER_FLAG_NEW_LISTENER : flag;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, nullptr) < 0 && errno == EFAULT) supported |= flag;
  }
  return supported;
}

std::vector<std::string> seccompKnownArchitectures(const std::vector<std::string>& names) {
  std::vector<std::string> known;
  for (const auto& n : names)
    if (seccomp_arch_resolve_name(n.c_str()) != 0) known.push_back(n);
  return known;
}

std::string libseccompVersion() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

bool sendToSeccompAgent(const std::string& path, const std::string& state, int listenerFd, Failure& f) {
  Fd sock(connectUnix(path));
  if (sock.fd < 0) return sysFail(f, "connect to the seccomp agent (linux.seccomp.listenerPath)", path);
  ssize_t n = sendWithFd(sock.fd, listenerFd, state.data(), state.size());
  if (n < 0) return sysFail(f, "send the seccomp listener fd to the agent", path);
  if (static_cast<size_t>(n) != state.size()) return plainFail(f, "seccomp agent at " + path + " took only part of the state");
  return true;
}

}  // namespace runts::node
