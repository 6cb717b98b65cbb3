// Holes a hostile bundle could use against the host, each tried for real:
// sysctl keys that leave /proc/sys, a config without capabilities, and
// procfs moved or covered (runc's CVE-2019-16884 and CVE-2019-19921).
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { isRoot, runts, useSandbox, traces } from '../helpers/sandbox';

const statusField = (status: string, field: string) => new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(status)?.[1];

describe.skipIf(!isRoot)('confinement', () => {
  const sb = useSandbox();

  describe('sysctl', () => {
    it('refuses keys that climb out of /proc/sys, before anything is created', () => {
      const victim = path.join(sb.dir, 'victim');
      writeFileSync(victim, 'untouched\n');
      const depth = '../'.repeat(8);
      const id = sb.id('sysctl-escape');
      const bundle = sb.bundle(id, ['true'], (c) => {
        c.linux!.sysctl = { [`net/${depth}${victim.slice(1)}`]: 'overwritten', [`net.${'..'.repeat(3)}x`]: '1' };
      });
      const r = runts(['run', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('a sysctl name cannot leave /proc/sys');
      expect(r.stderr).toContain('has an empty component');
      expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
      expect(traces(id)).toEqual([]);
    });

    it('refuses kernel.hostname and sysctls outside the container\'s namespaces', () => {
      const id = sb.id('sysctl-host');
      const bundle = sb.bundle(id, ['true'], (c) => {
        c.linux!.sysctl = { 'kernel.hostname': 'evil', 'vm.overcommit_memory': '1', 'kernel.domainname': 'a' };
        c.domainname = 'b';
      });
      const r = runts(['run', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('linux.sysctl["kernel.hostname"]: conflicts with the OCI "hostname" field');
      expect(r.stderr).toContain('linux.sysctl["vm.overcommit_memory"]: is not in a namespace of the container');
      expect(r.stderr).toContain('linux.sysctl["kernel.domainname"]: conflicts with "domainname"');
      expect(traces(id)).toEqual([]);
    });

    it('writes through the container\'s own procfs: its network namespace changes, the host\'s does not', () => {
      const host = readFileSync('/proc/sys/net/ipv4/ip_default_ttl', 'utf8');
      const out = sb.sh('cat /proc/sys/net/ipv4/ip_default_ttl /proc/sys/net/ipv4/conf/lo/forwarding', (c) => {
        c.linux!.sysctl = { 'net.ipv4.ip_default_ttl': '33', 'net/ipv4/conf/lo/forwarding': '1' };
      });
      expect(out).toBe('33\n1\n');
      expect(readFileSync('/proc/sys/net/ipv4/ip_default_ttl', 'utf8')).toBe(host);
    });

    it('does not write through a symlink in the container\'s /proc/sys path', () => {
      // A rootfs whose /proc is a symlink: procfs is refused there, so the
      // sysctl can never be written through whatever the link points at.
      const id = sb.id('sysctl-fakeproc');
      const bundle = sb.bundle(id, ['true'], (c) => {
        c.linux!.sysctl = { 'net.ipv4.ip_default_ttl': '44' };
      });
      const rootfs = path.join(bundle, 'rootfs');
      rmSync(path.join(rootfs, 'proc'), { recursive: true, force: true });
      mkdirSync(path.join(rootfs, 'fakeproc/sys/net/ipv4'), { recursive: true });
      writeFileSync(path.join(rootfs, 'fakeproc/sys/net/ipv4/ip_default_ttl'), 'fake\n');
      symlinkSync('/fakeproc', path.join(rootfs, 'proc'));
      const r = runts(['run', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('mount proc on /proc');
      expect(r.stderr).toContain('it is a symlink in the rootfs; proc must be mounted on an ordinary directory');
      expect(readFileSync(path.join(rootfs, 'fakeproc/sys/net/ipv4/ip_default_ttl'), 'utf8')).toBe('fake\n');
      expect(traces(id)).toEqual([]);
    });
  });

  describe('capabilities', () => {
    it('gives a config without process.capabilities no capabilities at all', () => {
      const status = sb.sh('cat /proc/self/status', (c) => delete c.process!.capabilities);
      for (const field of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
        expect(statusField(status, field), field).toBe('0000000000000000');
      }
      // Root without capabilities cannot do what CAP_SYS_ADMIN allows.
      const r = sb.run(['sh', '-c', 'mount -t tmpfs none /tmp && echo mounted'], (c) => {
        delete c.process!.capabilities;
        c.root!.readonly = false;
      });
      expect(r.stdout).not.toContain('mounted');
    });

    it('names the capability when the kernel refuses the sets', () => {
      const id = sb.id('capset');
      const bundle = sb.bundle(id, ['true'], (c) => {
        c.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], permitted: ['CAP_KILL'], effective: ['CAP_KILL', 'CAP_CHOWN'] };
      });
      const r = runts(['run', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('set capabilities (capset)');
      expect(r.stderr).toContain('CAP_CHOWN in process.capabilities.effective but not in permitted');
      expect(traces(id)).toEqual([]);
    });
  });

  describe('procfs (CVE-2019-16884, CVE-2019-19921)', () => {
    it('refuses a mount whose destination resolves into procfs through a symlink', () => {
      const payload = path.join(sb.dir, 'payload');
      writeFileSync(payload, '|/tmp/evil %p\n');
      const before = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
      const id = sb.id('procfs-cover');
      const bundle = sb.bundle(id, ['true'], (c: OciConfig) => {
        c.mounts!.push({ destination: '/etc/evil', type: 'bind', source: payload, options: ['bind'] });
      });
      const rootfs = path.join(bundle, 'rootfs');
      mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
      symlinkSync('/proc/sys/kernel/core_pattern', path.join(rootfs, 'etc/evil'));
      const r = runts(['run', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('mount on /etc/evil');
      expect(r.stderr).toContain('the destination resolves into procfs');
      expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(before);
      expect(traces(id)).toEqual([]);
    });

    it('refuses anything but procfs on /proc', () => {
      const id = sb.id('procfs-fake');
      const bundle = sb.bundle(id, ['true'], (c: OciConfig) => {
        c.mounts = c.mounts!.map((m) => (m.destination === '/proc' ? { destination: '/proc', type: 'tmpfs', source: 'tmpfs' } : m));
      });
      const r = runts(['run', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('only procfs can be mounted on /proc');
      expect(existsSync(path.join(bundle, 'rootfs/proc'))).toBe(true);
      expect(traces(id)).toEqual([]);
    });

    it('still allows lxcfs-style files over procfs', () => {
      const fake = path.join(sb.dir, 'meminfo');
      writeFileSync(fake, 'MemTotal: 1 kB\n');
      const out = sb.sh('cat /proc/meminfo', (c) => {
        c.mounts!.push({ destination: '/proc/meminfo', type: 'bind', source: fake, options: ['bind', 'ro'] });
      });
      expect(out).toBe('MemTotal: 1 kB\n');
    });
  });
});
