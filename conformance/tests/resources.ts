// linux.resources fields that linux.ts and cgroups.ts leave out: the
// realtime CPU pair, and what a runtime does with a field it cannot apply on
// this host (hugepageLimits and network without their v1 controllers,
// unified without a cgroup v2 hierarchy that has the controller). runc 1.1.5
// and crun 1.8.1 refuse all three; the spec's errors section then asks that
// nothing of the container be left.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hostLayout, parseProcCgroup } from '../../src/cgroups/layout';
import type { OciConfig } from '../../src/config/types';
import { HOST, hostHas, type ConformanceTest, type TestContext } from '../harness';

function v2Controllers(mountPoint: string): string[] {
  try {
    return readFileSync(path.join(mountPoint, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

/**
 * A host whose limits go through v1 hierarchies (v1 or hybrid; runc's and
 * crun's v1 drivers never use the cgroup2 of a hybrid host for them) and
 * that has no v1 hierarchy with the controller.
 */
const lacksV1 = (controller: string) =>
  hostHas(`a v1 or hybrid host without a v1 ${controller} hierarchy`, () => {
    const v1 = hostLayout().hierarchies.filter((h) => h.version === 1);
    return v1.length > 0 && !v1.some((h) => h.controllers.includes(controller));
  });

const NO_V2_PIDS = hostHas('no cgroup v2 hierarchy with the pids controller (a v1 or hybrid host)', () =>
  !hostLayout().hierarchies.some((h) => h.version === 2 && v2Controllers(h.mountPoint).includes('pids')),
);

const RT_GROUP_SCHED = hostHas('realtime group scheduling (cpu.rt_runtime_us, CONFIG_RT_GROUP_SCHED) with a budget at the cpu root', () => {
  const h = hostLayout().hierarchies.find((x) => x.version === 1 && x.controllers.includes('cpu'));
  if (!h) return false;
  try {
    return Number(readFileSync(path.join(h.mountPoint, 'cpu.rt_runtime_us'), 'utf8')) > 0;
  } catch {
    return false;
  }
});

/**
 * The container's cgroup is /<id>, right under each hierarchy's root: a
 * realtime budget must come from the parent, and only the root has one
 * (runc and crun place a container there by default; runts under /runts).
 */
function atRoot(c: OciConfig, id: string): void {
  c.linux!.cgroupsPath = `/${id}`;
}

/** Directories named after the container in any hierarchy: what a refused create must not leave. */
function cgroupDirsOf(id: string): string[] {
  return hostLayout().hierarchies.map((h) => path.join(h.mountPoint, id)).filter((d) => existsSync(d));
}

/**
 * A create the host cannot honour: it fails, and leaves no container (state
 * fails) and no cgroup. The harness removes any cgroup left, after the test.
 */
function refusedCreate(t: TestContext, resources: Record<string, unknown>, what: string): void {
  const id = t.newId();
  const { dir } = t.bundle((c) => {
    c.linux!.resources = resources;
    atRoot(c, id);
  });
  const r = t.create(dir, id);
  t.fails(r, what);
  t.ok(/\S/.test(r.stderr + r.stdout), `${what}: the runtime gave no error message`);
  t.fails(t.rt(['state', id]), `state of the refused container`);
  const left = cgroupDirsOf(id);
  t.equal(left, [], `cgroups left by the refused create`);
}

const ERRORS = 'Unless otherwise stated, generating an error MUST leave the state of the environment as if the operation were never attempted.';

export const resourceTests: ConformanceTest[] = [
  {
    id: 'config-linux.resources.cpu.realtime',
    section: 'config-linux.md#cpu',
    level: 'MUST',
    requirement: 'realtimeRuntime (int64, OPTIONAL) - the longest continuous period in which the tasks in a cgroup have access to CPU resources; realtimePeriod (uint64, OPTIONAL) - same as period but applies to realtime scheduler only',
    requires: [HOST.cgroupV1Controller('cpu'), RT_GROUP_SCHED],
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => {
        c.process!.args = ['sleep', '60'];
        c.linux!.resources = { cpu: { realtimePeriod: 1000000, realtimeRuntime: 10000 } };
        atRoot(c, id);
      });
      t.mustCreate(dir, id);
      const pid = Number(t.state(id).pid);
      const h = hostLayout().hierarchies.find((x) => x.version === 1 && x.controllers.includes('cpu'))!;
      const own = parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).get(h.name);
      t.ok(own !== undefined, `/proc/${pid}/cgroup names a ${h.name} cgroup`);
      const cg = path.join(h.mountPoint, path.posix.relative(h.mountRoot, own!));
      const read = (f: string) => readFileSync(path.join(cg, f), 'utf8').trim();
      t.equal([read('cpu.rt_period_us'), read('cpu.rt_runtime_us')], ['1000000', '10000'], 'cpu.rt_period_us and cpu.rt_runtime_us');
    },
  },
  {
    id: 'config-linux.resources.hugepageLimits.no-controller',
    section: 'runtime.md#errors',
    level: 'MUST',
    requirement: `hugepageLimits where the runtime has no hugetlb controller to write them to (none in the v1 hierarchies it uses) cannot be applied: the runtime generates an error. ${ERRORS}`,
    requires: [lacksV1('hugetlb')],
    run(t) {
      refusedCreate(t, { hugepageLimits: [{ pageSize: '2MB', limit: 4 * 1024 * 1024 }] }, 'create with hugepageLimits and no v1 hugetlb hierarchy');
    },
  },
  {
    id: 'config-linux.resources.network.no-controller',
    section: 'runtime.md#errors',
    level: 'MUST',
    requirement: `network.classID where there is no net_cls controller cannot be applied: the runtime generates an error. ${ERRORS}`,
    requires: [lacksV1('net_cls')],
    run(t) {
      refusedCreate(t, { network: { classID: 1048577 } }, 'create with network.classID and no net_cls controller');
    },
  },
  {
    id: 'config-linux.resources.unified.no-controller',
    section: 'config-linux.md#unified',
    level: 'MUST',
    requirement: `The runtime MUST generate an error when the configuration refers to a cgroup controller that is not present or that cannot be enabled. ${ERRORS}`,
    // On a hybrid host the cgroup2 hierarchy has no controllers; on a v1 host there is none.
    requires: [NO_V2_PIDS],
    run(t) {
      refusedCreate(t, { unified: { 'pids.max': '33' } }, 'create with unified pids.max and no pids controller in cgroup v2');
    },
  },
];
