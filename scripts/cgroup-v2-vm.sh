#!/usr/bin/env bash
# Runs a command as root on a pure cgroup v2 host: a throwaway QEMU VM
# (software emulation) booting Debian's kernel with cgroup_no_v1=all. The
# VM sees this machine's files through 9p, read-only, under a tmpfs overlay,
# so it runs the very build of runts in this checkout.
#   scripts/cgroup-v2-vm.sh 'command to run in the checkout'
# Prints the command's output; exits with its status.
# Environment:
#   RUNTS_VM_KERNEL_ARGS  more kernel command line arguments
#   RUNTS_VM_APPARMOR=1   boot with AppArmor as the LSM (apparmor=1
#                         security=apparmor) and put Debian's apparmor_parser
#                         on the command's PATH (unpacked from the apparmor
#                         package into the cache, not installed on this host)
#   RUNTS_VM_SELINUX=1    boot with SELinux as the LSM (security=selinux), with
#                         selinuxfs mounted but no policy loaded
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
cache="$here/.cache/cgroup-v2-vm"
mkdir -p "$cache"

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v cpio >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 cpio >/dev/null
fi

# The kernel of Debian's linux-image-amd64, unpacked (not installed).
if [ ! -f "$cache/vmlinuz" ]; then
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
  (cd "$cache" && apt-get download "$pkg" 2>/dev/null && dpkg-deb -x ./"$pkg"_*.deb kernel && rm -f ./"$pkg"_*.deb)
  cp "$cache"/kernel/boot/vmlinuz-* "$cache/vmlinuz"
fi

kernel_args="console=ttyS0 quiet cgroup_no_v1=all panic=-1 ${RUNTS_VM_KERNEL_ARGS:-}"
extra_path=""
if [ "${RUNTS_VM_APPARMOR:-}" = 1 ]; then
  kernel_args="$kernel_args apparmor=1 security=apparmor"
  # apparmor_parser needs only libc, which the VM has from this host.
  if [ ! -x "$cache/apparmor/sbin/apparmor_parser" ] && [ ! -x "$cache/apparmor/usr/sbin/apparmor_parser" ]; then
    (cd "$cache" && rm -rf apparmor ./apparmor_*.deb && apt-get download apparmor 2>/dev/null && dpkg-deb -x ./apparmor_*.deb apparmor && rm -f ./apparmor_*.deb)
  fi
  extra_path="$cache/apparmor/sbin:$cache/apparmor/usr/sbin:"
fi
[ "${RUNTS_VM_SELINUX:-}" = 1 ] && kernel_args="$kernel_args security=selinux"

# An initramfs: static busybox, the modules for 9p and overlay, and an init
# that builds a writable view of the host and runs the command in it.
if [ ! -f "$cache/initrd.gz" ] || [ "$0" -nt "$cache/initrd.gz" ]; then
  rm -rf "$cache/initramfs" && mkdir -p "$cache/initramfs"/{bin,modules,proc,sys,dev,host,results,ovl,newroot}
  cp /bin/busybox "$cache/initramfs/bin/busybox"
  mods=$(find "$cache/kernel/lib/modules" -name '*.ko')
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay; do
    file=$(echo "$mods" | grep "/$m.ko$" | head -1)
    [ -n "$file" ] && cp "$file" "$cache/initramfs/modules/"
  done
  cat > "$cache/initramfs/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay; do
  [ -f /modules/$m.ko ] && insmod /modules/$m.ko 2>/dev/null
done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288 hostroot /host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 results /results
mount -t tmpfs -o size=4g tmpfs /ovl
mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/ovl/upper,workdir=/ovl/work /newroot
# The checkout may live under /tmp or /run, which get a tmpfs of their own.
checkout=$(cat /results/checkout)
mkdir -p /ovl/checkout
mount --bind "/newroot$checkout" /ovl/checkout
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t securityfs securityfs /newroot/sys/kernel/security 2>/dev/null
# Only where SELinux is the LSM (RUNTS_VM_SELINUX=1) does this succeed.
mount -t selinuxfs selinuxfs /newroot/sys/fs/selinux 2>/dev/null
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup
mount -t devtmpfs dev /newroot/dev
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/run
mount -t tmpfs tmpfs /newroot/tmp
mkdir -p "/newroot$checkout"
mount --bind /ovl/checkout "/newroot$checkout"
mkdir -p /newroot/run/vm-results
mount --bind /results /newroot/run/vm-results
chroot /newroot /bin/sh /run/vm-results/command.sh > /results/output 2>&1
echo $? > /results/status
sync
poweroff -f
INIT
  chmod +x "$cache/initramfs/init"
  (cd "$cache/initramfs" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$cache/initrd.gz")
fi

results=$(mktemp -d "$cache/results.XXXXXX")
trap 'rm -rf "$results"' EXIT
echo "$here" > "$results/checkout"
cat > "$results/command.sh" <<EOF
export PATH=$extra_path/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
unset NODE_EXTRA_CA_CERTS NODE_OPTIONS
cd "$here"
$1
EOF
# /dev/kvm exists here but hangs; software emulation works.
timeout 1200 qemu-system-x86_64 -accel tcg -m 2048 -smp 2 -nographic -no-reboot \
  -kernel "$cache/vmlinuz" -initrd "$cache/initrd.gz" \
  -append "$kernel_args" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$results",mount_tag=results,security_model=none \
  </dev/null >"$results/console" 2>&1 || true
if [ ! -f "$results/status" ]; then
  echo "cgroup-v2-vm: the VM did not finish; its console:" >&2
  tail -30 "$results/console" >&2
  exit 1
fi
cat "$results/output"
exit "$(cat "$results/status")"
