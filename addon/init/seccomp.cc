#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/channel.h"
#include "../common/fd-passing.h"

namespace runts::init {

namespace {

bool install(const Seccomp& s, int& listener, Failure& f) {
  struct sock_fprog prog = {};
  prog.len = static_cast<unsigned short>(s.program.size() / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(s.program.data()));
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s.flags, &prog);
  if (r < 0) {
    std::string detail;
    if (errno == EACCES) detail = "loading a filter needs no_new_privs or CAP_SYS_ADMIN";
    else if (errno == EINVAL) detail = "this kernel refuses the filter or one of its flags (" + std::to_string(s.flags) + ")";
    return sysFail(f, "load the seccomp filter (seccomp SECCOMP_SET_MODE_FILTER)", "", detail);
  }
  listener = (s.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ? static_cast<int>(r) : -1;
  return true;
}

// One byte with the fd in SCM_RIGHTS, after a "seccomp" message: the
// runtime reads the byte with recvmsg, the messages with read.
bool sendListener(int sync, int fd, Failure& f) {
  if (!sendSimple(sync, "seccomp")) return sysFail(f, "send the seccomp listener fd to the runtime");
  char byte = 0;
  if (sendWithFd(sync, fd, &byte, 1) != 1) return sysFail(f, "send the seccomp listener fd to the runtime");
  return true;
}

}  // namespace

bool loadSeccomp(const Seccomp& s, int sync, Failure& f) {
  if (!s.set) return true;
  int listener = -1;
  if (!install(s, listener, f)) return false;
  if (listener < 0) return true;
  bool ok = sendListener(sync, listener, f);
  close(listener);
  if (!ok) return false;
  json::Value reply;
  if (!recvMessage(sync, reply, -1)) return sysFail(f, "wait for the runtime to pass the seccomp listener on");
  if (reply.str("type") == "error") {
    f = failureFromMessage(reply);
    return false;
  }
  return reply.str("type") == "seccomp-done" || plainFail(f, "unexpected reply to the seccomp listener fd");
}

}  // namespace runts::init
