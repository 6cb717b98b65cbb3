import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { defaultConfig } from '../../src/config/defaults';
import type { OciConfig } from '../../src/config/types';
import { DEFAULT_DEVICES, type PlanContext } from '../../src/plan/build';
import { buildCheckedPlan as buildPlan } from '../helpers/checked-plan';
import { MOUNT_ATTR, MS } from '../../src/plan/mount-options';
import { CLONE_FLAGS } from '../../src/plan/namespaces';
import { fakeHost } from '../helpers/fake-host';

const HYBRID = detectLayout(
  '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n33 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n36 30 0:33 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n',
  '2:cpu,cpuacct:/\n1:memory:/\n0::/\n',
);
const V2 = detectLayout('40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/\n');

function config(edit: (c: OciConfig) => void = () => {}): OciConfig {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig;
  edit(c);
  return c;
}

function ctx(over: Partial<PlanContext> = {}): PlanContext {
  return {
    id: 'c1',
    bundle: '/bundle',
    host: fakeHost({ '/srv/data': 'dir', '/etc/hosts': 'file' }),
    cgroups: placeContainer(HYBRID, undefined, 'c1'),
    env: {},
    ...over,
  };
}

describe('launch plan', () => {
  it('creates the listed namespaces', () => {
    const { plan } = buildPlan(config(), ctx());
    const f = CLONE_FLAGS;
    expect(plan.cloneFlags).toBe(f.pid | f.network | f.ipc | f.uts | f.mount | f.cgroup);
    expect(plan.joins).toEqual([]);
  });

  it('joins namespaces by path, the user namespace first', () => {
    const { plan } = buildPlan(
      config((c) => {
        c.linux!.namespaces = [
          { type: 'network', path: '/var/run/netns/n1' },
          { type: 'mount' },
          { type: 'user', path: '/proc/42/ns/user' },
        ];
      }),
      ctx(),
    );
    expect(plan.joins).toEqual([
      { flag: CLONE_FLAGS.user, path: '/proc/42/ns/user' },
      { flag: CLONE_FLAGS.network, path: '/var/run/netns/n1' },
    ]);
    expect(plan.cloneFlags).toBe(CLONE_FLAGS.mount);
  });

  it('writes uid/gid maps and time offsets for new user and time namespaces', () => {
    const { plan, extras } = buildPlan(
      config((c) => {
        c.linux!.namespaces!.push({ type: 'user' }, { type: 'time' });
        c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 5, size: 1 }];
        c.linux!.timeOffsets = { monotonic: { secs: 86400 }, boottime: { secs: -5, nanosecs: 7 } };
      }),
      ctx(),
    );
    expect(extras).toMatchObject({ uidMap: '0 100000 65536\n', gidMap: '0 100000 65536\n65536 5 1\n' });
    // The device cgroup's rules are the runtime's too, and a user namespace does not change them.
    expect(extras.deviceRules.length).toBe(11);
    expect(plan.timeOffsets).toBe('monotonic 86400 0\nboottime -5 7\n');
  });

  it('resolves the rootfs from the bundle and keeps mounts private to the container', () => {
    const { plan } = buildPlan(config((c) => (c.linux!.rootfsPropagation = 'shared')), ctx({ noPivot: true }));
    expect(plan.rootfs).toEqual({
      path: '/bundle/rootfs',
      noPivot: true,
      propagation: MS.REC | MS.SLAVE,
      rootfsPropagation: MS.SHARED,
      readonly: true,
    });
    const priv = buildPlan(config((c) => (c.linux!.rootfsPropagation = 'rprivate')), ctx()).plan.rootfs;
    expect(priv?.propagation).toBe(MS.REC | MS.PRIVATE);
  });

  it('plans filesystem mounts with flags and data', () => {
    const { plan } = buildPlan(config(), ctx());
    expect(plan.mounts[1]).toMatchObject({
      kind: 'fs',
      destination: '/dev',
      source: 'tmpfs',
      type: 'tmpfs',
      flags: MS.NOSUID | MS.STRICTATIME,
      data: 'mode=755,size=65536k',
    });
    expect(plan.mounts[5]).toMatchObject({ destination: '/sys', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, data: '' });
  });

  it('plans bind mounts: source from the bundle, flags by remount, file or directory', () => {
    const { plan } = buildPlan(
      config((c) => {
        c.mounts!.push(
          { destination: '/data', source: '/srv/data', options: ['rbind', 'ro', 'nosuid', 'rprivate'] },
          { destination: '/etc/hosts', type: 'bind', source: '/etc/hosts', options: ['bind'] },
          { destination: 'rel//dir/', type: 'none', source: 'data', options: ['rbind', 'rro'] },
        );
      }),
      ctx(),
    );
    const [data, hosts, rel] = plan.mounts.slice(-3);
    expect(data).toMatchObject({
      kind: 'bind',
      source: '/srv/data',
      flags: MS.BIND | MS.REC,
      remount: true,
      remountFlags: MS.RDONLY | MS.NOSUID,
      propagation: [MS.PRIVATE | MS.REC],
      sourceIsDir: true,
    });
    expect(hosts).toMatchObject({ kind: 'bind', flags: MS.BIND, remount: false, sourceIsDir: false });
    expect(rel).toMatchObject({ destination: '/rel/dir', source: '/bundle/data', recAttrSet: MOUNT_ATTR.RDONLY });
  });

  it('plans the cgroup mount with a cgroup namespace: a mount of each hierarchy (unified too on hybrid), links for co-mounts', () => {
    const { plan } = buildPlan(config(), ctx());
    const cg = plan.mounts.find((m) => m.destination === '/sys/fs/cgroup');
    expect(cg).toMatchObject({
      kind: 'cgroup1',
      flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY,
      cgroupParts: [
        { name: 'cpu,cpuacct', type: 'cgroup', source: 'cgroup', data: 'cpu,cpuacct' },
        { name: 'memory', type: 'cgroup', source: 'cgroup', data: 'memory' },
        { name: 'unified', type: 'cgroup2', source: 'cgroup2', data: '' },
      ],
      cgroupLinks: [
        { name: 'cpu', target: 'cpu,cpuacct' },
        { name: 'cpuacct', target: 'cpu,cpuacct' },
      ],
    });
    // A joined cgroup namespace counts (as runc's Namespaces.Contains).
    const joined = config((c) => (c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === 'cgroup' ? { type: 'cgroup', path: '/proc/1/ns/cgroup' } : n))));
    expect(buildPlan(joined, ctx()).plan.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.cgroupParts[0]?.type).toBe('cgroup');
  });

  it('plans the cgroup mount without a cgroup namespace: binds of the container\'s cgroup directories', () => {
    const noNs = config((c) => (c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'cgroup')));
    const cg = buildPlan(noNs, ctx()).plan.mounts.find((m) => m.destination === '/sys/fs/cgroup');
    expect(cg).toMatchObject({
      kind: 'cgroup1',
      cgroupParts: [
        { name: 'cpu,cpuacct', type: 'bind', source: '/sys/fs/cgroup/cpu,cpuacct/runts/c1', data: '' },
        { name: 'memory', type: 'bind', source: '/sys/fs/cgroup/memory/runts/c1', data: '' },
        { name: 'unified', type: 'bind', source: '/sys/fs/cgroup/unified/runts/c1', data: '' },
      ],
      cgroupLinks: [
        { name: 'cpu', target: 'cpu,cpuacct' },
        { name: 'cpuacct', target: 'cpu,cpuacct' },
      ],
    });
  });

  it('names a named v1 hierarchy by its options (name=systemd) and its mount point (systemd)', () => {
    const v1 = detectLayout(
      '32 30 0:29 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n33 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n',
      '2:name=systemd:/\n1:pids:/\n',
    );
    const cg = buildPlan(config(), ctx({ cgroups: placeContainer(v1, undefined, 'c1') })).plan.mounts.find((m) => m.destination === '/sys/fs/cgroup');
    expect(cg?.cgroupParts).toEqual([
      { name: 'systemd', type: 'cgroup', source: 'cgroup', data: 'name=systemd' },
      { name: 'pids', type: 'cgroup', source: 'cgroup', data: 'pids' },
    ]);
    expect(cg?.cgroupLinks).toEqual([]);
  });

  it('plans the cgroup mount on v2: cgroup2 in a cgroup namespace, else a bind of the container cgroup', () => {
    const v2 = ctx({ cgroups: placeContainer(V2, undefined, 'c1') });
    expect(buildPlan(config(), v2).plan.mounts.find((m) => m.destination === '/sys/fs/cgroup')).toMatchObject({
      kind: 'fs',
      type: 'cgroup2',
    });
    const noNs = config((c) => (c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'cgroup')));
    expect(buildPlan(noNs, v2).plan.mounts.find((m) => m.destination === '/sys/fs/cgroup')).toMatchObject({
      kind: 'bind',
      source: '/sys/fs/cgroup/runts/c1',
      remount: true,
    });
  });

  it('adds the default devices, lets the config override them, and skips them for a host /dev', () => {
    const { plan } = buildPlan(
      config((c) => {
        c.linux!.devices = [
          { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o660, uid: 1, gid: 2 },
          { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 },
          { path: '/dev/fifo0', type: 'p' },
        ];
      }),
      ctx(),
    );
    expect(plan.setupDev).toBe(true);
    expect(plan.devices.map((d) => d.path)).toEqual([...DEFAULT_DEVICES.map((d) => d.path).filter((p) => p !== '/dev/null'), '/dev/fuse', '/dev/null', '/dev/fifo0']);
    expect(plan.devices.find((d) => d.path === '/dev/fuse')).toEqual({ path: '/dev/fuse', type: 'c', major: 10, minor: 229, mode: 0o660, uid: 1, gid: 2 });
    expect(plan.devices.find((d) => d.path === '/dev/null')?.mode).toBe(0o600);
    const hostDev = buildPlan(config((c) => (c.mounts![1] = { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] })), ctx({ host: fakeHost({ '/dev': 'dir' }) }));
    expect(hostDev.plan.setupDev).toBe(false);
    expect(hostDev.plan.devices).toEqual([]);
  });

  it('plans the process', () => {
    const { plan } = buildPlan(
      config((c) => {
        const p = c.process!;
        p.user = { uid: 1000, gid: 100, umask: 0o27, additionalGids: [5, 6] };
        p.rlimits = [
          { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
          // JSON.parse turns RLIM_INFINITY (2^64-1) into 2^64.
          { type: 'RLIMIT_CORE', soft: JSON.parse('18446744073709551615'), hard: JSON.parse('18446744073709551615') },
        ];
        p.capabilities = { bounding: ['CAP_KILL', 'CAP_SYS_ADMIN'], effective: ['CAP_KILL'], ambient: [] };
        p.oomScoreAdj = 500;
        p.terminal = true;
        p.consoleSize = { height: 24, width: 80 };
        p.env = ['A=1', 'PATH=/bin', 'PATH=/usr/bin:/bin'];
      }),
      ctx({ preserveFds: 2, noNewKeyring: true }),
    );
    expect(plan.process).toEqual({
      args: ['sh'],
      env: ['A=1', 'PATH=/bin', 'PATH=/usr/bin:/bin'],
      cwd: '/',
      path: '/usr/bin:/bin',
      uid: 1000,
      gid: 100,
      additionalGids: [5, 6],
      setGroups: true,
      umask: 0o27,
      rlimits: [
        { name: 'RLIMIT_NOFILE', resource: 7, soft: '1024', hard: '4096' },
        { name: 'RLIMIT_CORE', resource: 4, soft: '18446744073709551615', hard: '18446744073709551615' },
      ],
      capabilities: { bounding: String((1n << 5n) | (1n << 21n)), effective: '32', permitted: '0', inheritable: '0', ambient: '0' },
      noNewPrivileges: true,
      oomScoreAdj: 500,
      terminal: true,
      consoleSize: { rows: 24, cols: 80 },
      preserveFds: 2,
      newKeyring: false,
      scheduler: null,
      ioPriority: null,
      cpuAffinity: { resetToAll: true, initial: null, final: null },
      lsm: { apparmorProfile: null, selinuxLabel: null },
    });
  });

  it('gives no capabilities when the config has none, and passes LISTEN_FDS on', () => {
    const { plan } = buildPlan(
      config((c) => delete c.process!.capabilities),
      ctx({ preserveFds: 1, env: { LISTEN_FDS: '2', LISTEN_PID: '4242' }, pid: 4242 }),
    );
    expect(plan.process.capabilities).toEqual({ bounding: '0', effective: '0', permitted: '0', inheritable: '0', ambient: '0' });
    expect(plan.process.preserveFds).toBe(3);
    expect(plan.process.env.slice(-2)).toEqual(['LISTEN_FDS=2', 'LISTEN_PID=1']);
  });

  it('turns sysctl keys into /proc/sys paths', () => {
    const { plan } = buildPlan(
      config((c) => (c.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'net/ipv4/conf/eth0.100/forwarding': '0' })),
      ctx(),
    );
    expect(plan.sysctls).toEqual([
      { key: 'net.ipv4.ip_forward', path: 'net/ipv4/ip_forward', value: '1' },
      { key: 'net/ipv4/conf/eth0.100/forwarding', path: 'net/ipv4/conf/eth0.100/forwarding', value: '0' },
    ]);
    // sysctl.d(5): with a dot first, a slash stands for a literal dot.
    const dotted = buildPlan(config((c) => (c.linux!.sysctl = { 'net.ipv4.conf.eth0/100.forwarding': '1' })), ctx()).plan;
    expect(dotted.sysctls[0]!.path).toBe('net/ipv4/conf/eth0.100/forwarding');
  });

  it('sets up the root filesystem in a joined mount namespace as in a new one (runc, runtime-tools linux_ns_path)', () => {
    const joined = buildPlan(config((c) => (c.linux!.namespaces = [{ type: 'mount', path: '/proc/9/ns/mnt' }])), ctx()).plan;
    const created = buildPlan(config((c) => (c.linux!.namespaces = [{ type: 'mount' }])), ctx()).plan;
    expect(joined.joins.map((j) => j.path)).toEqual(['/proc/9/ns/mnt']);
    expect({ ...joined, joins: [], cloneFlags: 0 }).toEqual({ ...created, joins: [], cloneFlags: 0 });
    expect(joined.rootfs).not.toBeNull();
    expect(joined.mounts.length).toBeGreaterThan(0);
  });

  it('is plain JSON: it survives a round trip unchanged', () => {
    const { plan } = buildPlan(config(), ctx());
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});
