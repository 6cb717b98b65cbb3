import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { defaultConfig } from '../../src/config/defaults';
import type { OciConfig } from '../../src/config/types';
import { resolveHooks } from '../../src/hooks/plan';
import { buildPlan, type PlanContext } from '../../src/plan/build';
import { capabilityNames, describePlan, formatPlan, msFlagNames, propagationName, type PlanInput } from '../../src/plan/describe';
import { MS } from '../../src/plan/mount-options';
import { fakeHost } from '../helpers/fake-host';

const HYBRID = detectLayout(
  '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n33 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n36 30 0:33 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n',
  '2:cpu,cpuacct:/\n1:memory:/\n0::/\n',
);

function config(edit: (c: OciConfig) => void = () => {}): OciConfig {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig;
  edit(c);
  return c;
}

function input(c: OciConfig, over: Partial<PlanContext> = {}): PlanInput {
  const placement = placeContainer(HYBRID, c.linux?.cgroupsPath, 'c1');
  const ctx: PlanContext = {
    id: 'c1',
    bundle: '/bundle',
    host: fakeHost({ '/srv/data': 'dir' }),
    cgroups: placement,
    env: {},
    // Three instructions: the description counts them from the program's size.
    compileSeccomp: () => ({ program: new Uint8Array(24), skipped: [] }),
    ...over,
  };
  const { plan, extras } = buildPlan(c, ctx);
  return { config: c, plan, uidMap: extras.uidMap, gidMap: extras.gidMap, deviceRules: extras.deviceRules, placement, hooks: resolveHooks(c, {}) };
}

/** The lines of a section of the text, from its title to the next title. */
function sectionOf(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${title}:`));
  expect(start).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  return lines.slice(start, end < 0 ? undefined : end).filter((l) => l !== '');
}

describe('plan in words: names for numbers', () => {
  it('turns MS_* flag words back into names, unknown bits in hex', () => {
    expect(msFlagNames(MS.RDONLY | MS.NOSUID | MS.BIND | MS.REC)).toEqual(['MS_RDONLY', 'MS_NOSUID', 'MS_BIND', 'MS_REC']);
    expect(msFlagNames(0)).toEqual([]);
    expect(msFlagNames(MS.NODEV | 0x40000000)).toEqual(['MS_NODEV', '0x40000000']);
  });

  it('names propagation as the mount option that asks for it', () => {
    expect(propagationName(MS.SLAVE | MS.REC)).toBe('rslave');
    expect(propagationName(MS.SHARED)).toBe('shared');
    expect(propagationName(MS.PRIVATE | MS.NOSUID)).toBe('MS_NOSUID|MS_PRIVATE');
  });

  it('turns capability masks into names in number order', () => {
    expect(capabilityNames(String((1n << 21n) | (1n << 0n) | (1n << 40n)))).toEqual(['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_CHECKPOINT_RESTORE']);
    expect(capabilityNames('0')).toEqual([]);
  });
});

describe('plan in words: the description', () => {
  it('names the namespaces created, joined (with paths) and shared', () => {
    const c = config((x) => {
      x.linux!.namespaces = [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/var/run/netns/n1' }, { type: 'user' }];
      x.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      x.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
    });
    const d = describePlan(input(c));
    expect(d.namespaces.created).toEqual(['mount', 'user', 'pid']);
    expect(d.namespaces.joined).toEqual([{ type: 'network', path: '/var/run/netns/n1' }]);
    expect(d.namespaces.shared).toEqual(['cgroup', 'uts', 'ipc', 'time']);
    const text = sectionOf(formatPlan(d), 'namespaces');
    expect(text).toContain('  created           mount, user, pid');
    expect(text).toContain('  joined network    /var/run/netns/n1');
    expect(text).toContain('  uid map           0 -> 100000 (65536)');
    expect(text).toContain('  gid map           0 -> 200000 (1000)');
  });

  it('lists each mount with destination, type, source, flags by name, propagation and data', () => {
    const c = config((x) => {
      x.mounts!.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro', 'nosuid', 'rprivate', 'rnoexec'] });
      x.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nodev', 'size=1m', 'tmpcopyup'] });
    });
    const d = describePlan(input(c));
    expect(d.mounts.find((m) => m.destination === '/data')).toEqual({
      destination: '/data',
      type: 'bind',
      source: '/srv/data',
      flags: ['MS_BIND', 'MS_REC'],
      propagation: ['rprivate'],
      remountFlags: ['MS_RDONLY', 'MS_NOSUID'],
      recursiveSet: ['MOUNT_ATTR_NOEXEC'],
      recursiveClear: [],
      data: '',
      copyUp: false,
      cgroupParts: [],
    });
    const text = sectionOf(formatPlan(d), 'mounts');
    expect(text).toContain(
      '  /data           bind from /srv/data; flags MS_BIND|MS_REC; remount MS_RDONLY|MS_NOSUID; propagation rprivate; recursive set MOUNT_ATTR_NOEXEC',
    );
    expect(text).toContain('  /tmp            tmpfs from tmpfs; flags MS_NODEV; data size=1m; tmpcopyup');
    expect(text).toContain('  /proc           proc from proc');
    // The cgroup tmpfs, with one line per hierarchy of the host under it.
    expect(text).toContain('  /sys/fs/cgroup  tmpfs from tmpfs; flags MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_RELATIME; data mode=755');
    // With a cgroup namespace (the default config's): new mounts of each hierarchy.
    expect(text).toContain('                    cpu,cpuacct: cgroup cpu,cpuacct');
    expect(text).toContain('                    unified: cgroup2 cgroup2');
    expect(text).toContain('                    cpu -> cpu,cpuacct');
    // Without one: binds of the container's cgroup directories.
    const noNs = config((x) => (x.linux!.namespaces = x.linux!.namespaces!.filter((n) => n.type !== 'cgroup')));
    expect(sectionOf(formatPlan(describePlan(input(noNs))), 'mounts')).toContain('                    memory: bind /sys/fs/cgroup/memory/runts/c1');
  });

  it('says where the cgroups go on this host, and the device cgroup rules in order', () => {
    const d = describePlan(input(config((x) => (x.linux!.cgroupsPath = 'pods/p1'))));
    expect(d.cgroups).toEqual({
      mode: 'hybrid',
      dirs: [
        { hierarchy: 'cpu,cpuacct', dir: '/sys/fs/cgroup/cpu,cpuacct/pods/p1' },
        { hierarchy: 'memory', dir: '/sys/fs/cgroup/memory/pods/p1' },
        { hierarchy: 'unified', dir: '/sys/fs/cgroup/unified/pods/p1' },
      ],
    });
    const text = formatPlan(d);
    expect(sectionOf(text, 'cgroups')).toEqual([
      'cgroups:',
      '  mode         hybrid',
      '  cpu,cpuacct  /sys/fs/cgroup/cpu,cpuacct/pods/p1',
      '  memory       /sys/fs/cgroup/memory/pods/p1',
      '  unified      /sys/fs/cgroup/unified/pods/p1',
    ]);
    expect(d.deviceRules[0]).toBe('allow b *:* m');
    expect(d.deviceRules).toContain('allow c 1:3 rwm');
    expect(describePlan({ ...input(config()), noCgroups: true }).cgroups).toBeNull();
    expect(formatPlan(describePlan({ ...input(config()), noCgroups: true }))).toContain('  mode  none (--cgroup-manager disabled)');
  });

  it('gives capabilities by name per set, rlimits, user, cwd, args and env', () => {
    const c = config((x) => {
      x.process!.args = ['/bin/sh', '-c', 'echo hi'];
      x.process!.cwd = '/work';
      x.process!.user = { uid: 1000, gid: 100, additionalGids: [5, 6], umask: 0o22 };
      x.process!.env = ['A=1'];
      x.process!.capabilities = { bounding: ['CAP_SYS_ADMIN', 'CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'], ambient: [] };
      x.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }, { type: 'RLIMIT_CORE', soft: 0, hard: 18446744073709551615 }];
    });
    const text = formatPlan(describePlan(input(c)));
    expect(sectionOf(text, 'capabilities')).toEqual([
      'capabilities:',
      '  bounding     CAP_CHOWN, CAP_SYS_ADMIN',
      '  effective    CAP_CHOWN',
      '  permitted    CAP_CHOWN',
      '  inheritable  (none)',
      '  ambient      (none)',
    ]);
    expect(sectionOf(text, 'rlimits')).toEqual(['rlimits:', '  RLIMIT_NOFILE  soft 1024 hard 4096', '  RLIMIT_CORE    soft 0 hard 18446744073709551615']);
    const proc = sectionOf(text, 'process');
    expect(proc).toContain('  args               ["/bin/sh","-c","echo hi"]');
    expect(proc).toContain('  cwd                /work');
    expect(proc).toContain('  user               uid 1000 gid 100 groups 5,6 umask 022');
    expect(proc).toContain('  env                A=1');
  });

  it('summarises seccomp: default action, rule count, architectures, program size', () => {
    const c = config((x) => {
      x.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 1,
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
        syscalls: [
          { names: ['read', 'write', 'exit'], action: 'SCMP_ACT_ALLOW' },
          { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        ],
      };
    });
    const d = describePlan(input(c));
    expect(d.seccomp).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO (errno 1)',
      rules: 2,
      syscalls: 4,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      flags: [],
      listenerPath: null,
      instructions: 3,
    });
    expect(sectionOf(formatPlan(d), 'seccomp')).toEqual([
      'seccomp:',
      '  default action  SCMP_ACT_ERRNO (errno 1)',
      '  rules           2 (4 syscall names)',
      '  architectures   SCMP_ARCH_X86_64, SCMP_ARCH_X86',
      '  flags           (none)',
      '  program         3 BPF instructions',
    ]);
    expect(formatPlan(describePlan(input(config())))).toContain('seccomp: (none)\n');
  });

  it('lists hooks, sysctls, masked and read-only paths one a line', () => {
    const c = config((x) => {
      x.hooks = { prestart: [{ path: '/usr/bin/netns-setup', args: ['netns-setup', 'up'], timeout: 5 }], poststop: [{ path: '/bin/cleanup' }] };
      x.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      x.linux!.maskedPaths = ['/proc/kcore', '/proc/keys'];
      x.linux!.readonlyPaths = ['/proc/sys'];
    });
    const text = formatPlan(describePlan(input(c)));
    expect(sectionOf(text, 'hooks')).toEqual(['hooks:', '  prestart  ["netns-setup","up"] (/usr/bin/netns-setup) timeout 5 s', '  poststop  ["/bin/cleanup"]']);
    expect(sectionOf(text, 'sysctls')).toEqual(['sysctls:', '  net.ipv4.ip_forward  1']);
    expect(sectionOf(text, 'masked paths')).toEqual(['masked paths:', '  /proc/kcore', '  /proc/keys']);
    expect(sectionOf(text, 'read-only paths')).toEqual(['read-only paths:', '  /proc/sys']);
  });

  it('describes the root filesystem and how it is entered', () => {
    const d = describePlan(input(config((x) => (x.linux!.rootfsPropagation = 'rshared')), { noPivot: true }));
    expect(d.rootfs).toEqual({ path: '/bundle/rootfs', readonly: true, pivot: 'MS_MOVE + chroot', rootPropagation: 'rslave', rootfsPropagation: 'rshared' });
    expect(sectionOf(formatPlan(d), 'root filesystem')).toEqual([
      'root filesystem:',
      '  path            /bundle/rootfs',
      '  read-only       yes',
      '  switch          MS_MOVE + chroot',
      '  "/" first made  rslave',
      '  propagation     rshared',
    ]);
  });

  it('is JSON as it is (plain data, no numbers left to decode)', () => {
    const d = describePlan(input(config()));
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d.devices[0]).toEqual({ path: '/dev/null', type: 'c', major: 1, minor: 3, mode: '0666', uid: 0, gid: 0 });
  });
});
