// The launcher's native exec planner (addon/common/exec-plan.cc) against the
// TypeScript planner (src/plan/exec.ts), as the fast parser is checked
// against yargs: for every process document and container it takes, the
// plan is exactly the TypeScript one; what it does not take, it declines
// (the command then runs under Node, which words every refusal).
import { describe, expect, it } from 'vitest';
import { execRecordFor } from '../helpers/exec-record';
import { defaultConfig } from '../../src/config/defaults';
import type { OciConfig, Process } from '../../src/config/types';
import { native } from '../../src/native/binding';
import { buildExecPlan, type ExecRecord } from '../../src/plan/exec';
import { processDocumentProblems } from '../../src/plan/exec-process';
import { fakeHost } from '../helpers/fake-host';

const TARGET = { pid: 4242, startTime: '18446744073709551615' };

function recordOf(edit: (c: OciConfig) => void = () => {}): ExecRecord {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig;
  edit(c);
  return execRecordFor(c);
}

function nativePlan(record: ExecRecord | string, process: unknown, preserveFds = 0, listenFds: string | null = null): unknown {
  const text = native().nativeExecPlan('c1', typeof record === 'string' ? record : JSON.stringify(record), typeof process === 'string' ? process : JSON.stringify(process), TARGET.pid, TARGET.startTime, preserveFds, listenFds);
  return text === null ? null : JSON.parse(text);
}

const RECORDS: [string, ExecRecord][] = [
  ['the default container', recordOf()],
  ['a user namespace, caps, rlimits, oom_score_adj', recordOf((c) => {
    c.linux!.namespaces!.push({ type: 'user' }, { type: 'time' });
    c.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
    c.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }, { type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 18446744073709551615 }];
    c.process!.oomScoreAdj = 200;
  })],
  ['seccomp, personality, memory policy, --no-new-keyring', { ...recordOf((c) => {
    c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    Object.assign(c.linux!, { personality: { domain: 'LINUX32' }, memoryPolicy: { mode: 'MPOL_BIND', nodes: '0' } });
    c.process!.noNewPrivileges = true;
  }), newKeyring: false }],
];

const PROCESSES: [string, Process][] = [
  ['the minimum', { cwd: '/', args: ['true'] }],
  ['Podman\'s', {
    terminal: false,
    user: { uid: 1000, gid: 1000, additionalGids: [1000, 10], umask: 18 },
    args: ['sh', '-c', 'echo hi'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm', 'HOME=/root'],
    cwd: '/work',
    capabilities: { bounding: ['CAP_CHOWN', 'CAP_NET_RAW'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] },
    noNewPrivileges: true,
    rlimits: [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }, { type: 'RLIMIT_NPROC', soft: 32768, hard: 32768 }],
    apparmorProfile: '',
    selinuxLabel: '',
  }],
  ['a terminal with a size', { terminal: true, consoleSize: { height: 40, width: 120 }, cwd: '/', args: ['sh'], env: ['PATH=/bin', 'PATH=/usr/bin'] }],
  ['no capabilities at all, empty rlimits', { cwd: '/', args: ['id'], capabilities: {}, rlimits: [], oomScoreAdj: -5 }],
];

describe('native exec plans', () => {
  for (const [rname, record] of RECORDS) {
    for (const [pname, process] of PROCESSES) {
      it(`are the TypeScript plans: ${pname} in ${rname}`, () => {
        expect(processDocumentProblems(process, fakeHost())).toEqual([]);
        for (const [preserve, listen] of [[0, null], [2, '3'], [1, 'x'], [0, '0']] as const) {
          const ts = buildExecPlan(record, process, TARGET, { preserveFds: preserve, env: listen === null ? {} : { LISTEN_FDS: listen, LISTEN_PID: String(globalThis.process.pid) } });
          expect(nativePlan(record, process, preserve, listen)).toEqual(JSON.parse(JSON.stringify(ts)));
        }
      });
    }
  }

  it('the plans pass runts-init\'s reader', () => {
    const plan = nativePlan(RECORDS[2]![1], PROCESSES[1]![1]);
    expect(native().checkLaunchPlan(JSON.stringify(plan))).toBeNull();
  });

  const base = RECORDS[0]![1];
  const ok: Process = { cwd: '/', args: ['true'] };
  it.each([
    ['an unknown field', { ...ok, bogus: 1 }],
    ['a relative cwd', { ...ok, cwd: 'x' }],
    ['no args', { cwd: '/' }],
    ['empty args', { ...ok, args: [] }],
    ['an env entry without =', { ...ok, env: ['X'] }],
    ['an AppArmor profile', { ...ok, apparmorProfile: 'p' }],
    ['an SELinux label', { ...ok, selinuxLabel: 'l' }],
    ['a scheduler', { ...ok, scheduler: { policy: 'SCHED_BATCH' } }],
    ['an I/O priority', { ...ok, ioPriority: { class: 'IOPRIO_CLASS_BE' } }],
    ['an exec CPU affinity', { ...ok, execCPUAffinity: { final: '0' } }],
    ['an unknown capability', { ...ok, capabilities: { bounding: ['CAP_NOPE'] } }],
    ['a lower-case capability', { ...ok, capabilities: { bounding: ['kill'] } }],
    ['an unknown rlimit', { ...ok, rlimits: [{ type: 'RLIMIT_X', soft: 1, hard: 1 }] }],
    ['soft above hard', { ...ok, rlimits: [{ type: 'RLIMIT_CORE', soft: 2, hard: 1 }] }],
    ['a duplicate rlimit', { ...ok, rlimits: [{ type: 'RLIMIT_CORE', soft: 1, hard: 1 }, { type: 'RLIMIT_CORE', soft: 1, hard: 1 }] }],
    ['a negative uid', { ...ok, user: { uid: -1, gid: 0 } }],
    ['a user without gid', { ...ok, user: { uid: 1 } }],
    ['a fractional gid', { ...ok, user: { uid: 1, gid: 1.5 } }],
    ['a string terminal', { ...ok, terminal: 'yes' }],
    ['a NUL byte in args', { ...ok, args: ['a\u0000b'] }],
    ['a NUL byte in env', { ...ok, env: ['A=\u0000'] }],
    ['a NUL byte in cwd', { ...ok, cwd: '/tmp\u0000/x' }],
  ] as [string, unknown][])('declines %s', (_what, process) => {
    expect(nativePlan(base, process)).toBeNull();
  });

  it('reads a limit above 2^53 as JSON.parse does (rounded, then clamped to RLIM_INFINITY)', () => {
    for (const hard of ['9007199254740993', '18446744073709551615', '18446744073709552000', '1e400'.replace('1e400', '9'.repeat(30))]) {
      const text = `{"cwd": "/", "args": ["x"], "rlimits": [{"type": "RLIMIT_CORE", "soft": 0, "hard": ${hard}}]}`;
      const ts = buildExecPlan(base, JSON.parse(text) as Process, TARGET, {});
      expect(nativePlan(base, text)).toEqual(JSON.parse(JSON.stringify(ts)));
    }
  });

  it('declines a duplicate key, which JSON.parse would read differently', () => {
    expect(nativePlan(base, '{"cwd": "/", "args": ["a"], "args": ["b"]}')).toBeNull();
  });

  it.each([
    ['another container\'s record', { ...base, id: 'c2' }],
    ['an unknown namespace', { ...base, namespaces: ['bogus'] }],
    ['a missing field', { ...base, newKeyring: undefined }],
    ['an extra field', { ...base, extra: 1 }],
    ['a seccomp agent', { ...base, seccompListenerPath: '/s.sock' }],
    ['a notify filter', { ...base, seccomp: { program: 'AAAA', flags: 0, notify: true, beforeCredentials: true } }],
    ['a container process with a label', { ...base, process: { ...base.process, apparmorProfile: 'p' } }],
    ['a container process with a scheduler', { ...base, process: { ...base.process, scheduler: { policy: 'SCHED_BATCH' } } }],
  ] as [string, unknown][])('declines %s', (_what, record) => {
    expect(nativePlan(JSON.stringify(record), ok)).toBeNull();
  });
});
