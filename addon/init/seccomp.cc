#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "../common/channel.h"

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
  struct iovec iov = {&byte, 1};
  char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n;
  do {
    n = sendmsg(sync, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return sysFail(f, "send the seccomp listener fd to the runtime");
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
