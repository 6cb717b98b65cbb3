// The process attributes set with a system call each, beyond the basic test
// of each field in config.ts and linux.ts: scheduler flags and
// SCHED_DEADLINE, the BE I/O class, execCPUAffinity (not for the init),
// memory policy flags and MPOL_LOCAL, personality LINUX, and the error a
// runtime owes for intelRdt without resctrl.
import { existsSync, readFileSync } from 'node:fs';
import { hostHas, type ConformanceTest } from '../harness';

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
  {
    id: 'config.process.scheduler.deadline',
    section: 'config.md#linux-process',
    level: 'MUST',
    requirement:
      'runtime (uint64, OPTIONAL) represents the amount of time in nanoseconds during which the process is allowed to run in a given period, used by the deadline scheduler. (deadline and period likewise.)',
    run(t) {
      const r = t.check((c) => {
        c.ociVersion = '1.2.0';
        c.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10_000_000, deadline: 30_000_000, period: 30_000_000 };
      }, ['schedattr']);
      const a = r.schedattr as Record<string, number>;
      t.equal([a.policy, a.runtime, a.deadline, a.period], [6, 10_000_000, 30_000_000, 30_000_000], 'SCHED_DEADLINE (6) with runtime, deadline and period');
    },
  },
  {
    id: 'config.process.scheduler.flags',
    section: 'config.md#linux-process',
    level: 'MUST',
    requirement: 'flags (array of strings, OPTIONAL) is an array of strings representing scheduling flags.',
    run(t) {
      const r = t.check((c) => {
        c.ociVersion = '1.2.0';
        c.process!.scheduler = { policy: 'SCHED_BATCH', nice: 3, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
      }, ['schedattr']);
      const a = r.schedattr as Record<string, number>;
      t.equal([a.policy, a.nice, a.flags], [3, 3, 1], 'SCHED_BATCH, nice 3, SCHED_FLAG_RESET_ON_FORK (1)');
    },
  },
  {
    id: 'config.process.ioPriority.best-effort',
    section: 'config.md#linux-process',
    level: 'MUST',
    requirement: 'class (string, REQUIRED) specifies the I/O scheduling class. Possible values are IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, and IOPRIO_CLASS_IDLE.',
    run(t) {
      const r = t.check((c) => {
        c.ociVersion = '1.2.0';
        c.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 2 };
      }, ['ioprio']);
      t.equal(r.ioprio, { class: 2, priority: 2 }, 'ioprio class BE (2), priority 2');
    },
  },
  {
    id: 'config.process.execCPUAffinity.not-init',
    section: 'config.md#linux-process',
    level: 'MUST',
    requirement: 'execCPUAffinity (object, OPTIONAL) specifies CPU affinity used to execute the process. This setting is not applicable to the container\'s init process.',
    requires: [TWO_CPUS],
    run(t) {
      const cpus = ownCpus();
      const r = t.check((c) => {
        c.ociVersion = '1.3.0';
        c.process!.execCPUAffinity = { initial: String(cpus[0]), final: String(cpus[0]) };
      }, ['affinity']);
      t.equal(r.affinity, cpus, `the init process keeps every CPU (${cpus.join(',')}), not only CPU ${cpus[0]}`);
    },
  },
  {
    id: 'config-linux.memoryPolicy.flags',
    section: 'config-linux.md#memory-policy',
    level: 'MUST',
    requirement: 'memoryPolicy sets the NUMA memory policy for the container (set_mempolicy): mode, nodes, and flags (MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES).',
    run(t) {
      const r = t.check((c) => {
        c.ociVersion = '1.3.0';
        c.linux!.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] };
      }, ['mempolicy']);
      t.equal(r.mempolicy, { mode: 3 | (1 << 15), nodes: 1 }, 'MPOL_INTERLEAVE (3) | MPOL_F_STATIC_NODES (1 << 15) on node 0');
    },
  },
  {
    id: 'config-linux.memoryPolicy.local',
    section: 'config-linux.md#memory-policy',
    level: 'MUST',
    requirement: 'memoryPolicy sets the NUMA memory policy for the container (set_mempolicy): MPOL_LOCAL takes no nodes.',
    run(t) {
      const r = t.check((c) => {
        c.ociVersion = '1.3.0';
        c.linux!.memoryPolicy = { mode: 'MPOL_LOCAL' };
      }, ['mempolicy']);
      t.equal(r.mempolicy, { mode: 4, nodes: 0 }, 'MPOL_LOCAL (4), no nodes');
    },
  },
  {
    id: 'config-linux.personality.linux',
    section: 'config-linux.md#personality',
    level: 'MUST',
    requirement: 'domain (string, REQUIRED) - the execution domain. The valid list of constants is shown below. LINUX32 will set the uname system call to show a 32 bit CPU type, such as i686. (LINUX: the machine\'s own type.)',
    requires: [X86_64],
    run(t) {
      const r = t.check((c) => {
        c.ociVersion = '1.1.0';
        c.linux!.personality = { domain: 'LINUX' };
      }, ['uname']);
      t.equal(r.uname, 'x86_64', 'uname -m');
    },
  },
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
