// The launch plan contract (src/plan/contract.ts) against runts-init's
// reader (addon/init/plan.cc): a plan with every field in use is accepted,
// and for every field the contract names, removing it, giving it a value of
// the wrong type, or adding a field beside it is refused, with its path.
// So the C++ reader takes exactly the fields the contract lists.
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { defaultConfig } from '../../src/config/defaults';
import type { OciConfig } from '../../src/config/types';
import { native } from '../../src/native/binding';
import { buildPlan } from '../../src/plan/build';
import { nativeSeccompCompiler } from '../../src/seccomp/native';
import { LAUNCH_PLAN } from '../../src/plan/contract';
import { countFields, sites, unexercised, wrongValue, type Json, type Site } from '../helpers/contract-mutations';
import { fakeHost } from '../helpers/fake-host';


const HYBRID = detectLayout(
  '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n33 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n',
  '2:cpu,cpuacct:/\n1:memory:/\n',
);

/** A plan in which every nullable is set and every array has an item. */
function fullPlan(): Record<string, Json> {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig;
  c.process!.consoleSize = { height: 24, width: 80 };
  c.process!.user = { uid: 1000, gid: 1000, umask: 0o22, additionalGids: [10] };
  c.process!.oomScoreAdj = 100;
  c.process!.capabilities!.inheritable = ['CAP_KILL'];
  c.process!.capabilities!.ambient = ['CAP_KILL'];
  c.linux!.namespaces!.push({ type: 'user' }, { type: 'time', path: '/proc/1/ns/time' });
  c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux!.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }];
  c.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
  c.domainname = 'example.org';
  c.process!.apparmorProfile = 'runts-test';
  c.process!.selinuxLabel = 'system_u:system_r:container_t:s0';
  c.linux!.mountLabel = 'system_u:object_r:container_file_t:s0';
  c.mounts!.push({ destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue' });
  Object.assign(c.process!, {
    scheduler: { policy: 'SCHED_BATCH', nice: 5 },
    ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 4 },
    execCPUAffinity: { initial: '0', final: '0-1' },
  });
  Object.assign(c.linux!, { personality: { domain: 'LINUX32' }, memoryPolicy: { mode: 'MPOL_BIND', nodes: '0' } });
  c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
  c.mounts!.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rslave', 'ro'] });
  c.hooks = {
    createContainer: [{ path: '/usr/bin/mount-hook', args: ['mount-hook', '-x'], env: ['K=V'], timeout: 5 }],
    startContainer: [{ path: '/usr/bin/ldconfig', env: ['PATH=/bin'] }],
  };
  const { plan } = buildPlan(c, {
    id: 'contract',
    bundle: '/bundle',
    host: fakeHost({ '/srv/data': 'dir' }),
    cgroups: placeContainer(HYBRID, undefined, 'contract'),
    env: {},
    compileSeccomp: nativeSeccompCompiler(() => {}),
  });
  // The checks below look at the first item of each array: put first a
  // mount that uses every mount field (the cgroup mount has the binds and
  // links, the /data bind the propagation changes).
  const cgroup = plan.mounts.find((m) => m.kind === 'cgroup1')!;
  cgroup.propagation = plan.mounts.find((m) => m.destination === '/data')!.propagation;
  plan.mounts = [cgroup, ...plan.mounts.filter((m) => m !== cgroup)];
  // An exec plan's target (src/plan/exec.ts); create plans have none.
  plan.exec = { pid: 1, startTime: '1' };
  return JSON.parse(JSON.stringify(plan)) as Record<string, Json>;
}

const check = (plan: unknown) => native().checkLaunchPlan(JSON.stringify(plan));

describe('launch plan contract', () => {
  const plan = fullPlan();
  const all: Site[] = sites(LAUNCH_PLAN, plan);

  it('the C++ reader accepts a plan with every field in use', () => {
    expect(check(plan)).toBeNull();
  });

  it('the full plan exercises every field of the contract', () => {
    expect(unexercised(LAUNCH_PLAN, plan)).toEqual([]);
    expect(all.length).toBe(countFields(LAUNCH_PLAN));
  });

  it.each(all.map((s) => [s.path, s] as const))('refuses the plan without %s', (path, site) => {
    const saved = site.parent[site.key]!;
    delete site.parent[site.key];
    try {
      expect(check(plan)).toContain(`field ${path} is missing`);
    } finally {
      site.parent[site.key] = saved;
    }
  });

  it.each(all.map((s) => [s.path, s] as const))('refuses a value of the wrong type at %s', (path, site) => {
    const saved = site.parent[site.key]!;
    site.parent[site.key] = wrongValue(site.field);
    try {
      const error = check(plan);
      expect(error).not.toBeNull();
      expect(error).toContain(path === 'version' ? 'version' : path);
    } finally {
      site.parent[site.key] = saved;
    }
  });

  const objects = [...new Set(all.map((s) => s.parent))];
  it.each(objects.map((o, i) => [all.find((s) => s.parent === o)!.path.replace(/\.?[^.]*$/, '') || '(top)', i] as const))(
    'refuses an unknown field in %s',
    (where, i) => {
      const target = objects[i]!;
      target.bogus = 1;
      try {
        expect(check(plan)).toContain(`unknown field ${where === '(top)' ? '' : `${where}.`}bogus`);
      } finally {
        delete target.bogus;
      }
    },
  );

  it.each([
    ['cgroupParts', 'type', 'overlay', 'has unknown value "overlay"'],
    ['cgroupParts', 'name', '..', 'is not a file name'],
    ['cgroupParts', 'name', 'a/b', 'is not a file name'],
    ['cgroupLinks', 'name', '', 'is not a file name'],
  ] as const)('refuses a cgroup mount whose %s[0].%s is %j', (list, key, value, message) => {
    const cgroup = (plan.mounts as Record<string, Json>[])[0]!;
    const item = (cgroup[list] as Record<string, Json>[])[0]!;
    const saved = item[key]!;
    item[key] = value;
    try {
      expect(check(plan)).toContain(`mounts[0].${list}[0].${key}`);
      expect(check(plan)).toContain(message);
    } finally {
      item[key] = saved;
    }
  });
});
