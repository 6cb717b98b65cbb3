#!/usr/bin/env bash
# without-unified.sh CMD [ARGS...]: runs CMD in a private mount namespace where
# the host's empty cgroup2 at /sys/fs/cgroup/unified is unmounted, so crun 1.8
# (which refuses hybrid cgroups) sees a plain cgroup v1 host.
# crun still mkdirs /sys/fs/cgroup/unified/<id> and writes a cgroup.procs file
# there. Without the cgroup2 mount, that directory is on the host's
# /sys/fs/cgroup tmpfs, hidden from the host and never removed; a private tmpfs
# over it takes those writes and disappears with the namespace.
# The host's own mounts are not touched.
set -euo pipefail
exec unshare --mount --propagation private bash -c '
  set -e
  if mountpoint -q /sys/fs/cgroup/unified; then
    umount /sys/fs/cgroup/unified
    mount -t tmpfs -o size=4m,mode=0755 runts-no-unified /sys/fs/cgroup/unified
  fi
  exec "$@"' without-unified "$@"
