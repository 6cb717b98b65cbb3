#!/usr/bin/env bash
# Makes an OCI bundle with a busybox root filesystem:
#   scripts/make-bundle.sh DIR [args...]
# DIR/rootfs gets the static busybox from Debian's busybox-static with a
# symlink per applet, a minimal /etc, and DIR/config.json is `runts spec`'s
# default with process.args set to the remaining arguments (default: sh).
set -euo pipefail
dir=${1:?usage: make-bundle.sh DIR [args...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-bundle: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
  echo "make-bundle: $busybox is dynamically linked; the container needs busybox-static" >&2
  exit 1
fi

rootfs="$dir/rootfs"
mkdir -p "$rootfs"/{bin,etc,proc,sys,dev,tmp,root,home,var,run}
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
mkdir -p "$rootfs/usr/bin" "$rootfs/sbin" "$rootfs/usr/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
printf 'NAME="runts busybox"\nID=busybox\n' > "$rootfs/etc/os-release"
chmod 1777 "$rootfs/tmp"

rm -f "$dir/config.json"
"$here/bin/runts" spec --bundle "$dir"
if [ $# -gt 0 ]; then
  node -e '
    const fs = require("fs");
    const file = process.argv[1];
    const c = JSON.parse(fs.readFileSync(file, "utf8"));
    c.process.args = process.argv.slice(2);
    c.process.terminal = process.stdin.isTTY === true && process.stdout.isTTY === true && c.process.args[0] === "sh" && c.process.args.length === 1;
    fs.writeFileSync(file, JSON.stringify(c, null, "\t") + "\n");
  ' "$dir/config.json" "$@"
fi
