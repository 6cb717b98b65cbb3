// Passing an fd to another process over a unix stream socket (SCM_RIGHTS):
// runts-init sends the pty master to the console socket and the seccomp
// listener to the runtime, and the runtime sends that listener on to the
// seccomp agent. One sender, so that all three retry EINTR and none of them
// dies of SIGPIPE when the peer has gone away.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace runts {

// Sends len bytes of data (at least one: a stream socket carries ancillary
// data only along with real bytes) and fd in SCM_RIGHTS, in one sendmsg.
// Returns what sendmsg returned: the bytes sent, or -1 with errno set (EPIPE,
// not SIGPIPE, for a closed peer). The fd stays open in the sender.
ssize_t sendWithFd(int sock, int fd, const void* data, size_t len);

}  // namespace runts
