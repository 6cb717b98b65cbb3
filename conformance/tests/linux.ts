// config-linux.md: namespaces and their paths, user mappings, time offsets,
// devices, cgroups and resources, sysctl, seccomp, propagation, masked and
// read-only paths, personality, memory policy, Intel RDT, mount label.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NamespaceType, OciConfig } from '../../src/config/types';
import { packageRoot } from '../../src/native/binding';
import { HOST, parseMountinfo, statusField, type ConformanceTest, type Report, type StatResult, type TestContext } from '../harness';
import { processTest } from './process-test';

const PROC_NS: Record<NamespaceType, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

// x86_64 syscall numbers, for the checker's syscall: requests.
const SYS_GETPID = 39;
const SYS_MKDIR = 83;
const SYS_GETPPID = 110;
const SYS_PERSONALITY = 135;
const SYS_ADD_KEY = 248;

/** The allow list of Podman's default profile (test/fixtures/seccomp), for deny-by-default tests. */
function podmanAllowList(): string[] {
  const profile = JSON.parse(readFileSync(path.join(packageRoot(), 'test', 'fixtures', 'seccomp', 'podman-seccomp.json'), 'utf8')) as { syscalls: { names: string[]; action: string }[] };
  // arch_prctl is in an amd64-only rule of the template; static glibc needs it.
  return [...profile.syscalls.find((s) => s.action === 'SCMP_ACT_ALLOW' && s.names.length > 100)!.names, 'arch_prctl'];
}

function hostNs(ns: string): string {
  return readlinkSync(`/proc/self/ns/${ns}`);
}

function withUserNamespace(c: OciConfig): void {
  c.linux!.namespaces!.push({ type: 'user' });
  c.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  c.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  // sysfs and cgroupfs are not mountable from a user namespace without more
  // of their own; the mapping is what this test checks.
  c.mounts = c.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
}

function namespaceTest(type: NamespaceType): ConformanceTest {
  return {
    id: `config-linux.namespaces.${type}`,
    section: 'config-linux.md#namespaces',
    level: 'MUST',
    requirement: `If path is not specified, the runtime MUST create a new container namespace of type ${type}.`,
    requires: type === 'time' ? [HOST.timeNamespace] : [],
    run(t) {
      const r = t.check((c) => {
        if (type === 'user') withUserNamespace(c);
        else if (!c.linux!.namespaces!.some((n) => n.type === type)) c.linux!.namespaces!.push({ type });
      });
      t.ok(r.namespaces[PROC_NS[type]] !== hostNs(PROC_NS[type]), `the ${type} namespace differs from the host's (${r.namespaces[PROC_NS[type]]})`);
    },
  };
}

/** Runs a container that sleeps, for other containers to join its namespaces. */
function sleeper(t: TestContext, edit: (c: OciConfig) => void = () => {}): number {
  const id = t.newId();
  const { dir } = t.bundle((c) => {
    c.process!.args = ['sleep', '60'];
    edit(c);
  });
  t.mustCreate(dir, id);
  t.succeeds(t.rt(['start', id]), 'start');
  return Number(t.state(id).pid);
}

function cgroupFile(t: TestContext, r: Report, controller: string, file: string): string {
  const content = r[`read:/sys/fs/cgroup/${controller}/${file}`] as { content?: string; errno?: number } | undefined;
  if (!content || content.content === undefined) t.ok(false, `cannot read /sys/fs/cgroup/${controller}/${file} in the container (errno ${content?.errno})`);
  return content!.content!.trim();
}

/** A resource test: config.linux.resources as seen in the container's own cgroup files. */
function resourceTest(
  id: string,
  requirement: string,
  controller: string,
  files: string[],
  resources: Record<string, unknown>,
  expect: (values: string[]) => boolean,
  describe: string,
  section = 'config-linux.md#control-groups',
): ConformanceTest {
  return {
    id: `config-linux.resources.${id}`,
    section,
    level: 'MUST',
    requirement,
    requires: [HOST.cgroupV1Controller(controller)],
    run(t) {
      const r = t.check(
        (c) => {
          c.linux!.resources = resources;
          c.linux!.namespaces!.push({ type: 'cgroup' });
          c.linux!.namespaces = c.linux!.namespaces!.filter((n, i, all) => all.findIndex((m) => m.type === n.type) === i);
        },
        files.map((f) => `read:/sys/fs/cgroup/${controller}/${f}`),
      );
      const values = files.map((f) => cgroupFile(t, r, controller, f));
      t.ok(expect(values), `${describe}: ${files.map((f, i) => `${f}=${values[i]}`).join(', ')}`);
    },
  };
}

export const linuxTests: ConformanceTest[] = [
  {
    id: 'config-linux.default-filesystems',
    section: 'config-linux.md#default-filesystems',
    level: 'SHOULD',
    requirement: 'The following filesystems SHOULD be made available in each container\'s filesystem: /proc proc, /sys sysfs, /dev/pts devpts, /dev/shm tmpfs.',
    run(t) {
      const mounts = parseMountinfo(t.check().mountinfo);
      const types = Object.fromEntries(mounts.map((m) => [m.mountPoint, m.fstype]));
      t.equal([types['/proc'], types['/sys'], types['/dev/pts'], types['/dev/shm']], ['proc', 'sysfs', 'devpts', 'tmpfs'], 'types');
    },
  },
  ...(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as NamespaceType[]).map(namespaceTest),
  {
    id: 'config-linux.namespaces.inherit',
    section: 'config-linux.md#namespaces',
    level: 'MUST',
    requirement: 'If a namespace type is not specified in the namespaces array, the container MUST inherit the runtime namespace of that type.',
    run(t) {
      const r = t.check((c) => {
        c.linux!.namespaces = c.linux!.namespaces!.filter((n) => ['mount', 'pid'].includes(n.type));
        delete c.hostname;
        c.mounts = c.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup');
      });
      t.equal([r.namespaces.net, r.namespaces.ipc, r.namespaces.uts], [hostNs('net'), hostNs('ipc'), hostNs('uts')], 'net, ipc, uts');
    },
  },
  {
    id: 'config-linux.namespaces.path',
    section: 'config-linux.md#namespaces',
    level: 'MUST',
    requirement: 'The runtime MUST place the container process in the namespace associated with that path.',
    run(t) {
      const pid = sleeper(t);
      const r = t.check((c) => {
        c.linux!.namespaces = c.linux!.namespaces!.map((n) =>
          ['network', 'ipc', 'uts'].includes(n.type) ? { type: n.type, path: `/proc/${pid}/ns/${PROC_NS[n.type]}` } : n,
        );
        delete c.hostname;
      });
      t.equal([r.namespaces.net, r.namespaces.ipc, r.namespaces.uts], ['net', 'ipc', 'uts'].map((n) => readlinkSync(`/proc/${pid}/ns/${n}`)), 'net, ipc, uts');
    },
  },
  {
    id: 'config-linux.namespaces.path-netns',
    section: 'config-linux.md#namespaces',
    level: 'MUST',
    requirement: 'path: namespace file. This value MUST be an absolute path in the runtime mount namespace (e.g. /var/run/netns/NAME).',
    requires: [HOST.ip],
    run(t) {
      const name = `conformance-${process.pid}`;
      const add = spawnSync('ip', ['netns', 'add', name]);
      t.ok(add.status === 0, 'ip netns add');
      try {
        const r = t.check((c) => (c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/var/run/netns/${name}` } : n))));
        const inode = spawnSync('stat', ['-L', '-c', '%i', `/var/run/netns/${name}`], { encoding: 'utf8' }).stdout.trim();
        t.equal(r.namespaces.net, `net:[${inode}]`, 'the container is in the named network namespace');
      } finally {
        spawnSync('ip', ['netns', 'delete', name]);
      }
    },
  },
  {
    id: 'config-linux.namespaces.path-wrong-type',
    section: 'config-linux.md#namespaces',
    level: 'MUST',
    requirement: 'The runtime MUST generate an error if path is not associated with a namespace of type type.',
    run(t) {
      const { dir } = t.bundle((c) => (c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/self/ns/uts' } : n))));
      t.fails(t.create(dir, t.newId()), 'create joining a uts namespace as a network namespace');
    },
  },
  {
    id: 'config-linux.namespaces.duplicate',
    section: 'config-linux.md#namespaces',
    level: 'MUST',
    requirement: 'If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error.',
    run(t) {
      const { dir } = t.bundle((c) => c.linux!.namespaces!.push({ type: 'ipc' }));
      t.fails(t.create(dir, t.newId()), 'create with the ipc namespace twice');
    },
  },
  {
    id: 'config-linux.user-namespace-mappings',
    section: 'config-linux.md#user-namespace-mappings',
    level: 'MUST',
    requirement: 'uidMappings/gidMappings describe the user namespace uid/gid mappings from the host to the container.',
    run(t) {
      const r = t.check(withUserNamespace, ['read:/proc/self/uid_map', 'read:/proc/self/gid_map']);
      const norm = (x: unknown) => ((x as { content?: string }).content ?? '').trim().split(/\s+/).join(' ');
      t.equal([norm(r['read:/proc/self/uid_map']), norm(r['read:/proc/self/gid_map'])], ['0 200000 65536', '0 200000 65536'], 'uid_map and gid_map');
      t.equal(r.uid, [0, 0, 0], 'root in the namespace');
    },
  },
  {
    id: 'config-linux.time-offsets',
    section: 'config-linux.md#offset-for-time-namespace',
    level: 'MUST',
    requirement: 'timeOffsets (object, OPTIONAL) sets the offset for Time Namespace.',
    requires: [HOST.timeNamespace],
    run(t) {
      const r = t.check((c) => {
        c.ociVersion = '1.1.0';
        c.linux!.namespaces!.push({ type: 'time' });
        c.linux!.timeOffsets = { boottime: { secs: 10 * 86400 } };
      }, ['read:/proc/uptime']);
      const inside = Number(((r['read:/proc/uptime'] as { content?: string }).content ?? '0').split(' ')[0]);
      const host = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      t.ok(inside - host > 10 * 86400 - 60, `uptime inside (${inside}) is the host's (${host}) plus 10 days`);
    },
  },
  {
    id: 'config-linux.devices',
    section: 'config-linux.md#devices',
    level: 'MUST',
    requirement: 'devices (array of objects, OPTIONAL) lists devices that MUST be available in the container.',
    run(t) {
      const r = t.check((c) => (c.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o640, uid: 0, gid: 5 }, { path: '/dev/loop-test', type: 'b', major: 7, minor: 200, fileMode: 0o600 }]), ['stat:/dev/fuse', 'stat:/dev/loop-test']);
      t.equal(r['stat:/dev/fuse'], { type: 'char', mode: 0o640, uid: 0, gid: 5, major: 10, minor: 229, link: '' }, '/dev/fuse');
      const loop = r['stat:/dev/loop-test'] as StatResult;
      t.equal([loop.type, loop.major, loop.minor, loop.mode], ['block', 7, 200, 0o600], '/dev/loop-test');
    },
  },
  {
    id: 'config-linux.devices.fifo',
    section: 'config-linux.md#devices',
    level: 'MUST',
    requirement: 'type (string, REQUIRED) - type of device: c, b, u or p.',
    run(t) {
      const r = t.check((c) => (c.linux!.devices = [{ path: '/dev/myfifo', type: 'p' }]), ['stat:/dev/myfifo']);
      t.equal((r['stat:/dev/myfifo'] as StatResult).type, 'fifo', '/dev/myfifo');
    },
  },
  {
    id: 'config-linux.devices.mismatch',
    section: 'config-linux.md#devices',
    level: 'MUST',
    requirement: 'If a file already exists at path that does not match the requested device, the runtime MUST generate an error.',
    run(t) {
      const { dir } = t.bundle((c, bundle) => {
        writeFileSync(path.join(bundle, 'rootfs', 'etc', 'not-a-device'), 'x');
        c.linux!.devices = [{ path: '/etc/not-a-device', type: 'c', major: 1, minor: 3 }];
      });
      t.fails(t.create(dir, t.newId()), 'create with a regular file where a device is asked for');
    },
  },
  {
    id: 'config-linux.default-devices',
    section: 'config-linux.md#default-devices',
    level: 'MUST',
    requirement: 'In addition to any devices configured with this setting, the runtime MUST also supply /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty, /dev/ptmx.',
    run(t) {
      const names: [string, number, number][] = [['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0]];
      const r = t.check(undefined, [...names.map(([n]) => `stat:/dev/${n}`), 'stat:/dev/ptmx']);
      for (const [n, maj, min] of names) {
        const s = r[`stat:/dev/${n}`] as StatResult;
        t.equal([s.type, s.major, s.minor], ['char', maj, min], `/dev/${n}`);
      }
      const ptmx = r['stat:/dev/ptmx'] as StatResult;
      t.ok((ptmx.type === 'symlink' && ptmx.link === 'pts/ptmx') || (ptmx.type === 'char' && ptmx.major === 5 && ptmx.minor === 2), `/dev/ptmx is pts/ptmx (${JSON.stringify(ptmx)})`);
    },
  },
  {
    id: 'config-linux.cgroups-path',
    section: 'config-linux.md#cgroups-path',
    level: 'MUST',
    requirement: 'In the case of an absolute path (starting with /), the runtime MUST take the path to be relative to the cgroups mount point. The cgroups will be created if they don\'t exist.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => (c.linux!.cgroupsPath = `/conformance-cg/${id}`));
      t.mustCreate(dir, id);
      const pid = Number(t.state(id).pid);
      const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      t.ok(cg.includes(`/conformance-cg/${id}\n`), `the process is in /conformance-cg/${id} (${cg.split('\n')[0]})`);
    },
  },
  resourceTest('memory.limit', 'memory.limit (int64, OPTIONAL) - sets limit of memory usage', 'memory', ['memory.limit_in_bytes'], { memory: { limit: 64 * 1024 * 1024 } }, ([v]) => v === String(64 * 1024 * 1024), 'memory.limit_in_bytes is 64 MiB'),
  resourceTest('memory.reservation', 'memory.reservation (int64, OPTIONAL) - sets soft limit of memory usage', 'memory', ['memory.soft_limit_in_bytes'], { memory: { reservation: 32 * 1024 * 1024 } }, ([v]) => v === String(32 * 1024 * 1024), 'memory.soft_limit_in_bytes is 32 MiB'),
  resourceTest('memory.swappiness', 'swappiness (uint64, OPTIONAL) - sets swappiness parameter of vmscan', 'memory', ['memory.swappiness'], { memory: { swappiness: 17 } }, ([v]) => v === '17', 'memory.swappiness is 17'),
  resourceTest('memory.disableOOMKiller', 'disableOOMKiller (bool, OPTIONAL) - enables or disables the OOM killer', 'memory', ['memory.oom_control'], { memory: { disableOOMKiller: true } }, ([v]) => /oom_kill_disable 1/.test(v ?? ''), 'oom_kill_disable is 1'),
  resourceTest('cpu.shares', 'shares (uint64, OPTIONAL) - specifies a relative share of CPU time available to the tasks in a cgroup', 'cpu', ['cpu.shares'], { cpu: { shares: 512 } }, ([v]) => v === '512', 'cpu.shares is 512'),
  resourceTest('cpu.quota', 'quota/period: the total amount of time in microseconds for which all tasks in a cgroup can run during one period', 'cpu', ['cpu.cfs_quota_us', 'cpu.cfs_period_us'], { cpu: { quota: 20000, period: 100000 } }, ([q, p]) => q === '20000' && p === '100000', 'cpu.cfs_quota_us 20000 and cpu.cfs_period_us 100000'),
  resourceTest('cpu.cpus', 'cpus (string, OPTIONAL) - list of CPUs the container will run in', 'cpuset', ['cpuset.cpus'], { cpu: { cpus: '0' } }, ([v]) => v === '0', 'cpuset.cpus is 0'),
  resourceTest('pids.limit', 'limit (int64, REQUIRED) - specifies the maximum number of tasks in the cgroup', 'pids', ['pids.max'], { pids: { limit: 42 } }, ([v]) => v === '42', 'pids.max is 42'),
  resourceTest('blockIO.weight', 'weight (uint16, OPTIONAL) - specifies per-cgroup weight', 'blkio', ['blkio.bfq.weight'], { blockIO: { weight: 300 } }, ([v]) => /300/.test(v ?? ''), 'blkio.bfq.weight is 300'),
  resourceTest(
    'devices',
    'devices (array of objects, OPTIONAL) configures the allowed device list. The runtime MUST apply entries in the listed order.',
    'devices',
    ['devices.list'],
    { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] },
    // runc's defaults (null, zero, full, tty, ...) come after the config's
    // rules and widen c 1:3 to rwm: only "rw" being there is required.
    ([v]) => (v ?? '').trim().split('\n').some((l) => /^c 1:3 rwm?$/.test(l)) && !(v ?? '').includes('a *:* rwm'),
    'devices.list allows c 1:3 rw and not every device (the runtime\'s defaults may follow)',
  ),
  resourceTest(
    'hugepageLimits',
    'hugepageLimits (array of objects, OPTIONAL) represents the hugetlb controller.',
    'hugetlb',
    ['hugetlb.2MB.limit_in_bytes'],
    { hugepageLimits: [{ pageSize: '2MB', limit: 4 * 1024 * 1024 }] },
    ([v]) => v === String(4 * 1024 * 1024),
    'hugetlb.2MB.limit_in_bytes is 4 MiB',
    'config-linux.md#huge-page-limits',
  ),
  resourceTest(
    'network',
    'network (object, OPTIONAL) represents the cgroup subsystems net_cls and net_prio.',
    'net_cls',
    ['net_cls.classid'],
    { network: { classID: 1048577 } },
    ([v]) => v === '1048577',
    'net_cls.classid is 1048577',
    'config-linux.md#network',
  ),
  {
    id: 'config-linux.resources.unified',
    section: 'config-linux.md#unified',
    level: 'MUST',
    requirement: 'Each key in the map refers to a file in the cgroup unified hierarchy ... Configuration unknown to the runtime MUST still be written to the relevant file.',
    requires: [HOST.cgroupV2],
    run(t) {
      const r = t.check((c) => (c.linux!.resources = { unified: { 'pids.max': '33' } }), ['read:/sys/fs/cgroup/pids.max']);
      t.equal((r['read:/sys/fs/cgroup/pids.max'] as { content?: string }).content?.trim(), '33', 'pids.max');
    },
  },
  {
    id: 'config-linux.sysctl',
    section: 'config-linux.md#sysctl',
    level: 'MUST',
    requirement: 'sysctl (object, OPTIONAL) allows kernel parameters to be modified at runtime for the container.',
    run(t) {
      const r = t.check((c) => (c.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '12345' }), ['read:/proc/sys/net/ipv4/ip_forward', 'read:/proc/sys/kernel/msgmax']);
      const v = (k: string) => (r[`read:/proc/sys/${k}`] as { content?: string }).content?.trim();
      t.equal([v('net/ipv4/ip_forward'), v('kernel/msgmax')], ['1', '12345'], 'net.ipv4.ip_forward and kernel.msgmax');
    },
  },
  {
    id: 'config-linux.seccomp',
    section: 'config-linux.md#seccomp',
    level: 'MUST',
    requirement: 'Seccomp configuration allows one to configure actions to take for matched syscalls.',
    run(t) {
      const r = t.check((c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 }] }), ['mkdir:/tmp/seccomp-test']);
      t.equal(r['mkdir:/tmp/seccomp-test'], { errno: 77 }, 'mkdir fails with the configured errno');
      t.equal(statusField(r, 'Seccomp'), '2', 'seccomp filter mode');
    },
  },
  {
    id: 'config-linux.seccomp.defaultErrnoRet',
    section: 'config-linux.md#seccomp',
    level: 'MUST',
    requirement: 'defaultErrnoRet (uint, OPTIONAL) - the errno return code to use [for defaultAction SCMP_ACT_ERRNO].',
    run(t) {
      // A deny-by-default profile: the allow list of Podman's default profile.
      const r = t.check((c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 71, architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: podmanAllowList(), action: 'SCMP_ACT_ALLOW' }] }), [`syscall:${SYS_ADD_KEY},0,0,0,0,0`, `syscall:${SYS_GETPID}`]);
      t.equal(r[`syscall:${SYS_ADD_KEY},0,0,0,0,0`], { errno: 71 }, 'add_key (not allowed) fails with defaultErrnoRet');
      t.equal(r[`syscall:${SYS_GETPID}`], { ret: 1 }, 'getpid (allowed) works');
    },
  },
  {
    id: 'config-linux.seccomp.errnoRet-default',
    section: 'config-linux.md#seccomp',
    level: 'MUST',
    requirement: 'errnoRet (uint, OPTIONAL) - the errno return code to use. ... If not specified then its default value is EPERM.',
    run(t) {
      const r = t.check((c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }), ['mkdir:/tmp/seccomp-test']);
      t.equal(r['mkdir:/tmp/seccomp-test'], { errno: 1 }, 'mkdir fails with EPERM');
    },
  },
  {
    id: 'config-linux.seccomp.errnoRet-unsupported',
    section: 'config-linux.md#seccomp',
    level: 'MUST',
    requirement: "When the action doesn't support an errno, the runtime MUST print and error and fail.",
    run(t) {
      const { dir } = t.bundle((c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 5 }] }));
      const r = t.create(dir, t.newId());
      t.fails(r, 'create with errnoRet on SCMP_ACT_KILL');
      t.ok(r.stderr.trim() !== '', 'an error is printed');
    },
  },
  {
    id: 'config-linux.seccomp.args',
    section: 'config-linux.md#seccomp',
    level: 'MUST',
    requirement: 'args (array of objects, OPTIONAL) - the specific syscall in seccomp. index (uint, REQUIRED) - the index for syscall arguments in seccomp. value (uint64, REQUIRED) - the value for syscall arguments in seccomp. op (string, REQUIRED) - the operator for syscall arguments in seccomp.',
    run(t) {
      const probe = (persona: number) => `syscall:${SYS_PERSONALITY},${persona}`;
      const r = t.check((c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 61, args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }] }), [probe(8), probe(0xffffffff)]);
      t.equal(r[probe(8)], { errno: 61 }, 'personality(PER_LINUX32) matches the condition');
      t.ok('ret' in (r[probe(0xffffffff)] as object), 'personality(0xffffffff) does not match and is allowed');
    },
  },
  {
    id: 'config-linux.seccomp.action-kill-process',
    section: 'config-linux.md#seccomp',
    level: 'MUST',
    requirement: 'action (string, REQUIRED) - the action for seccomp rules. A valid list of constants as of libseccomp v2.5.0 is shown below. ... SCMP_ACT_KILL_PROCESS',
    run(t) {
      const { dir } = t.bundle((c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_KILL_PROCESS' }] }), [`syscall:${SYS_GETPPID}`]);
      const r = t.rt(['run', '--bundle', dir, t.newId()]);
      t.equal(r.code, 128 + 31, 'the container process is killed by SIGSYS');
    },
  },
  {
    id: 'config-linux.seccomp.flags',
    section: 'config-linux.md#seccomp',
    level: 'MUST',
    requirement: 'flags (array of strings, OPTIONAL) - list of flags to use with seccomp(2). A valid list of constants is shown below. SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
    run(t) {
      const r = t.check((c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 }] }), ['mkdir:/tmp/seccomp-test']);
      t.equal(r['mkdir:/tmp/seccomp-test'], { errno: 77 }, 'the filter with flags is loaded');
    },
  },
  {
    id: 'config-linux.seccomp.listenerPath',
    section: 'config-linux.md#seccomp',
    level: 'MUST',
    requirement: 'listenerPath (string, OPTIONAL) - specifies the path of UNIX domain socket over which the runtime will send the container process state data structure when the SCMP_ACT_NOTIFY action is used.',
    async run(t) {
      const socket = path.join(t.scratch(), 'agent.sock');
      const report = `${socket}.json`;
      const agent = spawn('python3', [path.join(packageRoot(), 'test', 'helpers', 'seccomp-agent.py'), socket, report], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 500 && !existsSync(report); i++) await new Promise((res) => setTimeout(res, 10));
        const r = t.check((c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: socket, listenerMetadata: 'conformance', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }), [`syscall:${SYS_MKDIR},0`]);
        t.equal(r[`syscall:${SYS_MKDIR},0`], { ret: 42 }, 'mkdir answered by the agent');
        const seen = JSON.parse(readFileSync(report, 'utf8')) as { state: Record<string, unknown>; fds: number };
        t.equal(seen.fds, 1, 'one fd in SCM_RIGHTS');
        t.equal([seen.state.fds, seen.state.metadata, (seen.state.state as Record<string, unknown>).status], [['seccompFd'], 'conformance', 'creating'], 'the seccomp state (fds, metadata, state.status)');
      } finally {
        agent.kill('SIGKILL');
      }
    },
  },
  ...(['shared', 'slave', 'private', 'unbindable'] as const).map((prop): ConformanceTest => ({
    id: `config-linux.rootfsPropagation.${prop}`,
    section: 'config-linux.md#rootfs-mount-propagation',
    level: 'MUST',
    requirement: `rootfsPropagation (string, OPTIONAL) sets the rootfs's mount propagation: ${prop}.`,
    requires: prop === 'slave' ? [HOST.sharedRoot] : [],
    run(t) {
      const r = t.check((c) => {
        c.linux!.rootfsPropagation = prop;
        c.root!.readonly = false;
      });
      const root = parseMountinfo(r.mountinfo).filter((m) => m.mountPoint === '/').pop();
      const opt = root?.optional ?? [];
      const ok =
        prop === 'shared' ? opt.some((o) => o.startsWith('shared:'))
        : prop === 'slave' ? opt.some((o) => o.startsWith('master:'))
        : prop === 'unbindable' ? opt.includes('unbindable')
        : !opt.some((o) => o.startsWith('shared:') || o.startsWith('master:'));
      t.ok(ok, `/ is ${prop} (optional fields: ${opt.join(' ') || 'none'})`);
    },
  })),
  {
    id: 'config-linux.maskedPaths',
    section: 'config-linux.md#masked-paths',
    level: 'MUST',
    requirement: 'maskedPaths (array of strings, OPTIONAL) will mask over the provided paths inside the container so that they cannot be read.',
    run(t) {
      const r = t.check((c) => (c.linux!.maskedPaths = ['/proc/kcore', '/sys/firmware', '/etc/passwd']), ['read:/etc/passwd', 'ls:/sys/firmware', 'read:/proc/kcore']);
      t.equal(r['read:/etc/passwd'], { content: '' }, '/etc/passwd reads empty');
      t.equal(r['ls:/sys/firmware'], { entries: [] }, '/sys/firmware is empty');
      const kcore = r['read:/proc/kcore'] as { content?: string };
      t.ok(kcore.content === '' || kcore.content === undefined, '/proc/kcore gives nothing');
    },
  },
  {
    id: 'config-linux.readonlyPaths',
    section: 'config-linux.md#readonly-paths',
    level: 'MUST',
    requirement: 'readonlyPaths (array of strings, OPTIONAL) will set the provided paths as readonly inside the container.',
    run(t) {
      const r = t.check((c) => {
        c.root!.readonly = false;
        c.linux!.readonlyPaths = ['/proc/sys', '/etc'];
      }, ['write:/proc/sys/kernel/hostname', 'mkdir:/etc/newdir']);
      t.equal([r['write:/proc/sys/kernel/hostname'], r['mkdir:/etc/newdir']], [{ errno: 30 }, { errno: 30 }], 'writes fail with EROFS');
    },
  },
  processTest(
    'config-linux.personality',
    'config-linux.md#personality',
    'personality (object, OPTIONAL) sets the Linux execution personality. LINUX32 will set the uname system call to show a 32 bit CPU type, such as i686.',
    (c) => {
      c.ociVersion = '1.1.0';
      c.linux!.personality = { domain: 'LINUX32' };
    },
    (t, r) => t.equal(r.uname, 'i686', 'uname -m'),
    ['uname'],
  ),
  processTest(
    'config-linux.memoryPolicy',
    'config-linux.md#memory-policy',
    'memoryPolicy (object, OPTIONAL) sets the NUMA memory policy for the container (set_mempolicy).',
    (c) => {
      c.ociVersion = '1.3.0';
      c.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
    },
    (t, r) => t.equal(r.mempolicy, { mode: 2, nodes: 1 }, 'MPOL_BIND (2) on node 0'),
    ['mempolicy'],
  ),
  {
    id: 'config-linux.intelRdt',
    section: 'config-linux.md#intelrdt',
    level: 'MUST',
    requirement: 'If intelRdt is set, the runtime MUST write the container process ID to the tasks file in a proper sub-directory in a mounted resctrl pseudo-filesystem.',
    requires: [HOST.resctrl],
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => (c.linux!.intelRdt = { closID: `conformance-${process.pid}` }));
      t.mustCreate(dir, id);
      const tasks = readFileSync(`/sys/fs/resctrl/conformance-${process.pid}/tasks`, 'utf8');
      t.ok(tasks.split('\n').includes(String(t.state(id).pid)), 'the container process is in the CLOS tasks');
    },
  },
  {
    id: 'config-linux.mountLabel',
    section: 'config-linux.md#mount-label',
    level: 'MUST',
    requirement: 'mountLabel (string, OPTIONAL) will set the Selinux context for the mounts in the container.',
    requires: [HOST.selinux],
    run(t) {
      const label = 'system_u:object_r:container_file_t:s0:c1,c2';
      const r = t.check((c) => {
        c.linux!.mountLabel = label;
        c.mounts!.push({ destination: '/labelled', type: 'tmpfs', source: 'tmpfs' });
      });
      const m = parseMountinfo(r.mountinfo).find((x) => x.mountPoint === '/labelled');
      t.ok(m?.superOptions.some((o) => o.includes('container_file_t')), 'the tmpfs carries the context');
    },
  },
  {
    id: 'config.process.apparmorProfile',
    section: 'config.md#linux-process',
    level: 'MUST',
    requirement: 'apparmorProfile (string, OPTIONAL) specifies the name of the AppArmor profile for the process.',
    requires: [HOST.apparmor],
    run(t) {
      const r = t.check((c) => (c.process!.apparmorProfile = 'unconfined'), ['read:/proc/self/attr/current']);
      t.equal((r['read:/proc/self/attr/current'] as { content?: string }).content?.trim(), 'unconfined', 'the AppArmor profile');
    },
  },
  {
    id: 'config-linux.devices.console',
    section: 'config-linux.md#default-devices',
    level: 'MUST',
    requirement: '/dev/console is set up if terminal is enabled in the config by bind mounting the pseudoterminal pty to /dev/console.',
    requires: [HOST.python3],
    async run(t) {
      const report = await t.checkOnConsole(undefined, ['stat:/dev/console']);
      const console = report['stat:/dev/console'] as StatResult;
      t.equal([console.type, console.major], ['char', 136], '/dev/console is a pty slave (major 136)');
    },
  },
  {
    id: 'config-linux.sysctl.not-namespaced',
    section: 'config.md#valid-values',
    level: 'MUST',
    requirement: 'Runtimes MUST generate an error when invalid or unsupported values are encountered (a sysctl that is not in a namespace of the container).',
    run(t) {
      const { dir } = t.bundle((c) => (c.linux!.sysctl = { 'vm.swappiness': '10' }));
      t.fails(t.create(dir, t.newId()), 'create setting the host-wide vm.swappiness');
    },
  },
  {
    id: 'config-linux.cgroups-path-relative',
    section: 'config-linux.md#cgroups-path',
    level: 'MAY',
    requirement: 'In the case of a relative path (not starting with /), the runtime MAY interpret the path relative to a runtime-determined location in the cgroups hierarchy.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => (c.linux!.cgroupsPath = `conformance-rel/${id}`));
      t.mustCreate(dir, id);
      const cg = readFileSync(`/proc/${Number(t.state(id).pid)}/cgroup`, 'utf8');
      t.ok(cg.includes(`conformance-rel/${id}\n`), `the process is in a cgroup ending in conformance-rel/${id}`);
    },
  },
  {
    id: 'config-linux.user-namespace-uid',
    section: 'config-linux.md#user-namespace-mappings',
    level: 'MUST',
    requirement: 'uid ... specifies the user ID in the container namespace (mapped to the host through uidMappings).',
    run(t) {
      const r = t.check((c) => {
        withUserNamespace(c);
        c.process!.user = { uid: 1000, gid: 1000 };
      });
      t.equal([r.uid[0], r.gid[0]], [1000, 1000], 'uid and gid inside');
    },
  },
];
