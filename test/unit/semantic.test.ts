import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults';
import { semanticProblems, type SemanticContext } from '../../src/config/semantic';
import { fakeHost } from '../helpers/fake-host';

const base = () => {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as Record<string, any>;
  c.process.terminal = false;
  return c;
};
const ctx = (over: Partial<SemanticContext> = {}): SemanticContext => ({
  bundle: '/bundle',
  host: fakeHost(),
  terminalHandled: false,
  consoleSocket: false,
  ...over,
});
const paths = (c: unknown, o?: Partial<SemanticContext>) => semanticProblems(c, ctx(o)).problems.map((p) => p.path);
const messages = (c: unknown, o?: Partial<SemanticContext>) => semanticProblems(c, ctx(o)).problems.map((p) => `${p.path}: ${p.message}`);

describe('semantic checks', () => {
  it('passes the default spec', () => {
    expect(semanticProblems(base(), ctx())).toEqual({ problems: [], warnings: [] });
  });

  it('checks the ociVersion range', () => {
    const c = base();
    c.ociVersion = '1.9.0';
    expect(messages(c)).toEqual(['ociVersion: version "1.9.0" is not supported: runts implements runtime-spec 1.0.0 to 1.3.x']);
  });

  it('needs root, process and args[0]', () => {
    const c = base();
    delete c.root;
    c.process.args = [];
    expect(paths(c)).toEqual(['root', 'process.args']);
    const d = base();
    delete d.process;
    expect(paths(d)).toEqual(['process']);
  });

  it('checks that the rootfs exists on the host', () => {
    expect(messages(base(), { host: fakeHost({ '/bundle/rootfs': undefined as never }) })).toContain('root.path: /bundle/rootfs does not exist');
    expect(messages(base(), { host: fakeHost({ '/bundle/rootfs': 'file' }) })).toContain('root.path: /bundle/rootfs is not a directory');
  });

  it('requires a console socket for a terminal, and a terminal for a console socket', () => {
    const c = base();
    c.process.terminal = true;
    expect(paths(c)).toEqual(['process.terminal']);
    expect(paths(c, { terminalHandled: true, consoleSocket: true })).toEqual([]);
    expect(messages(base(), { terminalHandled: true, consoleSocket: true })[0]).toMatch(/process.terminal: is false, but --console-socket/);
  });

  it('rejects duplicate namespaces and needs mappings for a new user namespace', () => {
    const c = base();
    c.linux.namespaces.push({ type: 'pid' }, { type: 'user' });
    expect(messages(c)).toEqual([
      'linux.namespaces[6].type: the pid namespace is listed twice',
      'linux.uidMappings: is required when a new user namespace is created',
      'linux.gidMappings: is required when a new user namespace is created',
    ]);
    const d = base();
    d.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    expect(paths(d)).toEqual(['linux.uidMappings']);
  });

  it('checks namespace paths and kernel support', () => {
    const c = base();
    c.linux.namespaces[1] = { type: 'network', path: '/var/run/netns/missing' };
    c.linux.namespaces.push({ type: 'time' });
    const problems = messages(c, { host: fakeHost({}, { hasNamespaceType: (n) => n !== 'time' }) });
    expect(problems).toEqual([
      'linux.namespaces[1].path: /var/run/netns/missing does not exist',
      'linux.namespaces[6].type: this kernel has no time namespaces (no /proc/self/ns/time)',
    ]);
  });

  it('needs a UTS namespace for hostname and a time namespace for offsets', () => {
    const c = base();
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'uts');
    c.domainname = 'example.org';
    c.linux.timeOffsets = { monotonic: { secs: 5 } };
    expect(paths(c)).toEqual(['linux.timeOffsets', 'hostname', 'domainname']);
  });

  it('needs a mount namespace, and sets one joined by path up as a new one (as runc)', () => {
    const c = base();
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
    expect(paths(c)).toContain('linux.namespaces');
    const d = base();
    d.linux.namespaces = d.linux.namespaces.map((n: { type: string }) => (n.type === 'mount' ? { type: 'mount', path: '/proc/1/ns/mnt' } : n));
    expect(paths(d, { host: fakeHost({ '/proc/1/ns/mnt': 'file' }) })).toEqual([]);
  });

  it('checks rlimits', () => {
    const c = base();
    c.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_BOGUS', soft: 9, hard: 1 });
    expect(paths(c)).toEqual(['process.rlimits[1].type', 'process.rlimits[2].type', 'process.rlimits[2]']);
  });

  it('warns about unknown capabilities instead of failing (spec)', () => {
    const c = base();
    c.process.capabilities.bounding.push('CAP_FLY');
    expect(semanticProblems(c, ctx())).toEqual({
      problems: [],
      warnings: ['process.capabilities.bounding[3]: unknown capability "CAP_FLY" is ignored'],
    });
  });

  it('allows only namespaced sysctls', () => {
    const c = base();
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'vm.swappiness': '1', 'net/ipv4/conf/eth0.100/forwarding': '1' };
    expect(paths(c)).toEqual(['linux.sysctl["vm.swappiness"]']);
    c.linux.sysctl = { 'kernel.hostname': 'x', 'kernel.domainname': 'y' };
    c.domainname = 'z';
    expect(paths(c)).toEqual(['linux.sysctl["kernel.hostname"]', 'linux.sysctl["kernel.domainname"]']);
    c.domainname = 'y';
    expect(paths(c)).toEqual(['linux.sysctl["kernel.hostname"]']);
    delete c.domainname;
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'vm.swappiness': '1', 'net/ipv4/conf/eth0.100/forwarding': '1' };
    c.linux.namespaces = [{ type: 'mount' }];
    delete c.hostname;
    expect(paths(c)).toEqual([
      'linux.sysctl["net.ipv4.ip_forward"]',
      'linux.sysctl["kernel.shmmax"]',
      'linux.sysctl["vm.swappiness"]',
      'linux.sysctl["net/ipv4/conf/eth0.100/forwarding"]',
    ]);
  });

  it('refuses sysctl keys that could name anything but a sysctl', () => {
    const c = base();
    const keys = ['net/../../etc/passwd', 'net.ipv4..ip_forward', '/proc/sys/net/ipv4/ip_forward', 'net/ipv4/', 'net/./ipv4', 'net.ipv4.a b', ''];
    c.linux.sysctl = Object.fromEntries(keys.map((k) => [k, '1']));
    expect(paths(c)).toEqual(keys.map((k) => `linux.sysctl[${JSON.stringify(k)}]`));
  });

  it('refuses sysctls of a joined namespace that is the host\'s own', () => {
    const c = base();
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
    c.linux.namespaces.push({ type: 'network', path: '/proc/1/ns/net' });
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    const host = { '/proc/1/ns/net': 'file' as const };
    expect(semanticProblems(c, ctx({ host: fakeHost(host, { isOwnNamespace: (p) => p === '/proc/1/ns/net' }) })).problems.map((p) => p.path)).toEqual(['linux.sysctl["net.ipv4.ip_forward"]']);
    expect(semanticProblems(c, ctx({ host: fakeHost(host) })).problems).toEqual([]);
  });

  it('needs procfs on /proc for sysctls, and only procfs there', () => {
    const c = base();
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/proc');
    expect(paths(c)).toEqual(['linux.sysctl']);
    c.mounts.push({ destination: '/proc', type: 'tmpfs', source: 'tmpfs' });
    expect(paths(c)).toEqual(['mounts[' + (c.mounts.length - 1) + '].type']);
    c.mounts[c.mounts.length - 1] = { destination: '/proc', type: 'bind', source: '/tmp', options: ['rbind'] };
    expect(paths(c, { host: fakeHost({ '/tmp': 'dir' }) })).toEqual(['mounts[' + (c.mounts.length - 1) + '].source']);
    expect(paths(c, { host: fakeHost({ '/tmp': 'dir' }, { filesystemType: () => 0x9fa0 }) })).toEqual([]);
  });

  it('checks mounts', () => {
    const c = base();
    c.mounts.push(
      { destination: '/data', source: 'missing', options: ['rbind'] },
      { destination: '/proc/sys/kernel/core_pattern', type: 'bind', source: '/etc/hostname' },
      { destination: '/proc/meminfo', type: 'bind', source: '/etc/hostname' },
      { destination: '/x', source: 'tmpfs' },
      { destination: '/y', type: 'tmpfs', options: ['idmap'] },
      { destination: 'relative', type: 'tmpfs' },
    );
    const r = semanticProblems(c, ctx({ host: fakeHost({ '/etc/hostname': 'file' }) }));
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'mounts[7].source: /bundle/missing does not exist',
      'mounts[8].destination: /proc/sys/kernel/core_pattern is inside /proc: mounting over procfs files is refused (only lxcfs-style files such as /proc/meminfo are allowed)',
      'mounts[10].type: is required unless the mount is a bind mount (options "bind" or "rbind")',
      'mounts[11].options: the "idmap" mount option is not supported by runts yet; remove it from config.json',
    ]);
    expect(r.warnings).toEqual(['mounts[12].destination "relative" is relative (deprecated): mounted at "/relative"']);
  });

  it('refuses what runts does not implement yet; resources are no longer a warning', () => {
    const c = base();
    c.hooks = { poststop: [{ path: '/bin/true' }], prestart: [] };
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
    c.linux.resources = { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 1 } };
    c.linux.netDevices = { eth0: {} };
    const r = semanticProblems(c, ctx());
    // seccomp and hooks are implemented: a valid profile or hook list is no problem.
    expect(r.problems.map((p) => p.path)).toEqual(['linux.netDevices']);
    // The limits are checked against the host's cgroups (src/config/resources.ts) and applied.
    expect(r.warnings).toEqual([]);
  });

  it('survives a config of the wrong shape (the schema reports that)', () => {
    expect(() => semanticProblems({ process: 'x', linux: [], mounts: {} }, ctx())).not.toThrow();
    expect(semanticProblems(42, ctx()).problems).toEqual([{ path: '', message: 'config.json must be a JSON object' }]);
  });
});
