// The addon's libseccomp compilation, checked without root: each compiled
// program is run by a small BPF interpreter (test/helpers/bpf.ts) for the
// syscalls that matter, including runc's -ENOSYS stub and the bad-arch action.
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem } from '../../src/errors';
import { nativeSeccompCompiler } from '../../src/seccomp/native';
import type { LinuxSeccomp } from '../../src/seccomp/profile';
import { translateSeccomp } from '../../src/seccomp/translate';
import { AUDIT_ARCH, runFilter, type SeccompData } from '../helpers/bpf';
import { containerdProfile, mobyProfile, podmanProfile } from '../helpers/seccomp-profiles';

const ALLOW = 0x7fff0000;
const KILL_THREAD = 0;
const errno = (e: number) => 0x00050000 | e;
const X32 = 0x40000000;
const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

function compile(profile: LinuxSeccomp): { run: (d: Partial<SeccompData> & { nr: number }) => number; skipped: string[]; instructions: number } {
  const lines: string[] = [];
  const out = nativeSeccompCompiler((l) => lines.push(l))(translateSeccomp(profile).description);
  return {
    run: (d) => runFilter(out.program, { arch: AUDIT_ARCH.X86_64, ...d }),
    skipped: out.skipped,
    instructions: out.program.byteLength / 8,
  };
}

describe('compiling with libseccomp', () => {
  it('gives each rule its action and everything else the default', () => {
    const f = compile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 },
        { names: ['getppid'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['getpid'], action: 'SCMP_ACT_TRAP' },
        { names: ['uname'], action: 'SCMP_ACT_NOTIFY' },
        { names: ['sync'], action: 'SCMP_ACT_LOG' },
        { names: ['getuid'], action: 'SCMP_ACT_TRACE', errnoRet: 5 },
        { names: ['getgid'], action: 'SCMP_ACT_KILL' },
      ],
      listenerPath: '/a.sock',
    });
    expect(f.run({ nr: 83 })).toBe(errno(77));
    expect(f.run({ nr: 110 })).toBe(0x80000000);
    expect(f.run({ nr: 39 })).toBe(0x00030000);
    expect(f.run({ nr: 63 })).toBe(0x7fc00000);
    expect(f.run({ nr: 162 })).toBe(0x7ffc0000);
    expect(f.run({ nr: 102 })).toBe(0x7ff00005);
    expect(f.run({ nr: 104 })).toBe(KILL_THREAD);
    expect(f.run({ nr: 0 })).toBe(ALLOW);
  });

  it('kills (the bad-arch action) a syscall of an architecture the profile does not list, as runc', () => {
    const f = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    expect(f.run({ nr: 20, arch: AUDIT_ARCH.I386 })).toBe(KILL_THREAD);
    expect(f.run({ nr: 39 | X32 })).toBe(KILL_THREAD);
    const g = compile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    expect(g.run({ nr: 20, arch: AUDIT_ARCH.I386 })).toBe(ALLOW);
    expect(g.run({ nr: 39 | X32 })).toBe(ALLOW);
    expect(g.run({ nr: 83 | X32 })).toBe(errno(1));
    expect(g.run({ nr: 39 /* mkdir on i386 */, arch: AUDIT_ARCH.I386 })).toBe(errno(1));
    expect(g.run({ nr: 1, arch: AUDIT_ARCH.AARCH64 })).toBe(KILL_THREAD);
  });

  it('evaluates argument conditions: AND across arguments, OR for one argument compared twice, masks', () => {
    const f = compile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [
          { index: 0, value: 2, op: 'SCMP_CMP_EQ' },
          { index: 1, value: 0xf, valueTwo: 3, op: 'SCMP_CMP_MASKED_EQ' },
        ] },
        { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 61, args: [
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 131072, op: 'SCMP_CMP_EQ' },
        ] },
        { names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [{ index: 2, value: 100, op: 'SCMP_CMP_GT' }] },
        { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 8, args: [{ index: 2, value: 10, op: 'SCMP_CMP_LT' }] },
        { names: ['close'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, args: [{ index: 0, value: 1000, op: 'SCMP_CMP_GE' }] },
        { names: ['dup'], action: 'SCMP_ACT_ERRNO', errnoRet: 10, args: [{ index: 0, value: 3, op: 'SCMP_CMP_LE' }] },
        { names: ['fsync'], action: 'SCMP_ACT_ERRNO', errnoRet: 11, args: [{ index: 0, value: 5, op: 'SCMP_CMP_NE' }] },
      ],
    });
    const args = (...a: number[]) => a.map(BigInt);
    expect(f.run({ nr: 41, args: args(2, 3, 0) })).toBe(errno(13));
    expect(f.run({ nr: 41, args: args(2, 3 | 0o2000000, 0) })).toBe(errno(13));
    expect(f.run({ nr: 41, args: args(2, 1, 0) })).toBe(ALLOW);
    expect(f.run({ nr: 41, args: args(1, 3, 0) })).toBe(ALLOW);
    expect(f.run({ nr: 135, args: args(8) })).toBe(errno(61));
    expect(f.run({ nr: 135, args: args(131072) })).toBe(errno(61));
    expect(f.run({ nr: 135, args: args(0xffffffff) })).toBe(ALLOW);
    expect(f.run({ nr: 0, args: args(0, 0, 101) })).toBe(errno(7));
    expect(f.run({ nr: 0, args: args(0, 0, 100) })).toBe(ALLOW);
    expect(f.run({ nr: 1, args: args(0, 0, 9) })).toBe(errno(8));
    expect(f.run({ nr: 1, args: args(0, 0, 10) })).toBe(ALLOW);
    expect(f.run({ nr: 3, args: args(1000) })).toBe(errno(9));
    expect(f.run({ nr: 3, args: args(999) })).toBe(ALLOW);
    expect(f.run({ nr: 32, args: args(3) })).toBe(errno(10));
    expect(f.run({ nr: 32, args: args(4) })).toBe(ALLOW);
    expect(f.run({ nr: 74, args: args(4) })).toBe(errno(11));
    expect(f.run({ nr: 74, args: args(5) })).toBe(ALLOW);
    // 64-bit comparisons look at the high word too.
    expect(f.run({ nr: 3, args: [0x1_0000_0000n] })).toBe(errno(9));
  });

  it('skips a syscall name this libseccomp does not know, and reports it', () => {
    const f = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['not_a_syscall', 'mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    expect(f.skipped).toEqual(['not_a_syscall']);
    expect(f.run({ nr: 83 })).toBe(errno(1));
  });

  it('prepends runc\'s -ENOSYS stub: syscalls above the profile\'s largest get ENOSYS, per architecture', () => {
    const f = compile({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: ['read', 'write', 'openat2'], action: 'SCMP_ACT_ALLOW' }],
    });
    expect(f.run({ nr: 0 })).toBe(ALLOW);
    expect(f.run({ nr: 2 })).toBe(errno(1)); // open: below openat2 (437), the default
    expect(f.run({ nr: 437 })).toBe(ALLOW);
    expect(f.run({ nr: 438 })).toBe(errno(38));
    expect(f.run({ nr: 1000 })).toBe(errno(38));
    expect(f.run({ nr: 438 | X32 })).toBe(errno(38));
    expect(f.run({ nr: 3 | X32 })).toBe(errno(1));
    // i386: openat2 is 437 there as well; read is 3.
    expect(f.run({ nr: 3, arch: AUDIT_ARCH.I386 })).toBe(ALLOW);
    expect(f.run({ nr: 438, arch: AUDIT_ARCH.I386 })).toBe(errno(38));
    expect(f.run({ nr: 10, arch: AUDIT_ARCH.I386 })).toBe(errno(1));
    // Other architectures still hit the bad-arch action.
    expect(f.run({ nr: 1, arch: AUDIT_ARCH.AARCH64 })).toBe(KILL_THREAD);
  });

  it('leaves the stub out for an allowing default, or when the default already returns ENOSYS', () => {
    const allow = compile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO' }] });
    expect(allow.run({ nr: 1000 })).toBe(ALLOW);
    const enosys = compile({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] });
    expect(enosys.run({ nr: 1000 })).toBe(errno(38));
    expect(enosys.run({ nr: 2 })).toBe(errno(38));
  });

  it('compiles the engines\' default profiles to what they mean', () => {
    const podman = compile(podmanProfile(CAPS));
    expect(podman.run({ nr: 0 })).toBe(ALLOW); // read
    expect(podman.run({ nr: 248 })).toBe(errno(38)); // add_key: not listed
    expect(podman.run({ nr: 167 })).toBe(errno(1)); // swapon: denied by name
    expect(podman.run({ nr: 161 })).toBe(errno(1)); // chroot without CAP_SYS_CHROOT
    expect(podman.run({ nr: 41, args: [16n, 3n, 9n] })).toBe(ALLOW); // CAP_AUDIT_WRITE: netlink audit allowed
    const noAudit = compile(podmanProfile(['CAP_KILL']));
    expect(noAudit.run({ nr: 41, args: [16n, 3n, 9n] })).toBe(errno(22));
    expect(noAudit.run({ nr: 41, args: [2n, 1n, 0n] })).toBe(ALLOW);

    const moby = compile(mobyProfile(CAPS));
    expect(moby.run({ nr: 272 })).toBe(errno(1)); // unshare without CAP_SYS_ADMIN
    expect(moby.run({ nr: 435 })).toBe(errno(38)); // clone3: ENOSYS so that glibc falls back
    expect(moby.run({ nr: 56, args: [0x20000n] })).toBe(errno(1)); // clone(CLONE_NEWNS)
    expect(moby.run({ nr: 56, args: [0x11n] })).toBe(ALLOW); // clone(SIGCHLD|...)
    expect(moby.run({ nr: 451 })).toBe(errno(38)); // cachestat: newer than the profile
    expect(moby.run({ nr: 440 })).toBe(errno(1)); // process_madvise: known, not allowed

    const containerd = compile(containerdProfile());
    expect(containerd.run({ nr: 165 })).toBe(errno(1)); // mount
    expect(containerd.run({ nr: 161 })).toBe(ALLOW); // chroot (CAP_SYS_CHROOT)
    expect(containerd.run({ nr: 158 })).toBe(ALLOW); // arch_prctl
    for (const f of [podman, moby, containerd]) expect(f.instructions).toBeLessThan(4096);
  });

  it('reports what libseccomp refuses as a config problem', () => {
    let problems: readonly ConfigProblem[] = [];
    try {
      // The same condition with two actions: libseccomp cannot decide.
      compile({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
          { names: ['read'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
        ],
      });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      problems = (e as ConfigError).problems;
    }
    expect(problems).toEqual([{ path: 'linux.seccomp', message: expect.stringMatching(/^seccomp: add rule for syscall read: /) }]);
  });
});
