#!/usr/bin/env bash
# Fails when the tests left anything behind: state directories, cgroups,
# mounts or processes of test containers. The tests use the state root
# /run/runts-test, cgroups under /runts-test and temporary files under
# /tmp/runts-test-* (unit tests: /tmp/runts-unit-*; the conformance suite:
# /tmp/runts-conformance-*; the engine tests: /tmp/runts-test-podman-* and
# /tmp/runts-test-containerd-*, their cgroups under /runts-test/engines-*).
set -uo pipefail
problems=0
report() { echo "leftover: $*" >&2; problems=1; }

if [ -d /run/runts-test ]; then
  left=$(ls -A /run/runts-test)
  [ -z "$left" ] || report "state directories in /run/runts-test: $left"
fi
for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
  for d in "$h"runts-test "$h"runts/runts-t-*; do
    [ -d "$d" ] || continue
    sub=$(find "$d" -mindepth 1 -type d 2>/dev/null)
    [ -z "$sub" ] || report "cgroups: $sub"
    procs=$(cat "$d"/cgroup.procs 2>/dev/null)
    [ -z "$procs" ] || report "processes in $d: $procs"
  done
done
mounts=$(grep -E ' /(tmp/runts-test|run/runts-test)' /proc/self/mountinfo)
[ -z "$mounts" ] || report "mounts: $mounts"
# The engine tests (test/engines): a private Podman and containerd under
# /tmp/runts-test-podman-* and /tmp/runts-test-containerd-*. What could outlive
# them: their daemons and monitors (containerd, shims, conmon name the test
# directory on their command line), and the state Podman's runtime keeps in
# its default root (/run/runts, /run/runc) for containers whose bundle is
# under a test directory.
for pid in $(ls /proc | grep -E '^[0-9]+$'); do
  cmd=$({ tr '\0' ' ' < /proc/$pid/cmdline; } 2>/dev/null) || continue
  case "$cmd" in
    *check-leftovers*) ;;
    */tmp/runts-test-podman-*|*/tmp/runts-test-containerd-*) report "engine process $pid: $cmd" ;;
  esac
done
for root in /run/runts /run/runc; do
  [ -d "$root" ] || continue
  left=$(grep -ls '/tmp/runts-test-' "$root"/*/state.json 2>/dev/null)
  [ -z "$left" ] || report "runtime state of test containers in $root: $left"
done
tmp=$(ls -d /tmp/runts-test-* /tmp/runts-unit-* /tmp/runts-conformance-* 2>/dev/null)
[ -z "$tmp" ] || report "temporary directories: $tmp"
if [ "$problems" = 0 ]; then
  # Tidy the (empty) parents the tests' containers were placed under.
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do rmdir "$h"runts-test 2>/dev/null; done
  rmdir /run/runts-test 2>/dev/null
  echo "no leftovers"
fi
exit $problems
