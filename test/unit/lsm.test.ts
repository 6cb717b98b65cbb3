// LSM labels: the refusals on hosts without the LSM, and the plan (mount
// data strings, process labels) on hosts with it.
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { defaultConfig } from '../../src/config/defaults';
import { semanticProblems } from '../../src/config/semantic';
import type { OciConfig } from '../../src/config/types';
import { buildPlan, type PlanContext } from '../../src/plan/build';
import { hasSelinuxfs, parseApparmorProfiles, type HostProbe } from '../../src/plan/host';
import { features } from '../../src/features';
import { fakeHost } from '../helpers/fake-host';

const HYBRID = detectLayout(
  '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n36 30 0:33 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n',
  '2:cpu,cpuacct:/\n0::/\n',
);
const V2 = detectLayout('40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/\n');
const LABEL = 'system_u:object_r:container_file_t:s0:c1,c2';
const PROCESS_LABEL = 'system_u:system_r:container_t:s0:c1,c2';

function config(edit: (c: OciConfig) => void = () => {}): OciConfig {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig;
  edit(c);
  return c;
}

const selinuxHost = (): HostProbe => fakeHost({}, { selinuxEnabled: () => true });
const apparmorHost = (loaded: string[] | undefined): HostProbe =>
  fakeHost({}, { apparmorEnabled: () => true, apparmorProfileLoaded: (n) => (loaded ? loaded.includes(n) : undefined) });

function problems(c: OciConfig, host: HostProbe): string[] {
  return semanticProblems(c, { bundle: '/bundle', host, terminalHandled: true, consoleSocket: false }).problems.map(
    (p) => `${p.path}: ${p.message}`,
  );
}

function plan(c: OciConfig, over: Partial<PlanContext> = {}) {
  return buildPlan(c, {
    id: 'c1',
    bundle: '/bundle',
    host: selinuxHost(),
    cgroups: placeContainer(HYBRID, undefined, 'c1'),
    env: {},
    ...over,
  }).plan;
}

describe('LSM checks', () => {
  it('refuses each label the host has no LSM for, with its JSON path and what to do', () => {
    const c = config((c) => {
      c.process!.apparmorProfile = 'runts-test';
      c.process!.selinuxLabel = PROCESS_LABEL;
      c.linux!.mountLabel = LABEL;
    });
    expect(problems(c, fakeHost())).toEqual([
      'process.apparmorProfile: asks for the AppArmor profile "runts-test", but AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not "Y"): remove process.apparmorProfile, or run the container on a host with AppArmor enabled',
      `process.selinuxLabel: asks for the SELinux process label "${PROCESS_LABEL}", but SELinux is not enabled on this host (no selinuxfs is mounted): remove process.selinuxLabel, or run the container on a host with SELinux enabled`,
      `linux.mountLabel: asks for the SELinux mount label "${LABEL}", but SELinux is not enabled on this host (no selinuxfs is mounted): remove linux.mountLabel, or run the container on a host with SELinux enabled`,
    ]);
  });

  it('treats empty labels as none, as runc does', () => {
    const c = config((c) => {
      c.process!.apparmorProfile = '';
      c.process!.selinuxLabel = '';
      c.linux!.mountLabel = '';
    });
    expect(problems(c, fakeHost())).toEqual([]);
    expect(plan(c).process.lsm).toEqual({ apparmorProfile: null, selinuxLabel: null });
    expect(plan(c).mountLabel).toBeNull();
  });

  it('accepts labels where the host has the LSM', () => {
    const c = config((c) => {
      c.process!.selinuxLabel = PROCESS_LABEL;
      c.linux!.mountLabel = LABEL;
    });
    expect(problems(c, selinuxHost())).toEqual([]);
    const aa = config((c) => (c.process!.apparmorProfile = 'runts-test'));
    expect(problems(aa, apparmorHost(['runts-test']))).toEqual([]);
    // Without securityfs the host cannot tell: the init's write reports it.
    expect(problems(aa, apparmorHost(undefined))).toEqual([]);
  });

  it('refuses an AppArmor profile that is not loaded', () => {
    const aa = config((c) => (c.process!.apparmorProfile = 'runts-test'));
    expect(problems(aa, apparmorHost(['other']))).toEqual([
      'process.apparmorProfile: the AppArmor profile "runts-test" is not loaded (it is not in /sys/kernel/security/apparmor/profiles): load it first, e.g. apparmor_parser -r /etc/apparmor.d/<file>',
    ]);
  });

  it('refuses labels that would end the attr write or the mount option early', () => {
    const c = config((c) => {
      c.process!.apparmorProfile = 'a\nb';
      c.process!.selinuxLabel = 'x\u0000y';
      c.linux!.mountLabel = 'x",uid=0,"';
    });
    expect(problems(c, fakeHost({}, { apparmorEnabled: () => true, selinuxEnabled: () => true }))).toEqual([
      'process.selinuxLabel: contains a NUL byte (\\u0000): no system call can take it; remove it',
      'process.apparmorProfile: must not contain control characters (newlines, NUL)',
      'process.selinuxLabel: must not contain control characters (newlines, NUL)',
      'linux.mountLabel: must not contain \'"\' (it becomes a quoted context="..." mount option)',
    ]);
  });
});

describe('LSM plan', () => {
  it('carries the process labels for the init', () => {
    const c = config((c) => {
      c.process!.apparmorProfile = 'runts-test';
      c.process!.selinuxLabel = PROCESS_LABEL;
    });
    expect(plan(c).process.lsm).toEqual({ apparmorProfile: 'runts-test', selinuxLabel: PROCESS_LABEL });
    expect(plan(config()).process.lsm).toEqual({ apparmorProfile: null, selinuxLabel: null });
    expect(plan(config()).mountLabel).toBeNull();
  });

  it('adds context="..." to the mounts runc labels, and not to proc, sysfs, mqueue, cgroup or binds', () => {
    const c = config((c) => {
      c.linux!.mountLabel = LABEL;
      c.mounts!.push(
        { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] },
        { destination: '/scratch', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/ovl', type: 'overlay', source: 'overlay', options: ['lowerdir=/a,upperdir=/b,workdir=/c'] },
      );
    });
    const data = Object.fromEntries(plan(c, { host: fakeHost({ '/srv/data': 'dir' }, { selinuxEnabled: () => true }) }).mounts.map((m) => [m.destination, m.data]));
    expect(data).toEqual({
      '/proc': '',
      '/dev': `mode=755,size=65536k,context="${LABEL}"`,
      '/dev/pts': `newinstance,ptmxmode=0666,mode=0620,gid=5,context="${LABEL}"`,
      '/dev/shm': `mode=1777,size=65536k,context="${LABEL}"`,
      '/dev/mqueue': '',
      '/sys': '',
      '/sys/fs/cgroup': `mode=755,context="${LABEL}"`,
      '/data': '',
      '/scratch': `context="${LABEL}"`,
      '/ovl': `lowerdir=/a,upperdir=/b,workdir=/c,context="${LABEL}"`,
    });
  });

  it('labels mqueue through its xattr, and leaves cgroup2 unlabelled', () => {
    const c = config((c) => (c.linux!.mountLabel = LABEL));
    const v2 = plan(c, { cgroups: placeContainer(V2, undefined, 'c1') });
    expect(v2.mountLabel).toEqual({ label: LABEL, xattrDestinations: ['/dev/mqueue'] });
    expect(v2.mounts.find((m) => m.destination === '/sys/fs/cgroup')).toMatchObject({ type: 'cgroup2', data: '' });
  });

  it('keeps the cgroup v1 tmpfs mode when there is no label', () => {
    expect(plan(config()).mounts.find((m) => m.destination === '/sys/fs/cgroup')).toMatchObject({ kind: 'cgroup1', data: 'mode=755' });
  });

  it('labels the mounts in a joined mount namespace too (they are set up there)', () => {
    const c = config((c) => {
      c.linux!.mountLabel = LABEL;
      c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === 'mount' ? { type: 'mount', path: '/proc/1/ns/mnt' } : n));
    });
    expect(plan(c).mountLabel).not.toBeNull();
  });
});

describe('LSM host probes', () => {
  it('reads the loaded AppArmor profiles', () => {
    const names = parseApparmorProfiles('runts-test (enforce)\n/usr/bin/man (complain)\nname with spaces (enforce)\n');
    expect([...names]).toEqual(['runts-test', '/usr/bin/man', 'name with spaces']);
  });

  it('finds a selinuxfs in mountinfo', () => {
    expect(hasSelinuxfs('22 1 0:20 / /sys/fs/selinux rw,relatime shared:6 - selinuxfs selinuxfs rw\n')).toBe(true);
    expect(hasSelinuxfs('24 1 0:22 / /proc rw - proc proc rw\n')).toBe(false);
  });

  it('features: runts supports both LSMs, whatever this host has (as the spec and runc say)', () => {
    expect(features().linux.apparmor).toEqual({ enabled: true });
    expect(features().linux.selinux).toEqual({ enabled: true });
  });
});
