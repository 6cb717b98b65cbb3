// linux.seccomp in real containers: every action, argument conditions,
// flags, architectures, SCMP_ACT_NOTIFY with a listening agent, and the
// default profiles of Podman, Docker and containerd, each compared with
// runc running the same bundle.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import type { LinuxSeccomp } from '../../src/seccomp/profile';
import { buildDir } from '../../src/native/binding';
import { isRoot, runts, useSandbox, type Result } from '../helpers/sandbox';
import { containerdProfile, mobyProfile, podmanProfile } from '../helpers/seccomp-profiles';

// x86_64 syscall numbers.
const NR = {
  socket: 41, getpid: 39, uname: 63, mkdir: 83, getppid: 110, personality: 135, chroot: 161, sync: 162, mount: 165,
  swapon: 167, addKey: 248, requestKey: 249, keyctl: 250, unshare: 272, setns: 308, userfaultfd: 323, membarrier: 324,
  clone3: 435, processMadvise: 440, mountSetattr: 442, cachestat: 451,
} as const;
const X32_BIT = 0x40000000;
const CLONE_NEWNS = 0x20000;
const EPERM = 1;
const EACCES = 13;
const ENOSYS = 38;

type Checked = Record<string, unknown> & { status: string };

const RUNC_ROOT = '/run/runts-test-runc-sc';
const hasRunc = spawnSync('runc', ['--version']).status === 0;

describe.skipIf(!isRoot)('seccomp', () => {
  const sb = useSandbox();
  const runcIds: string[] = [];
  afterEach(() => {
    for (const id of runcIds.splice(0)) spawnSync('runc', ['--root', RUNC_ROOT, 'delete', '--force', id]);
  });

  /** A bundle running the checker with these requests. */
  function checkerBundle(tag: string, requests: string[], edit: (c: OciConfig) => void): { id: string; bundle: string } {
    const id = sb.id(`sc-${tag}`);
    const bundle = sb.bundle(id, ['/checker', ...requests], edit);
    copyFileSync(path.join(buildDir(), 'runts-checker'), path.join(bundle, 'rootfs', 'checker'));
    return { id, bundle };
  }

  function parse(r: Result): Checked {
    if (r.code !== 0) throw new Error(`container exited ${r.code}: ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout) as Checked;
  }

  /** Runs the checker under runts; the parsed report. */
  function check(tag: string, requests: string[], seccomp: LinuxSeccomp, edit: (c: OciConfig) => void = () => {}): Checked {
    const { id, bundle } = checkerBundle(tag, requests, (c) => {
      c.linux!.seccomp = seccomp;
      edit(c);
    });
    return parse(runts(['run', '--bundle', bundle, id]));
  }

  function runUnder(tag: string, requests: string[], seccomp: LinuxSeccomp): { runts: Result; runc: Result | undefined } {
    const { id, bundle } = checkerBundle(tag, requests, (c) => (c.linux!.seccomp = seccomp));
    const ours = runts(['run', '--bundle', bundle, id]);
    if (!hasRunc) return { runts: ours, runc: undefined };
    const runcId = `${id}-runc`;
    runcIds.push(runcId);
    const r = spawnSync('runc', ['--root', RUNC_ROOT, 'run', '--bundle', bundle, runcId], { encoding: 'utf8', timeout: 20_000 });
    return { runts: ours, runc: { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr } };
  }

  const sys = (nr: number, ...args: (number | string)[]) => `syscall:${[nr, ...args].join(',')}`;
  const statusLine = (c: Checked, field: string) => new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(c.status)?.[1];

  for (const noNewPrivileges of [true, false]) {
    it(`an ERRNO rule returns the configured errno (noNewPrivileges ${noNewPrivileges})`, () => {
      const c = check('errno', [sys(NR.mkdir, 0), sys(NR.getpid)], {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 }],
      }, (cfg) => (cfg.process!.noNewPrivileges = noNewPrivileges));
      expect(c[sys(NR.mkdir, 0)]).toEqual({ errno: 77 });
      expect(c[sys(NR.getpid)]).toEqual({ ret: 1 });
      expect(statusLine(c, 'Seccomp')).toBe('2');
      expect(statusLine(c, 'NoNewPrivs')).toBe(noNewPrivileges ? '1' : '0');
    });
  }

  it('load order, as runc: without noNewPrivileges the filter is in place before the capability switch, with it after', () => {
    // A profile that denies capset(2): runts-init needs it to set the capability sets.
    const profile: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['capset'], action: 'SCMP_ACT_ERRNO' }] };
    const late = checkerBundle('late', [sys(NR.getpid)], (c) => {
      c.process!.noNewPrivileges = true;
      c.linux!.seccomp = profile;
    });
    expect(parse(runts(['run', '--bundle', late.bundle, late.id]))[sys(NR.getpid)]).toEqual({ ret: 1 });
    const early = checkerBundle('early', [sys(NR.getpid)], (c) => {
      c.process!.noNewPrivileges = false;
      c.linux!.seccomp = profile;
    });
    const r = runts(['create', '--bundle', early.bundle, early.id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/set capabilities \(capset\): Operation not permitted/);
    expect(existsSync(path.join('/run/runts-test', early.id))).toBe(false);
    if (hasRunc) {
      for (const [b, ok] of [[late, true], [early, false]] as const) {
        const runcId = `${b.id}-runc`;
        runcIds.push(runcId);
        const rr = spawnSync('runc', ['--root', RUNC_ROOT, 'run', '--bundle', b.bundle, runcId], { encoding: 'utf8', timeout: 20_000 });
        expect({ bundle: b.id, runcOk: rr.status === 0 }).toEqual({ bundle: b.id, runcOk: ok });
      }
    }
  });

  it('loads early (before the credential switch) inside a new user namespace, with the namespace\'s CAP_SYS_ADMIN', () => {
    const c = check('userns', [sys(NR.mkdir, 0)], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 21 }],
    }, (cfg) => {
      cfg.process!.noNewPrivileges = false;
      cfg.linux!.namespaces!.push({ type: 'user' });
      cfg.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      cfg.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      cfg.mounts = cfg.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
    });
    expect(c[sys(NR.mkdir, 0)]).toEqual({ errno: 21 });
    expect(statusLine(c, 'NoNewPrivs')).toBe('0');
  });

  it('an ERRNO rule without errnoRet returns EPERM', () => {
    const c = check('eperm', [sys(NR.mkdir, 0)], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
    });
    expect(c[sys(NR.mkdir, 0)]).toEqual({ errno: EPERM });
  });

  it('defaultErrnoRet is what an unlisted syscall returns; newer syscalls get ENOSYS (runc\'s stub)', () => {
    const profile = podmanProfile(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    profile.defaultErrnoRet = 55;
    const c = check('deferrno', [sys(NR.addKey, 0, 0, 0, 0, 0), sys(NR.mountSetattr, 0, 0, 0, 0, 0), sys(NR.getpid)], profile);
    expect(c[sys(NR.addKey, 0, 0, 0, 0, 0)]).toEqual({ errno: 55 });
    expect(c[sys(NR.mountSetattr, 0, 0, 0, 0, 0)]).toEqual({ errno: ENOSYS });
    expect(c[sys(NR.getpid)]).toEqual({ ret: 1 });
  });

  for (const action of ['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP']) {
    it(`${action} ends the container with SIGSYS (exit 159 through run)`, () => {
      const { id, bundle } = checkerBundle('kill', [sys(NR.getppid)], (c) => {
        c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action }] };
      });
      const r = runts(['run', '--bundle', bundle, id]);
      expect(r.code).toBe(159);
      // The checker flushed its report up to the syscall that killed it.
      expect(r.stdout).toContain(`"${sys(NR.getppid)}":`);
      expect(r.stdout).not.toContain('"ret"');
    });
  }

  it('SCMP_ACT_TRACE without a tracer fails the syscall with ENOSYS; SCMP_ACT_LOG allows it', () => {
    const c = check('trace', [sys(NR.getppid), sys(NR.getpid)], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['getppid'], action: 'SCMP_ACT_TRACE' },
        { names: ['getpid'], action: 'SCMP_ACT_LOG' },
      ],
    });
    expect(c[sys(NR.getppid)]).toEqual({ errno: ENOSYS });
    expect(c[sys(NR.getpid)]).toEqual({ ret: 1 });
  });

  it('argument conditions: ANDed on distinct arguments, one rule each on the same argument, masked', () => {
    const AF_INET = 2;
    const SOCK_STREAM = 1;
    const SOCK_RAW = 3;
    const SOCK_CLOEXEC = 0o2000000;
    const requests = [
      sys(NR.socket, AF_INET, SOCK_STREAM, 0),
      sys(NR.socket, 1 /* AF_UNIX */, SOCK_RAW, 0),
      sys(NR.personality, 8),
      sys(NR.personality, 131072),
      sys(NR.personality, 0xffffffff),
      sys(NR.socket, AF_INET, SOCK_RAW | SOCK_CLOEXEC, 1),
    ];
    const c = check('args', requests, {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        // AF_INET and a raw socket type: both must hold.
        { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: EACCES, args: [
          { index: 0, value: AF_INET, op: 'SCMP_CMP_EQ' },
          { index: 1, value: 0xf, valueTwo: SOCK_RAW, op: 'SCMP_CMP_MASKED_EQ' },
        ] },
        // Two conditions on argument 0: either matches (runc's one rule per condition).
        { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 61, args: [
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 131072, op: 'SCMP_CMP_EQ' },
        ] },
      ],
    }, (cfg) => {
      // A network namespace is not needed for socket(2) to answer.
      cfg.process!.capabilities!.bounding!.push('CAP_NET_RAW');
      cfg.process!.capabilities!.effective!.push('CAP_NET_RAW');
      cfg.process!.capabilities!.permitted!.push('CAP_NET_RAW');
    });
    expect(c[requests[0]!]).toHaveProperty('ret');
    expect(c[requests[1]!]).not.toEqual({ errno: EACCES });
    expect(c[requests[2]!]).toEqual({ errno: 61 });
    expect(c[requests[3]!]).toEqual({ errno: 61 });
    expect(c[requests[4]!]).toHaveProperty('ret');
    expect(c[requests[5]!]).toEqual({ errno: EACCES });
  });

  it('architectures: an x32 syscall is allowed with SCMP_ARCH_X32 and hits the bad-arch action without it, as under runc', () => {
    const x32Getpid = sys(NR.getpid | X32_BIT);
    const withX32 = runUnder('arch', [x32Getpid], {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
    });
    const report = parse(withX32.runts);
    // ret 1 where the kernel has the x32 ABI, ENOSYS where it does not.
    expect([{ ret: 1 }, { errno: ENOSYS }]).toContainEqual(report[x32Getpid]);
    const without = runUnder('noarch', [x32Getpid], {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
    });
    expect(without.runts.code).toBe(159);
    if (withX32.runc) expect(JSON.parse(withX32.runc.stdout)[x32Getpid]).toEqual(report[x32Getpid]);
    if (without.runc) expect(without.runc.code).toBe(159);
  });

  it('flags: LOG, SPEC_ALLOW and TSYNC reach seccomp(2) (runc 1.1 refuses every flag)', () => {
    const { id, bundle } = checkerBundle('flags', [sys(NR.mkdir, 0)], (c) => {
      c.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'],
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 9 }],
      };
    });
    const r = runts(['--debug', 'run', '--bundle', bundle, id]);
    expect(parse(r)[sys(NR.mkdir, 0)]).toEqual({ errno: 9 });
    // LOG|SPEC_ALLOW; TSYNC is accepted and has nothing to do (one thread).
    expect(r.stderr).toContain('\\"notify\\":false');
    expect(r.stderr).toMatch(/\\"seccomp\\":\{\\"program\\":\\"[^\\]+\\",\\"flags\\":6,/);
  });

  it('refuses an unknown flag, action or architecture with its JSON path, before creating anything', () => {
    const { id, bundle } = checkerBundle('bad', [], (c) => {
      c.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_Z80'],
        flags: ['SECCOMP_FILTER_FLAG_FAST'],
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
      };
    });
    const r = runts(['run', '--bundle', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('linux.seccomp.architectures[0]: unknown seccomp architecture "SCMP_ARCH_Z80"');
    expect(r.stderr).toContain('linux.seccomp.flags[0]: unknown seccomp flag "SECCOMP_FILTER_FLAG_FAST"');
    expect(r.stderr).toContain('linux.seccomp.listenerPath: is required when a rule uses SCMP_ACT_NOTIFY');
    expect(existsSync(path.join('/run/runts-test', id))).toBe(false);
  });

  it('skips a syscall this libseccomp does not know, with a debug line', () => {
    const { id, bundle } = checkerBundle('unknown', [sys(NR.mkdir, 0)], (c) => {
      c.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['no_such_syscall_x', 'mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 3 }],
      };
    });
    const r = runts(['--debug', 'run', '--bundle', bundle, id]);
    expect(parse({ ...r, stdout: r.stdout })[sys(NR.mkdir, 0)]).toEqual({ errno: 3 });
    expect(r.stderr).toMatch(/level=debug msg="seccomp: unknown syscall .*no_such_syscall_x.* ignored/);
  });

  describe('SCMP_ACT_NOTIFY', () => {
    let agent: ChildProcess | undefined;
    afterEach(() => {
      agent?.kill('SIGKILL');
      agent = undefined;
    });

    function startAgent(): { socket: string; report: string; read: () => { state: Record<string, unknown>; fds: number; notifications: number[] } } {
      const socket = path.join(sb.dir, 'agent.sock');
      const report = path.join(sb.dir, 'agent.json');
      rmSync(socket, { force: true });
      agent = spawn('python3', [path.resolve(__dirname, '../helpers/seccomp-agent.py'), socket, report], { stdio: 'ignore' });
      const until = Date.now() + 10_000;
      while (!existsSync(report) && Date.now() < until) spawnSync('sleep', ['0.05']);
      if (!existsSync(report)) throw new Error('the seccomp agent did not start');
      return { socket, report, read: () => JSON.parse(readFileSync(report, 'utf8')) };
    }

    for (const flags of [[], ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']]) {
      it(`sends the listener fd with the container state; the agent answers (flags ${JSON.stringify(flags)})`, () => {
        const a = startAgent();
        const { id, bundle } = checkerBundle('notify', [sys(NR.mkdir, 0), sys(NR.getpid)], (c) => {
          c.annotations = { 'org.example.seccomp': 'yes' };
          c.linux!.seccomp = {
            defaultAction: 'SCMP_ACT_ALLOW',
            listenerPath: a.socket,
            listenerMetadata: 'runts-test-metadata',
            flags,
            syscalls: [{ names: ['mkdir', 'uname'], action: 'SCMP_ACT_NOTIFY' }],
          };
        });
        const r = runts(['run', '--bundle', bundle, id]);
        const c = parse(r);
        // mkdir answered by the agent with 42, uname continued by it.
        expect(c[sys(NR.mkdir, 0)]).toEqual({ ret: 42 });
        expect(c.hostname).toBe('runts');
        const seen = a.read();
        expect(seen.fds).toBe(1);
        expect(seen.notifications).toContain(NR.mkdir);
        expect(seen.notifications).toContain(NR.uname);
        expect(seen.state).toMatchObject({
          fds: ['seccompFd'],
          metadata: 'runts-test-metadata',
          state: { id, status: 'creating', bundle, annotations: { 'org.example.seccomp': 'yes' } },
        });
        expect(seen.state.pid).toBeGreaterThan(1);
        expect((seen.state.state as { pid: number }).pid).toBe(seen.state.pid);
        expect(typeof seen.state.ociVersion).toBe('string');
      });
    }

    it('fails create when nothing listens at listenerPath, leaving nothing behind', () => {
      const { id, bundle } = checkerBundle('nolistener', [], (c) => {
        c.linux!.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          listenerPath: path.join(sb.dir, 'nobody.sock'),
          syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
        };
      });
      const r = runts(['create', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/connect to the seccomp agent \(linux\.seccomp\.listenerPath\) .*nobody\.sock: No such file or directory/);
      expect(existsSync(path.join('/run/runts-test', id))).toBe(false);
    });
  });

  describe('engine default profiles, compared with runc', () => {
    const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    const probes = [
      sys(NR.getpid),
      sys(NR.unshare, CLONE_NEWNS),
      sys(NR.mount, 0, 0, 0, 0, 0),
      sys(NR.keyctl, 0, 0),
      sys(NR.addKey, 0, 0, 0, 0, 0),
      sys(NR.requestKey, 0, 0, 0, 0),
      sys(NR.swapon, 0, 0),
      sys(NR.userfaultfd, 0),
      sys(NR.membarrier, 0, 0),
      sys(NR.personality, 0xffffffff),
      sys(NR.personality, 4),
      sys(NR.socket, 40 /* AF_VSOCK */, 1, 0),
      sys(NR.chroot, 0),
      sys(NR.setns, 0xffffffff, 0),
      sys(NR.clone3, 0, 0),
      sys(NR.processMadvise, 0, 0, 0, 0, 0),
      sys(NR.mountSetattr, 0, 0, 0, 0, 0),
      sys(NR.cachestat, 0, 0, 0, 0),
      sys(NR.sync),
    ];
    const profiles: [string, () => LinuxSeccomp, Record<string, unknown>][] = [
      ['podman', () => podmanProfile(caps), {
        [sys(NR.getpid)]: { ret: 1 },
        [sys(NR.addKey, 0, 0, 0, 0, 0)]: { errno: ENOSYS },
        [sys(NR.swapon, 0, 0)]: { errno: EPERM },
        [sys(NR.chroot, 0)]: { errno: EPERM },
        [sys(NR.personality, 4)]: { errno: ENOSYS },
      }],
      ['moby', () => mobyProfile(caps), {
        [sys(NR.getpid)]: { ret: 1 },
        [sys(NR.unshare, CLONE_NEWNS)]: { errno: EPERM },
        [sys(NR.mount, 0, 0, 0, 0, 0)]: { errno: EPERM },
        [sys(NR.keyctl, 0, 0)]: { errno: EPERM },
        [sys(NR.addKey, 0, 0, 0, 0, 0)]: { errno: EPERM },
        [sys(NR.clone3, 0, 0)]: { errno: ENOSYS },
        [sys(NR.socket, 40, 1, 0)]: { errno: EPERM },
        [sys(NR.cachestat, 0, 0, 0, 0)]: { errno: ENOSYS },
      }],
      ['containerd', () => containerdProfile(), {
        [sys(NR.getpid)]: { ret: 1 },
        [sys(NR.unshare, CLONE_NEWNS)]: { errno: EPERM },
        [sys(NR.mount, 0, 0, 0, 0, 0)]: { errno: EPERM },
        [sys(NR.keyctl, 0, 0)]: { errno: EPERM },
        [sys(NR.cachestat, 0, 0, 0, 0)]: { errno: ENOSYS },
      }],
    ];
    for (const [name, profile, expected] of profiles) {
      it(`${name}: denied syscalls fail with the profile's errno, ordinary commands work, as under runc`, () => {
        const r = runUnder(name, probes, profile());
        const ours = parse(r.runts);
        for (const [probe, want] of Object.entries(expected)) expect({ probe, got: ours[probe] }).toEqual({ probe, got: want });
        if (r.runc) {
          const theirs = parse(r.runc);
          for (const probe of probes) expect({ probe, runts: ours[probe] }).toEqual({ probe, runts: theirs[probe] });
        }
        const shellId = sb.id(`sc-${name}-sh`);
        const shellBundle = sb.bundle(shellId, ['sh', '-c', 'mkdir /tmp/d && echo hi > /tmp/d/f && cat /tmp/d/f && ls / | wc -l >/dev/null && ps >/dev/null && echo done'], (c) => {
          c.root!.readonly = false;
          c.linux!.seccomp = profile();
        });
        const shell = runts(['run', '--bundle', shellBundle, shellId]);
        expect(shell.stderr).toBe('');
        expect(shell.stdout).toBe('hi\ndone\n');
        expect(shell.code).toBe(0);
      });
    }
  });
});
