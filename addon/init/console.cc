#include "console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../common/fd-passing.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace runts::init {

namespace {

bool sendFd(int sock, int fd, const char* name, Failure& f) {
  if (sendWithFd(sock, fd, name, strlen(name)) < 0) return sysFail(f, "send the pty master to the console socket");
  return true;
}

}  // namespace

bool setupConsole(const Plan& plan, const RootDir* root, int consoleSocket, int& slaveFd, Failure& f) {
  int master = -1;
  if (root) {
    int ptmx = root->resolve("/dev/pts/ptmx");
    if (ptmx < 0)
      return sysFail(f, "open", "/dev/pts/ptmx", "process.terminal needs a devpts mount at /dev/pts");
    master = open(RootDir::fdPath(ptmx).c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    close(ptmx);
  } else {
    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  if (master < 0) return sysFail(f, "open pty multiplexer", "/dev/pts/ptmx");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) {
    close(master);
    return sysFail(f, "unlock pty");
  }
  slaveFd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slaveFd < 0) {
    close(master);
    return sysFail(f, "open pty slave");
  }
  if (plan.process.consoleRows && plan.process.consoleCols) {
    struct winsize ws = {};
    ws.ws_row = plan.process.consoleRows;
    ws.ws_col = plan.process.consoleCols;
    ioctl(slaveFd, TIOCSWINSZ, &ws);
  }
  if (root) {
    int console = root->ensureFile("/dev/console", f);
    if (console < 0) {
      close(master);
      return false;
    }
    int r = mount(RootDir::fdPath(slaveFd).c_str(), RootDir::fdPath(console).c_str(), nullptr, MS_BIND, nullptr);
    close(console);
    if (r < 0) {
      close(master);
      return sysFail(f, "bind the pty on", "/dev/console");
    }
  }
  bool sent = sendFd(consoleSocket, master, "/dev/ptmx", f);
  close(master);
  return sent;
}

bool attachConsole(int slaveFd, Failure& f) {
  for (int target = 0; target < 3; target++)
    if (dup3(slaveFd, target, 0) < 0) return sysFail(f, "attach the pty to stdio");
  if (ioctl(0, TIOCSCTTY, 0) < 0) return sysFail(f, "make the pty the controlling terminal");
  close(slaveFd);
  return true;
}

}  // namespace runts::init
