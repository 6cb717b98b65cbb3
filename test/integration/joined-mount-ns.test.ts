// A mount namespace joined by path (linux.namespaces [{type: mount, path}])
// gets the container's root filesystem set up in it as a new one would, as
// runc does (runtime-tools' linux_ns_path checks it). Nothing reaches the
// host's mount namespace.
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isRoot, useSandbox } from '../helpers/sandbox';

function waitFor(test: () => boolean, what: string): void {
  for (let i = 0; i < 500; i++) {
    if (test()) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!isRoot)('a joined mount namespace', () => {
  const sb = useSandbox();

  it('gets the rootfs, mounts and /dev set up in it; the host sees none of them', () => {
    const hostMounts = readFileSync('/proc/self/mountinfo', 'utf8');
    // A mount namespace of our own to join, held by a process we started.
    const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '1000'], { stdio: 'ignore' });
    try {
      const pid = holder.pid!;
      const own = readlinkSync('/proc/self/ns/mnt');
      waitFor(() => {
        try {
          return readlinkSync(`/proc/${pid}/ns/mnt`) !== own && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep');
        } catch {
          return false;
        }
      }, 'the namespace holder');
      const joined = readlinkSync(`/proc/${pid}/ns/mnt`);
      const out = sb.sh('readlink /proc/self/ns/mnt; ls /bin/busybox; ls /dev/null; grep -c " / " /proc/self/mountinfo', (c) => {
        c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === 'mount' ? { type: 'mount', path: `/proc/${pid}/ns/mnt` } : n));
      });
      const [ns, busybox, devNull] = out.trim().split('\n');
      expect(ns).toBe(joined);
      expect(busybox).toBe('/bin/busybox');
      expect(devNull).toBe('/dev/null');
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(hostMounts);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
