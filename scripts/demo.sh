#!/usr/bin/env bash
# The demo: sets up the machine, makes a busybox bundle and runs a container
# in it with runts. Extra arguments replace the command (e.g. `npm run demo -- sh`
# for a shell, with a terminal when you run it from one).
set -euo pipefail
cd "$(dirname "$0")/.."
# The set-up's and build's output go to a log, shown only when they fail:
# what the demo shows is the container's output.
setup_log=.cache/demo-setup.log
mkdir -p .cache
echo "demo: setting up and building (log: $setup_log)..." >&2
if ! scripts/setup.sh >"$setup_log" 2>&1; then
  cat "$setup_log" >&2
  echo "demo: set-up failed (above)" >&2
  exit 1
fi
bundle=.cache/demo-bundle
rm -rf "$bundle"
if [ $# -eq 0 ]; then
  set -- sh -c 'echo "Hello from a runts container!"; echo "hostname: $(hostname)"; echo "I am pid $$ as $(id)"; echo "root filesystem:"; ls /; echo "mounts:"; cat /proc/mounts | cut -d" " -f2,3 | head -20'
fi
scripts/make-bundle.sh "$bundle" "$@" >/dev/null
exec bin/runts run --bundle "$bundle" "demo-$$"
