// The rest of linux.resources (beyond linux.ts's first ones) and the verbs
// engines use to manage a running container's cgroups: pause, resume,
// update, ps, events --stats, kill --all. The verbs are not in the
// runtime-spec; runc's CLI defines them and engines (Podman, containerd's
// shim) call them, so they are checked the way those engines read them.
// Every check reads the container's cgroup files from the host, found
// through /proc/<pid>/cgroup, so it holds for any runtime's placement.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OciConfig } from '../../src/config/types';
import { hostLayout, parseProcCgroup } from '../../src/cgroups/layout';
import { HOST, hostHas, type ConformanceTest, type TestContext } from '../harness';

const MiB = 1024 * 1024;

/** Starts `sleep 60` (or the given args) with the edit applied; returns its pid. */
function started(t: TestContext, edit: (c: OciConfig) => void = () => {}, args = ['sleep', '60']): { id: string; pid: number } {
  const id = t.newId();
  const { dir } = t.bundle((c) => {
    c.process!.args = args;
    edit(c);
  });
  t.mustCreate(dir, id);
  t.succeeds(t.rt(['start', id]), 'start');
  return { id, pid: Number(t.state(id).pid) };
}

/** The host directory of pid's cgroup in the v1 hierarchy that has controller. */
function cgroupDirOf(t: TestContext, pid: number, controller: string): string {
  const own = parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  const h = hostLayout().hierarchies.find((x) => x.version === 1 && x.controllers.includes(controller));
  if (!h) t.skip(`no v1 ${controller} hierarchy`);
  const cg = own.get(h.name);
  t.ok(cg !== undefined, `/proc/${pid}/cgroup names a ${h.name} cgroup`);
  return path.join(h.mountPoint, path.posix.relative(h.mountRoot, cg!));
}

function hostFile(t: TestContext, pid: number, controller: string, file: string): string {
  return readFileSync(path.join(cgroupDirOf(t, pid, controller), file), 'utf8').trim();
}

/** A whole disk of this host ("major:minor"), for the per-device blockIO fields. */
function wholeDisk(): { major: number; minor: number } | undefined {
  try {
    for (const name of readdirSync('/sys/block')) {
      if (/^(loop|ram|zram|nbd|dm-)/.test(name)) continue;
      const [major, minor] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
      if (major !== undefined && minor !== undefined) return { major, minor };
    }
  } catch {
    // no /sys/block
  }
  return undefined;
}

const DISK = hostHas('a whole disk in /sys/block (for per-device blockIO limits)', () => wholeDisk() !== undefined);
const V1 = (c: string) => HOST.cgroupV1Controller(c);

/** A resource field as the runtime writes it into the container's v1 cgroup. */
function resourceFile(
  id: string,
  requirement: string,
  controller: string,
  file: string,
  resources: () => Record<string, unknown>,
  expect: (value: string) => boolean,
  describe: string,
  extra: { requires?: ConformanceTest['requires']; section?: string } = {},
): ConformanceTest {
  return {
    id: `config-linux.resources.${id}`,
    section: extra.section ?? 'config-linux.md#control-groups',
    level: 'MUST',
    requirement,
    requires: [V1(controller), ...(extra.requires ?? [])],
    run(t) {
      const { pid } = started(t, (c) => (c.linux!.resources = resources()));
      const dir = cgroupDirOf(t, pid, controller);
      if (!existsSync(path.join(dir, file))) t.skip(`this kernel has no ${controller} ${file}`);
      const value = readFileSync(path.join(dir, file), 'utf8').trim();
      t.ok(expect(value), `${describe}: ${file}=${value}`);
    },
  };
}

const resourceTests: ConformanceTest[] = [
  resourceFile('memory.swap', 'swap (int64, OPTIONAL) - sets limit of memory+Swap usage', 'memory', 'memory.memsw.limit_in_bytes',
    () => ({ memory: { limit: 64 * MiB, swap: 128 * MiB } }), (v) => v === String(128 * MiB), 'memory.memsw.limit_in_bytes is 128 MiB'),
  resourceFile('memory.kernelTCP', 'kernelTCP (int64, OPTIONAL, NOT RECOMMENDED) - sets hard limit for kernel TCP buffer memory', 'memory', 'memory.kmem.tcp.limit_in_bytes',
    () => ({ memory: { kernelTCP: 16 * MiB } }), (v) => v === String(16 * MiB), 'memory.kmem.tcp.limit_in_bytes is 16 MiB'),
  resourceFile('memory.limit.unlimited', 'memory.limit: -1 means unlimited', 'memory', 'memory.limit_in_bytes',
    () => ({ memory: { limit: -1 } }), (v) => BigInt(v) > BigInt(2) ** BigInt(62), 'memory.limit_in_bytes is the kernel\'s "unlimited"'),
  resourceFile('cpu.mems', 'mems (string, OPTIONAL) - list of memory nodes the container will run in', 'cpuset', 'cpuset.mems',
    () => ({ cpu: { mems: '0' } }), (v) => v === '0', 'cpuset.mems is 0'),
  resourceFile('cpu.period', 'period (uint64, OPTIONAL) - specifies a period of time in microseconds for how regularly a cgroup\'s access to CPU resources should be reallocated (CFS scheduler only)', 'cpu', 'cpu.cfs_period_us',
    () => ({ cpu: { period: 50000 } }), (v) => v === '50000', 'cpu.cfs_period_us is 50000'),
  resourceFile('cpu.burst', 'burst (uint64, OPTIONAL) - specifies the maximum amount of accumulated time in microseconds for which all tasks in a cgroup can run additionally for burst during one period', 'cpu', 'cpu.cfs_burst_us',
    () => ({ cpu: { quota: 20000, period: 100000, burst: 10000 } }), (v) => v === '10000', 'cpu.cfs_burst_us is 10000'),
  resourceFile('cpu.idle', 'idle (int64, OPTIONAL) - cgroups are configured with minimum weight, 0: default behavior, 1: SCHED_IDLE', 'cpu', 'cpu.idle',
    () => ({ cpu: { idle: 1 } }), (v) => v === '1', 'cpu.idle is 1'),
  resourceFile('pids.limit.unlimited', 'pids.limit: -1 means no limit', 'pids', 'pids.max',
    () => ({ pids: { limit: -1 } }), (v) => v === 'max', 'pids.max is max'),
  resourceFile('blockIO.throttleReadBpsDevice', 'throttleReadBpsDevice (array of objects, OPTIONAL) - specify the list of devices which will be bandwidth rate limited', 'blkio', 'blkio.throttle.read_bps_device',
    () => {
      const d = wholeDisk()!;
      return { blockIO: { throttleReadBpsDevice: [{ major: d.major, minor: d.minor, rate: MiB }] } };
    },
    (v) => v.split('\n').some((l) => l === `${wholeDisk()!.major}:${wholeDisk()!.minor} ${MiB}`), 'blkio.throttle.read_bps_device limits the disk to 1 MiB/s',
    { requires: [DISK], section: 'config-linux.md#block-io' }),
  resourceFile('blockIO.throttleWriteIOPSDevice', 'throttleWriteIOPSDevice (array of objects, OPTIONAL) - specify the list of devices which will be IO rate limited', 'blkio', 'blkio.throttle.write_iops_device',
    () => {
      const d = wholeDisk()!;
      return { blockIO: { throttleWriteIOPSDevice: [{ major: d.major, minor: d.minor, rate: 100 }] } };
    },
    (v) => v.split('\n').some((l) => l === `${wholeDisk()!.major}:${wholeDisk()!.minor} 100`), 'blkio.throttle.write_iops_device limits the disk to 100 IOPS',
    { requires: [DISK], section: 'config-linux.md#block-io' }),
];

/** A test of an engine-facing verb (runc's CLI), on a started container. */
function verbTest(id: string, requirement: string, run: (t: TestContext) => void, requires: ConformanceTest['requires'] = []): ConformanceTest {
  return { id: `runtime-cli.${id}`, section: 'runc CLI (engines: Podman, containerd shim)', level: 'SHOULD', requirement, requires, run };
}

const verbTests: ConformanceTest[] = [
  verbTest('pause-resume', 'pause freezes every process of the container (state says paused); resume thaws them (state says running)', (t) => {
    const { id, pid } = started(t);
    t.succeeds(t.rt(['pause', id]), 'pause');
    t.equal(t.state(id).status, 'paused', 'status after pause');
    t.equal(hostFile(t, pid, 'freezer', 'freezer.state'), 'FROZEN', 'freezer.state after pause');
    t.fails(t.rt(['pause', id]), 'pause of a paused container');
    t.succeeds(t.rt(['resume', id]), 'resume');
    t.equal(t.state(id).status, 'running', 'status after resume');
    t.equal(hostFile(t, pid, 'freezer', 'freezer.state'), 'THAWED', 'freezer.state after resume');
    t.fails(t.rt(['resume', id]), 'resume of a running container');
  }, [V1('freezer')]),
  verbTest('update.memory', 'update --memory sets the memory limit of a running container (runc\'s flag, with units)', (t) => {
    const { id, pid } = started(t, (c) => (c.linux!.resources = { memory: { limit: 64 * MiB } }));
    t.succeeds(t.rt(['update', '--memory', '128m', id]), 'update --memory 128m');
    t.equal(hostFile(t, pid, 'memory', 'memory.limit_in_bytes'), String(128 * MiB), 'memory.limit_in_bytes');
  }, [V1('memory')]),
  verbTest('update.resources-stdin', 'update --resources - reads a LinuxResources JSON on stdin (as containerd\'s shim sends it); only the fields given change', (t) => {
    const { id, pid } = started(t, (c) => (c.linux!.resources = { memory: { limit: 64 * MiB }, pids: { limit: 40 } }));
    t.succeeds(t.rt(['update', '--resources', '-', id], { input: JSON.stringify({ pids: { limit: 55 } }) }), 'update --resources -');
    t.equal(hostFile(t, pid, 'pids', 'pids.max'), '55', 'pids.max');
    t.equal(hostFile(t, pid, 'memory', 'memory.limit_in_bytes'), String(64 * MiB), 'memory.limit_in_bytes is unchanged');
  }, [V1('pids'), V1('memory')]),
  verbTest('ps.json', 'ps --format json prints the container\'s pids as a JSON array (containerd\'s shim parses it)', (t) => {
    const { id, pid } = started(t, () => {}, ['sh', '-c', 'sleep 60 & exec sleep 61']);
    const r = t.rt(['ps', '--format', 'json', id]);
    t.succeeds(r, 'ps --format json');
    const pids = JSON.parse(r.stdout) as number[];
    t.ok(Array.isArray(pids) && pids.includes(pid) && pids.length === 2, `ps lists the init ${pid} and its child: ${r.stdout.trim()}`);
  }),
  verbTest('events.stats', 'events --stats prints one JSON object {"type":"stats","id":...,"data":{cpu,memory,pids,blkio,...}} (runc\'s format)', (t) => {
    const { id } = started(t, (c) => (c.linux!.resources = { pids: { limit: 30 } }));
    const r = t.rt(['events', '--stats', id]);
    t.succeeds(r, 'events --stats');
    const e = JSON.parse(r.stdout) as { type?: string; id?: string; data?: { pids?: { current?: number; limit?: number }; memory?: { usage?: { usage?: number } }; cpu?: { usage?: { total?: number } } } };
    t.equal([e.type, e.id], ['stats', id], 'type and id');
    t.ok((e.data?.pids?.current ?? 0) >= 1 && e.data?.pids?.limit === 30, `pids ${JSON.stringify(e.data?.pids)}`);
    t.ok((e.data?.memory?.usage?.usage ?? 0) > 0, 'memory.usage.usage > 0');
    t.ok((e.data?.cpu?.usage?.total ?? 0) > 0, 'cpu.usage.total > 0');
  }),
  verbTest('kill.all', 'kill --all sends the signal to every process of the container, not only its init', (t) => {
    const { id } = started(t, () => {}, ['sh', '-c', 'trap "" TERM; sleep 60 & sleep 61 & wait']);
    const before = JSON.parse(t.rt(['ps', '--format', 'json', id]).stdout || '[]') as number[];
    t.succeeds(t.rt(['kill', '--all', id, 'KILL']), 'kill --all KILL');
    t.waitStatus(id, 'stopped');
    const alive = before.filter((p) => existsSync(`/proc/${p}`) && !readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z '));
    t.equal(alive, [], 'processes alive after kill --all');
  }),
];

export const cgroupTests: ConformanceTest[] = [...resourceTests, ...verbTests];
