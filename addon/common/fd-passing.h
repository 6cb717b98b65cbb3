// Passing an fd to another process over a unix stream socket (SCM_RIGHTS):
// runts-init sends the pty master to the console socket and the seccomp
// listener to the runtime, and the runtime sends that listener on to the
// seccomp agent and receives the init's fds. One sender and one receiver, so
// that all of them retry EINTR, none dies of SIGPIPE when the peer has gone
// away, and every received fd is close-on-exec from the start.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace runts {

// A socket connected to the unix stream socket at path (close-on-exec), or
// -1 with errno (ENAMETOOLONG for a path longer than sun_path holds).
int connectUnix(const std::string& path);

// Sends len bytes of data (at least one: a stream socket carries ancillary
// data only along with real bytes) and fd in SCM_RIGHTS, in one sendmsg.
// Returns what sendmsg returned: the bytes sent, or -1 with errno set (EPIPE,
// not SIGPIPE, for a closed peer). The fd stays open in the sender.
ssize_t sendWithFd(int sock, int fd, const void* data, size_t len);

// Receives up to len bytes into buf and the fd that came with them, opened
// O_CLOEXEC. Returns what recvmsg returned (0 at EOF, -1 with errno); fd is
// -1 when the message carried none.
ssize_t receiveWithFd(int sock, void* buf, size_t len, int& fd);

}  // namespace runts
