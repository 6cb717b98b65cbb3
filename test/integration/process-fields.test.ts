// linux.personality, process.ioPriority, process.scheduler,
// linux.memoryPolicy, process.execCPUAffinity, linux.intelRdt and the
// init's non-dumpability, each checked from inside a real container with the
// conformance checker (build/Release/runts-checker), which reads the values
// back with the kernel's own get calls.
import { copyFileSync, chmodSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { isRoot, ROOT, RUNTS, runts, useSandbox, type Result } from '../helpers/sandbox';

const CHECKER = path.resolve(__dirname, '../../build/Release/runts-checker');

type Report = Record<string, unknown>;

function withChecker(bundle: string): string {
  const dest = path.join(bundle, 'rootfs', 'checker');
  copyFileSync(CHECKER, dest);
  chmodSync(dest, 0o755);
  return bundle;
}

/** How many NUMA nodes are online ("0" or "0-1" in /sys). */
function onlineNodes(): number {
  const text = readFileSync('/sys/devices/system/node/online', 'utf8').trim();
  const last = text.split(/[,-]/).pop();
  return Number(last) + 1;
}

describe.skipIf(!isRoot)('process fields, seen from inside the container', () => {
  const sb = useSandbox();

  /** `runts run` of the checker with requests; the id carries pf- so it collides with no one's. */
  function run(requests: string[], edit: (c: OciConfig) => void, opts: { prefix?: string[] } = {}): Result {
    const id = sb.id('pf-run');
    const bundle = withChecker(sb.bundle(id, ['/checker', ...requests], edit));
    if (!opts.prefix) return runts(['run', '--bundle', bundle, id]);
    const r = spawnSync(opts.prefix[0]!, [...opts.prefix.slice(1), RUNTS, '--root', ROOT, 'run', '--bundle', bundle, id], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  function report(requests: string[], edit: (c: OciConfig) => void, opts: { prefix?: string[] } = {}): Report {
    const r = run(requests, edit, opts);
    if (r.code !== 0) throw new Error(`container exited ${r.code}: ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout) as Report;
  }

  describe('linux.personality', () => {
    it('LINUX32 makes uname -m say i686', () => {
      const out = sb.sh('uname -m', (c) => (c.linux!.personality = { domain: 'LINUX32' }));
      expect(out).toBe('i686\n');
      const r = report(['personality', 'uname'], (c) => (c.linux!.personality = { domain: 'LINUX32' }));
      expect(r).toMatchObject({ personality: 8, uname: 'i686' });
    });

    it('LINUX keeps the 64-bit machine, and no personality leaves it alone', () => {
      expect(report(['personality', 'uname'], (c) => (c.linux!.personality = { domain: 'LINUX' }))).toMatchObject({ personality: 0, uname: 'x86_64' });
      expect(report(['uname'], () => {})).toMatchObject({ uname: 'x86_64' });
    });
  });

  describe('process.ioPriority', () => {
    it.each([
      ['IOPRIO_CLASS_BE', 3, 2],
      ['IOPRIO_CLASS_IDLE', 7, 3],
      ['IOPRIO_CLASS_RT', 0, 1],
    ])('%s priority %i is what ioprio_get returns', (cls, priority, classValue) => {
      const r = report(['ioprio'], (c) => (c.process!.ioPriority = { class: cls, priority }));
      expect(r.ioprio).toEqual({ class: classValue, priority });
    });
  });

  describe('process.scheduler', () => {
    it('SCHED_BATCH with nice 7 and SCHED_FLAG_RESET_ON_FORK', () => {
      const r = report(['schedattr'], (c) => (c.process!.scheduler = { policy: 'SCHED_BATCH', nice: 7, flags: ['SCHED_FLAG_RESET_ON_FORK'] }));
      expect(r.schedattr).toMatchObject({ policy: 3, nice: 7, priority: 0, flags: 1 });
    });

    it('SCHED_IDLE, and SCHED_OTHER with a negative nice (root of the host may lower it)', () => {
      expect(report(['schedattr'], (c) => (c.process!.scheduler = { policy: 'SCHED_IDLE' })).schedattr).toMatchObject({ policy: 5 });
      expect(report(['schedattr'], (c) => (c.process!.scheduler = { policy: 'SCHED_OTHER', nice: -5 })).schedattr).toMatchObject({ policy: 0, nice: -5 });
    });

    it('SCHED_DEADLINE with runtime, deadline and period', () => {
      const r = report(['schedattr'], (c) => {
        c.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10_000_000, deadline: 30_000_000, period: 30_000_000 };
      });
      expect(r.schedattr).toMatchObject({ policy: 6, runtime: 10_000_000, deadline: 30_000_000, period: 30_000_000 });
    });

    it('SCHED_DEADLINE under a runtime pinned with taskset: the affinity is widened first', () => {
      if (Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) < 2) return;
      const r = report(['schedattr', 'affinity'], (c) => {
        c.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 5_000_000, deadline: 20_000_000, period: 20_000_000 };
      }, { prefix: ['taskset', '-c', '0'] });
      expect(r.schedattr).toMatchObject({ policy: 6, runtime: 5_000_000 });
    });

    it('explains a refused SCHED_FIFO: a new cpu cgroup has no real-time budget', () => {
      const rt = (() => {
        try {
          return readFileSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us', 'utf8');
        } catch {
          return undefined;
        }
      })();
      const r = run(['schedattr'], (c) => (c.process!.scheduler = { policy: 'SCHED_FIFO', priority: 10 }));
      if (rt === undefined) {
        // Without CONFIG_RT_GROUP_SCHED root may use SCHED_FIFO anywhere.
        expect(r.code).toBe(0);
        expect((JSON.parse(r.stdout) as Report).schedattr).toMatchObject({ policy: 1, priority: 10 });
        return;
      }
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/set scheduler SCHED_FIFO \(nice 0, priority 10, sched_setattr\): Operation not permitted: SCHED_FIFO needs CAP_SYS_NICE in the host's user namespace.*cpu\.rt_runtime_us/);
      expect(r.stdout).toBe('');
    });

    it('refuses a bad scheduler before anything runs, with the JSON paths', () => {
      const r = run([], (c) => (c.process!.scheduler = { policy: 'SCHED_RR', nice: 40, runtime: 5 }));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('process.scheduler.nice: must be an integer from -20 to 19, got 40');
      expect(r.stderr).toContain('process.scheduler.priority: is required for SCHED_RR');
      expect(r.stderr).toContain('process.scheduler.runtime: can only be set for SCHED_DEADLINE');
    });
  });

  describe('in a user namespace of the container\'s own', () => {
    const userns = (c: OciConfig) => {
      c.linux!.namespaces!.push({ type: 'user' });
      c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.mounts = c.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
    };

    it('applies what needs no privilege: a higher nice, the BE class, the memory policy, the personality', () => {
      const r = report(['schedattr', 'ioprio', 'mempolicy-mask', 'uname'], (c) => {
        userns(c);
        c.process!.scheduler = { policy: 'SCHED_BATCH', nice: 4 };
        c.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
        c.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
        c.linux!.personality = { domain: 'LINUX32' };
      });
      expect(r).toMatchObject({ schedattr: { policy: 3, nice: 4 }, ioprio: { class: 2, priority: 6 }, 'mempolicy-mask': { mode: 2, nodes: [0] }, uname: 'i686' });
    });

    it('explains why a lower nice value is refused there', () => {
      const r = run([], (c) => {
        userns(c);
        c.process!.scheduler = { policy: 'SCHED_OTHER', nice: -3 };
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("set scheduler SCHED_OTHER (nice -3, priority 0, sched_setattr): Operation not permitted: a lower nice value, or leaving SCHED_IDLE, needs CAP_SYS_NICE in the host's user namespace (the container's own user namespace does not count");
    });
  });

  describe('linux.memoryPolicy', () => {
    it('MPOL_BIND on node 0', () => {
      const r = report(['mempolicy-mask'], (c) => (c.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' }));
      expect(r['mempolicy-mask']).toEqual({ mode: 2, nodes: [0] });
    });

    it('MPOL_INTERLEAVE with MPOL_F_STATIC_NODES: get_mempolicy reports the flag with the mode', () => {
      const r = report(['mempolicy-mask'], (c) => (c.linux!.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }));
      expect(r['mempolicy-mask']).toEqual({ mode: 3 | (1 << 15), nodes: [0] });
    });

    it('MPOL_PREFERRED, MPOL_LOCAL and MPOL_DEFAULT', () => {
      expect(report(['mempolicy-mask'], (c) => (c.linux!.memoryPolicy = { mode: 'MPOL_PREFERRED', nodes: '0' }))['mempolicy-mask']).toEqual({ mode: 1, nodes: [0] });
      expect(report(['mempolicy-mask'], (c) => (c.linux!.memoryPolicy = { mode: 'MPOL_LOCAL' }))['mempolicy-mask']).toEqual({ mode: 4, nodes: [] });
      expect(report(['mempolicy-mask'], (c) => (c.linux!.memoryPolicy = { mode: 'MPOL_DEFAULT' }))['mempolicy-mask']).toEqual({ mode: 0, nodes: [] });
    });

    it('explains a node this host does not have', () => {
      const missing = onlineNodes();
      const r = run(['mempolicy-mask'], (c) => (c.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: String(missing) }));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`set memory policy MPOL_BIND nodes ${missing} (set_mempolicy): Invalid argument: a node is not online`);
    });
  });

  describe('process.execCPUAffinity and the container\'s CPU affinity', () => {
    const all = Array.from({ length: Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) }, (_, i) => i);

    it('a runtime pinned with taskset does not pin the container (runc and crun reset it too)', () => {
      if (all.length < 2) return;
      const r = report(['affinity'], () => {}, { prefix: ['taskset', '-c', '0'] });
      expect(r.affinity).toEqual(all);
    });

    it('execCPUAffinity is accepted and, as the spec says, not applied to the init process', () => {
      if (all.length < 2) return;
      const r = report(['affinity'], (c) => (c.process!.execCPUAffinity = { initial: '1', final: '1' }), { prefix: ['taskset', '-c', '0'] });
      expect(r.affinity).toEqual(all);
    });

    it('refuses a CPU list it cannot read', () => {
      const r = run([], (c) => (c.process!.execCPUAffinity = { initial: '3-1' }));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('process.execCPUAffinity.initial: "3-1" is not a CPU list such as "0-3,7": the range "3-1" ends before it starts');
    });
  });

  it('refuses linux.intelRdt with the reason, on a host without resctrl', () => {
    const r = run([], (c) => (c.linux!.intelRdt = { closID: 'pf-clos' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/linux\.intelRdt: Intel RDT (needs the resctrl filesystem, and this host has none|is not implemented by runts yet)/);
  });

  describe('runts-init is not dumpable while it sets up and waits', () => {
    /** Creates (not starts) a container with its own pid namespace; returns its id and host pid. */
    function created(args: string[]): { id: string; pid: number } {
      const id = sb.id('pf-target');
      const bundle = withChecker(sb.bundle(id, args, (c) => c.process!.env!.push('PF_SECRET=hunter2')));
      const r = runts(['create', '--bundle', bundle, id]);
      if (r.code !== 0) throw new Error(`create failed: ${r.stderr}`);
      return { id, pid: JSON.parse(runts(['state', id]).stdout).pid as number };
    }

    /** A second container in the first one's pid namespace (joined by path), peeking at its pid 1. */
    function peek(targetPid: number): { environ: number; mem: number; ptrace: number } {
      const r = report(['peek:1'], (c) => {
        c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${targetPid}/ns/pid` } : n));
      });
      return r['peek:1'] as { environ: number; mem: number; ptrace: number };
    }

    it('a process in its pid namespace, with the same uid and capabilities, gets nothing of the waiting init', () => {
      const target = created(['sleep', '60']);
      // EACCES for /proc/1/environ and /proc/1/mem, EPERM for PTRACE_ATTACH.
      expect(peek(target.pid)).toEqual({ environ: 13, mem: 13, ptrace: 1 });
      // Control, so that the check above can fail: once started, the program
      // is dumpable again (execve), and the same peek succeeds.
      expect(runts(['start', target.id]).code).toBe(0);
      expect(peek(target.pid)).toEqual({ environ: 0, mem: 0, ptrace: 0 });
    });

    it('holding CAP_SYS_PTRACE in the container\'s user namespace is not enough either', () => {
      // The first container has a user namespace; the second joins it and its
      // pid namespace by path, as root there with CAP_SYS_PTRACE. The init's
      // memory belongs to the host's user namespace (it was executed there),
      // where the second container has no capability.
      const userns = (c: OciConfig) => {
        c.mounts = c.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
      };
      const id = sb.id('pf-target-userns');
      const bundle = withChecker(
        sb.bundle(id, ['sleep', '60'], (c) => {
          userns(c);
          c.linux!.namespaces!.push({ type: 'user' });
          c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
          c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        }),
      );
      expect(runts(['create', '--bundle', bundle, id]).stderr).toBe('');
      const pid = JSON.parse(runts(['state', id]).stdout).pid as number;
      const peekWithPtraceCap = () =>
        report(['peek:1'], (c) => {
          userns(c);
          c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${pid}/ns/pid` } : n));
          c.linux!.namespaces!.push({ type: 'user', path: `/proc/${pid}/ns/user` });
          for (const set of ['bounding', 'effective', 'permitted'] as const) c.process!.capabilities![set]!.push('CAP_SYS_PTRACE');
        })['peek:1'];
      expect(peekWithPtraceCap()).toEqual({ environ: 13, mem: 13, ptrace: 1 });
      expect(runts(['start', id]).code).toBe(0);
      expect(peekWithPtraceCap()).toEqual({ environ: 0, mem: 0, ptrace: 0 });
    });

    it('the program itself is dumpable after execve, as under runc', () => {
      expect(report(['dumpable'], () => {}).dumpable).toBe(1);
      expect(report(['dumpable'], (c) => (c.process!.user = { uid: 1000, gid: 1000 })).dumpable).toBe(1);
    });
  });
});
