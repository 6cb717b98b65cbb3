#!/usr/bin/env bash
# npm run bench: runts, runc and crun side by side (bench/bench.mjs).
# crun 1.8 refuses hybrid cgroups, so every runtime runs in a private mount
# namespace where the empty cgroup2 at /sys/fs/cgroup/unified is unmounted
# (scripts/without-unified.sh); the host's own mounts are not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
exec scripts/without-unified.sh node bench/bench.mjs "$@"
