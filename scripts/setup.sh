#!/usr/bin/env bash
# Prepares a fresh Debian machine for runts: the system packages the build,
# the tests, the demo and the benchmark use, then `npm install` (which builds
# the addon, runts-init, the launcher and the JavaScript bundles).
# Idempotent: what is already there is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ make python3          # node-gyp builds the native parts
  libseccomp-dev pkg-config # seccomp profiles are compiled with libseccomp, as runc and crun do
  busybox-static            # the demo and test root filesystems
  runc crun                 # compared side by side in the benchmark and the conformance suite
  hyperfine                 # the benchmark's timer
  qemu-system-x86 cpio      # the cgroup v2 VM of the tests (scripts/cgroup-v2-vm.sh)
  iproute2 util-linux procps
  # The engine tests (test/engines): Podman with conmon and the CNI plugins of its
  # default bridge network (iptables for their firewall and masquerade rules),
  # containerd with its runc shim and ctr; util-linux gives script and unshare.
  podman conmon containernetworking-plugins iptables
  containerd
)
missing=()
for p in "${packages[@]}"; do
  [[ $p == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [ "$(id -u)" != 0 ]; then echo "setup: run as root to install system packages" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm install runs the package's own install (native build) and prepare
# (schemas and bundles) scripts.
if [ ! -x build/Release/runts ] || [ ! -f dist/runts.cjs ] || [ package.json -nt node_modules/.package-lock.json ] || [ ! -d node_modules ]; then
  npm install --no-audit --no-fund
else
  npm run --silent build
fi
