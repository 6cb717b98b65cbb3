#include "loopback.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/unique-fd.h"

namespace runts::init {

bool bringUpLoopback(Failure& f) {
  Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.fd < 0) return sysFail(f, "bring up lo: socket");
  struct ifreq req;
  memset(&req, 0, sizeof req);
  strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(sock.fd, SIOCGIFFLAGS, &req) < 0) return sysFail(f, "bring up lo: read its flags (SIOCGIFFLAGS)");
  if (req.ifr_flags & IFF_UP) return true;
  req.ifr_flags |= IFF_UP;
  if (ioctl(sock.fd, SIOCSIFFLAGS, &req) < 0) return sysFail(f, "bring up lo (SIOCSIFFLAGS)");
  return true;
}

}  // namespace runts::init
