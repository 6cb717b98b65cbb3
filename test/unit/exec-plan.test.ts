// The exec plan without root: runc's getProcess (the flags over the
// container's process), runc's fallbacks to the container's values, the
// joins of /proc/<pid>/ns (user first), a plan runts-init's reader takes,
// exec.json's strict reader, and the process document's JSON paths.
import { describe, expect, it } from 'vitest';
import { execRecordFor } from '../helpers/exec-record';
import { defaultConfig } from '../../src/config/defaults';
import type { OciConfig, Process } from '../../src/config/types';
import { lookupExitCode } from '../../src/container/exec';
import { native } from '../../src/native/binding';
import { buildExecPlan, execJoins, ExecFlagError, planExecProcess, processFromFlags, type ExecRecord } from '../../src/plan/exec';
import { processDocumentProblems } from '../../src/plan/exec-process';
import { execRecordOf, fieldProblem, parseExecRecord } from '../../src/plan/exec-record';
import { CLONE_FLAGS } from '../../src/plan/namespaces';
import { fakeHost } from '../helpers/fake-host';


function config(edit: (c: OciConfig) => void = () => {}): OciConfig {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig;
  edit(c);
  return c;
}

/** The record create saves for c. */
const recordOf = execRecordFor;

const TARGET = { pid: 4242, startTime: '987654' };

describe('processFromFlags (runc getProcess)', () => {
  const base = config().process!;

  it('takes the container process, with args and the overrides', () => {
    const p = processFromFlags(base, {
      args: ['sh', '-c', 'x'],
      cwd: '/tmp',
      env: ['A=1'],
      user: '1000:1001',
      additionalGids: ['5', '7'],
      apparmor: 'prof',
      processLabel: 'lbl',
      tty: true,
      noNewPrivs: false,
    });
    expect(p.args).toEqual(['sh', '-c', 'x']);
    expect(p.cwd).toBe('/tmp');
    expect(p.env).toEqual([...(base.env ?? []), 'A=1']);
    expect(p.user).toEqual({ ...base.user, uid: 1000, gid: 1001, additionalGids: [5, 7] });
    expect(p.apparmorProfile).toBe('prof');
    expect(p.selinuxLabel).toBe('lbl');
    expect(p.terminal).toBe(true);
    expect(p.noNewPrivileges).toBe(false);
    // The container's process itself is untouched.
    expect(base.args).toEqual(['sh']);
  });

  it('terminal is false unless -t, and --no-new-privs only when given', () => {
    const withNnp = { ...base, terminal: true, noNewPrivileges: true };
    const p = processFromFlags(withNnp, { args: ['true'] });
    expect(p.terminal).toBe(false);
    expect(p.noNewPrivileges).toBe(true);
    expect(processFromFlags(withNnp, { args: ['true'], noNewPrivs: false }).noNewPrivileges).toBe(false);
  });

  it('--cap adds to bounding, effective, permitted; to ambient only with inheritable ones', () => {
    const p = processFromFlags({ cwd: '/', capabilities: { bounding: ['CAP_KILL'] } }, { args: ['true'], caps: ['CAP_SYS_ADMIN'] });
    expect(p.capabilities).toEqual({ bounding: ['CAP_KILL', 'CAP_SYS_ADMIN'], effective: ['CAP_SYS_ADMIN'], permitted: ['CAP_SYS_ADMIN'] });
    const q = processFromFlags({ cwd: '/', capabilities: { inheritable: [] } }, { args: ['true'], caps: ['CAP_NET_RAW'] });
    expect(q.capabilities?.ambient).toEqual(['CAP_NET_RAW']);
  });

  it('--user uid alone means gid 0; names and garbage are refused', () => {
    expect(processFromFlags(base, { args: ['x'], user: '33' }).user).toMatchObject({ uid: 33, gid: 0 });
    for (const bad of ['root', '1:2:3', ':1', '1:x', '-1', '4294967296']) {
      expect(() => processFromFlags(base, { args: ['x'], user: bad })).toThrow(ExecFlagError);
    }
    expect(() => processFromFlags(base, { args: ['x'], additionalGids: ['wheel'] })).toThrow(/--additional-gids "wheel"/);
  });
});

describe('the exec plan', () => {
  it('joins every namespace of the container, user first, through /proc/<pid>/ns', () => {
    expect(execJoins(['pid', 'network', 'user', 'mount', 'time'], 7)).toEqual([
      { flag: CLONE_FLAGS.user, path: '/proc/7/ns/user' },
      { flag: CLONE_FLAGS.pid, path: '/proc/7/ns/pid' },
      { flag: CLONE_FLAGS.network, path: '/proc/7/ns/net' },
      { flag: CLONE_FLAGS.mount, path: '/proc/7/ns/mnt' },
      { flag: CLONE_FLAGS.time, path: '/proc/7/ns/time' },
    ]);
    // A type listed twice (a path and a new one) is joined once.
    expect(execJoins(['ipc', 'ipc'], 7)).toHaveLength(1);
  });

  it('sets up nothing of the container: no rootfs, mounts, devices, sysctls, hostname; creates no namespace', () => {
    const c = config((x) => {
      x.hostname = 'h';
      x.linux!.sysctl = { 'kernel.msgmax': '8192' };
    });
    const plan = buildExecPlan(recordOf(c), processFromFlags(c.process!, { args: ['true'] }), TARGET, {});
    expect(plan).toMatchObject({
      cloneFlags: 0,
      rootfs: null,
      mounts: [],
      devices: [],
      setupDev: false,
      maskedPaths: [],
      readonlyPaths: [],
      sysctls: [],
      hostname: null,
      domainname: null,
      mountLabel: null,
      exec: TARGET,
    });
    expect(plan.joins.map((j) => j.path)).toEqual(['/proc/4242/ns/pid', '/proc/4242/ns/net', '/proc/4242/ns/ipc', '/proc/4242/ns/uts', '/proc/4242/ns/mnt', '/proc/4242/ns/cgroup']);
    expect(native().checkLaunchPlan(JSON.stringify(plan))).toBeNull();
  });

  it('falls back to the container\'s capabilities, rlimits, LSM labels, scheduler, I/O priority; keeps its oom_score_adj and keyring', () => {
    const c = config((x) => {
      x.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }];
      x.process!.oomScoreAdj = 5;
      x.process!.apparmorProfile = 'container-prof';
      x.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 3 };
    });
    const record = { ...recordOf(c), newKeyring: false };
    const bare: Process = { cwd: '/', args: ['true'] };
    const p = planExecProcess(record, bare, {});
    expect(p.capabilities.bounding).not.toBe('0');
    expect(p.rlimits).toEqual([{ name: 'RLIMIT_NOFILE', resource: 7, soft: '10', hard: '20' }]);
    expect(p.lsm).toEqual({ apparmorProfile: 'container-prof', selinuxLabel: null });
    expect(p.ioPriority).toMatchObject({ class: 'IOPRIO_CLASS_BE', priority: 3 });
    expect(p.oomScoreAdj).toBe(5);
    expect(p.newKeyring).toBe(false);
    // noNewPrivileges is the process's own (runc's newProcess).
    expect(p.noNewPrivileges).toBe(false);
    // The process's own values win.
    const own = planExecProcess(record, { ...bare, capabilities: {}, rlimits: [{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }], apparmorProfile: 'mine' }, {});
    expect(own.capabilities).toEqual({ bounding: '0', effective: '0', permitted: '0', inheritable: '0', ambient: '0' });
    expect(own.rlimits.map((r) => r.name)).toEqual(['RLIMIT_CORE']);
    expect(own.lsm.apparmorProfile).toBe('mine');
  });

  it('LISTEN_FDS and --preserve-fds; terminal and consoleSize; execCPUAffinity', () => {
    const p = planExecProcess(
      recordOf(config()),
      { cwd: '/', args: ['x'], terminal: true, consoleSize: { height: 5, width: 7 }, env: ['PATH=/sbin:/bin'], execCPUAffinity: { final: '1' } },
      { preserveFds: 2, env: { LISTEN_FDS: '3', LISTEN_PID: String(process.pid) } },
    );
    expect(p.preserveFds).toBe(5);
    expect(p.env).toEqual(['PATH=/sbin:/bin', 'LISTEN_FDS=3', 'LISTEN_PID=1']);
    expect(p.path).toBe('/sbin:/bin');
    expect(p.consoleSize).toEqual({ rows: 5, cols: 7 });
    expect(p.cpuAffinity).toEqual({ resetToAll: true, initial: null, final: ['2'] });
    // runc's activation.Files: fds offered to another process are not ours.
    const other = planExecProcess(recordOf(config()), { cwd: '/', args: ['x'], env: [] }, { env: { LISTEN_FDS: '3', LISTEN_PID: '1' } });
    expect({ preserveFds: other.preserveFds, env: other.env }).toEqual({ preserveFds: 0, env: [] });
  });

  it('the container\'s seccomp filter, loaded before the credential switch unless no_new_privs', () => {
    const c = config((x) => {
      x.process!.noNewPrivileges = true;
      x.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    });
    const record = recordOf(c);
    expect(record.seccomp?.beforeCredentials).toBe(false);
    const without = buildExecPlan(record, { cwd: '/', args: ['x'], noNewPrivileges: false }, TARGET, {});
    expect(without.seccomp).toMatchObject({ program: record.seccomp!.program, beforeCredentials: true });
    const withNnp = buildExecPlan(record, { cwd: '/', args: ['x'], noNewPrivileges: true }, TARGET, {});
    expect(withNnp.seccomp?.beforeCredentials).toBe(false);
    expect(native().checkLaunchPlan(JSON.stringify(withNnp))).toBeNull();
  });
});

describe('exec.json', () => {
  const record = recordOf(config());
  const text = JSON.stringify(record);

  it('reads back what create wrote', () => {
    expect(parseExecRecord(text, '/r/c1/exec.json', 'c1')).toEqual(record);
    expect(record.namespaces).toEqual(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['an array', '[]', 'not a JSON object'],
    ['another container\'s', JSON.stringify({ ...record, id: 'c2' }), 'it is the record of "c2"'],
    ['an unknown namespace', JSON.stringify({ ...record, namespaces: ['bogus'] }), 'namespaces[0] must be one of'],
    ['a field too many', JSON.stringify({ ...record, extra: 1 }), 'extra is not a field runts writes'],
    ['a field missing', JSON.stringify({ ...record, newKeyring: undefined }), 'newKeyring is missing'],
    ['a bad seccomp', JSON.stringify({ ...record, seccomp: { program: 1, flags: 0, notify: false, beforeCredentials: false } }), 'seccomp.program must be a string'],
    ['no process', JSON.stringify({ ...record, process: undefined }), 'process is missing'],
    ['a bad process', JSON.stringify({ ...record, process: { cwd: 'rel', args: ['x'] } }), 'process.cwd: must be an absolute path'],
  ])('refuses %s', (_what, doc, why) => {
    expect(() => parseExecRecord(doc, '/r/c1/exec.json', 'c1')).toThrow(`/r/c1/exec.json is damaged (${why}`);
  });

  it('fieldProblem checks uint64 strings and nested arrays', () => {
    expect(fieldProblem({ kind: 'uint64' }, '18446744073709551615', 'x')).toBe('');
    expect(fieldProblem({ kind: 'uint64' }, '18446744073709551616', 'x')).toBe('x must be a decimal uint64 string');
    expect(fieldProblem({ kind: 'array', of: { kind: 'int' } }, [1, 'a'], 'n')).toBe('n[1] must be an integer');
  });
});

describe('a process document (--process)', () => {
  it('gets the schema\'s and the semantic checks\' problems, with paths in the process', () => {
    const problems = processDocumentProblems({ cwd: 'relative', args: [], user: { uid: -1 }, env: ['NOEQUALS'], rlimits: [{ type: 'RLIMIT_BOGUS', soft: 2, hard: 1 }] }, fakeHost());
    const paths = problems.map((p) => p.path);
    for (const p of ['cwd', 'args', 'user.uid', 'env[0]', 'rlimits[0].type', 'rlimits[0]']) expect(paths).toContain(p);
    expect(processDocumentProblems({ cwd: '/', args: ['true'] }, fakeHost())).toEqual([]);
    expect(processDocumentProblems([], fakeHost())).toEqual([{ path: '', message: expect.stringContaining('must be a JSON object') }]);
    // An LSM label the host cannot apply is refused, as in config.json.
    expect(processDocumentProblems({ cwd: '/', args: ['x'], apparmorProfile: 'p' }, fakeHost()).map((p) => p.path)).toEqual(['apparmorProfile']);
  });
});

describe('exit codes of a failed lookup', () => {
  const failure = (message: string, errno = 0) => Object.assign(new Error(message), { native: true, step: message, path: '', errno, code: '', exitCode: 1 });
  it('127 for a missing program, 126 for one that cannot run; nothing else', () => {
    expect(lookupExitCode(failure('exec: "x": executable file not found in $PATH'))).toBe(127);
    expect(lookupExitCode(failure('exec: "/bin/nope": stat /bin/nope: No such file or directory'))).toBe(127);
    expect(lookupExitCode(failure('exec: "a\\"b": permission denied'))).toBe(126);
    expect(lookupExitCode(failure('exec /bin/x: Permission denied', 13))).toBeUndefined();
    expect(lookupExitCode(failure('mount /proc: EPERM'))).toBeUndefined();
    expect(lookupExitCode(new Error('exec: "x": permission denied'))).toBeUndefined();
  });
});
