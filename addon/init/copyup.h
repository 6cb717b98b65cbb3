// tmpcopyup: a new tmpfs over a rootfs directory starts with a copy of what
// the image had there (runc's doTmpfsCopyUp, crun's copy_recursive_fd_to_fd),
// so that `podman run --read-only` still finds /tmp, /run and /var/tmp as the
// image shipped them, writable.
#pragma once

#include <string>

#include "../common/failure.h"

namespace runts::init {

// Copies the tree below the directory `from` (an fd opened before the tmpfs
// covered it) into the directory `to` (the new tmpfs's root): regular
// files, directories, symlinks (as links, never followed), fifos, sockets and
// device nodes, hard links as links, with modes, owners, times and the
// xattrs the tmpfs takes. Every entry is opened by name under its parent
// with O_NOFOLLOW, so a symlink in the image can never send the copy
// outside the rootfs. `dest` names the mount in messages.
bool copyTree(int from, int to, const std::string& dest, Failure& f);

// The tmpfs's root gets the mode and owner of the directory it covers,
// except for what the mount's data sets itself (mode=, uid=, gid=).
bool copyRootAttributes(int from, int to, const std::string& data, const std::string& dest, Failure& f);

}  // namespace runts::init
