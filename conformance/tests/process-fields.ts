// The process attributes set with a system call each, beyond the basic test
// of each field in config.ts and linux.ts: scheduler flags and
// SCHED_DEADLINE, the BE I/O class, execCPUAffinity (not for the init),
// memory policy flags and MPOL_LOCAL, personality LINUX, and the error a
// runtime owes for intelRdt without resctrl.
import { existsSync, readFileSync } from 'node:fs';
import { hostHas, type ConformanceTest } from '../harness';
import { processTest } from './process-test';

/** The CPUs this process may run on (the runtime under test inherits them). */
function ownCpus(): number[] {
  const list = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  return list.split(',').flatMap((item) => {
    const [lo, hi] = item.split('-').map(Number);
    return Array.from({ length: (hi ?? lo!) - lo! + 1 }, (_, i) => lo! + i);
  });
}

const TWO_CPUS = hostHas('two or more CPUs', () => ownCpus().length >= 2);
const NO_RESCTRL = hostHas('no resctrl filesystem (to see the error a runtime owes without one)', () => !existsSync('/sys/fs/resctrl/schemata'));
const X86_64 = hostHas('an x86_64 machine', () => process.arch === 'x64');

export const processFieldTests: ConformanceTest[] = [
  processTest(
    'config.process.scheduler.deadline',
    'config.md#linux-process',
    'runtime (uint64, OPTIONAL) represents the amount of time in nanoseconds during which the process is allowed to run in a given period, used by the deadline scheduler. (deadline and period likewise.)',
    (c) => {
      c.ociVersion = '1.2.0';
      c.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10_000_000, deadline: 30_000_000, period: 30_000_000 };
    },
    (t, r) => {
      const a = r.schedattr as Record<string, number>;
      t.equal([a.policy, a.runtime, a.deadline, a.period], [6, 10_000_000, 30_000_000, 30_000_000], 'SCHED_DEADLINE (6) with runtime, deadline and period');
    },
    ['schedattr'],
  ),
  processTest(
    'config.process.scheduler.flags',
    'config.md#linux-process',
    'flags (array of strings, OPTIONAL) is an array of strings representing scheduling flags.',
    (c) => {
      c.ociVersion = '1.2.0';
      c.process!.scheduler = { policy: 'SCHED_BATCH', nice: 3, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
    },
    (t, r) => {
      const a = r.schedattr as Record<string, number>;
      t.equal([a.policy, a.nice, a.flags], [3, 3, 1], 'SCHED_BATCH, nice 3, SCHED_FLAG_RESET_ON_FORK (1)');
    },
    ['schedattr'],
  ),
  processTest(
    'config.process.ioPriority.best-effort',
    'config.md#linux-process',
    'class (string, REQUIRED) specifies the I/O scheduling class. Possible values are IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, and IOPRIO_CLASS_IDLE.',
    (c) => {
      c.ociVersion = '1.2.0';
      c.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 2 };
    },
    (t, r) => t.equal(r.ioprio, { class: 2, priority: 2 }, 'ioprio class BE (2), priority 2'),
    ['ioprio'],
  ),
  processTest(
    'config.process.execCPUAffinity.not-init',
    'config.md#linux-process',
    'execCPUAffinity (object, OPTIONAL) specifies CPU affinity used to execute the process. This setting is not applicable to the container\'s init process.',
    (c) => {
      const first = String(ownCpus()[0]);
      c.ociVersion = '1.3.0';
      c.process!.execCPUAffinity = { initial: first, final: first };
    },
    (t, r) => {
      const cpus = ownCpus();
      t.equal(r.affinity, cpus, `the init process keeps every CPU (${cpus.join(',')}), not only CPU ${cpus[0]}`);
    },
    ['affinity'],
    [TWO_CPUS],
  ),
  processTest(
    'config-linux.memoryPolicy.flags',
    'config-linux.md#memory-policy',
    'memoryPolicy sets the NUMA memory policy for the container (set_mempolicy): mode, nodes, and flags (MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES).',
    (c) => {
      c.ociVersion = '1.3.0';
      c.linux!.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] };
    },
    (t, r) => t.equal(r.mempolicy, { mode: 3 | (1 << 15), nodes: 1 }, 'MPOL_INTERLEAVE (3) | MPOL_F_STATIC_NODES (1 << 15) on node 0'),
    ['mempolicy'],
  ),
  processTest(
    'config-linux.memoryPolicy.local',
    'config-linux.md#memory-policy',
    'memoryPolicy sets the NUMA memory policy for the container (set_mempolicy): MPOL_LOCAL takes no nodes.',
    (c) => {
      c.ociVersion = '1.3.0';
      c.linux!.memoryPolicy = { mode: 'MPOL_LOCAL' };
    },
    (t, r) => t.equal(r.mempolicy, { mode: 4, nodes: 0 }, 'MPOL_LOCAL (4), no nodes'),
    ['mempolicy'],
  ),
  processTest(
    'config-linux.personality.linux',
    'config-linux.md#personality',
    'domain (string, REQUIRED) - the execution domain. The valid list of constants is shown below. LINUX32 will set the uname system call to show a 32 bit CPU type, such as i686. (LINUX: the machine\'s own type.)',
    (c) => {
      c.ociVersion = '1.1.0';
      c.linux!.personality = { domain: 'LINUX' };
    },
    (t, r) => t.equal(r.uname, 'x86_64', 'uname -m'),
    ['uname'],
    [X86_64],
  ),
  {
    id: 'config-linux.intelRdt.no-resctrl',
    section: 'config-linux.md#intelrdt',
    level: 'MUST',
    requirement: 'If no mounted resctrl pseudo-filesystem is available in the runtime mount namespace, the runtime MUST generate an error.',
    requires: [NO_RESCTRL],
    run(t) {
      const { dir } = t.bundle((c) => (c.linux!.intelRdt = { closID: `conformance-${process.pid}` }));
      t.fails(t.create(dir, t.newId()), 'create with intelRdt on a host without resctrl');
    },
  },
];
