// linux.seccomp without root: validation (problems with JSON paths), the
// translation into the description the addon compiles (runc's rules), and
// the plan's seccomp part.
import { describe, expect, it } from 'vitest';
import { placeContainer } from '../../src/cgroups/placement';
import { detectLayout } from '../../src/cgroups/layout';
import { defaultConfig } from '../../src/config/defaults';
import { semanticProblems } from '../../src/config/semantic';
import type { OciConfig } from '../../src/config/types';
import { buildPlan } from '../../src/plan/build';
import { FILTER_FLAG, OPERATORS } from '../../src/seccomp/names';
import type { SeccompCompiler } from '../../src/seccomp/plan';
import { seccompProblems, type LinuxSeccomp } from '../../src/seccomp/profile';
import { actionValue, conditionSets, translateSeccomp } from '../../src/seccomp/translate';
import { fakeHost } from '../helpers/fake-host';
import { mobyProfile, podmanProfile, containerdProfile } from '../helpers/seccomp-profiles';

const paths = (s: unknown, host = {}) => seccompProblems(s, host).problems.map((p) => p.path);
const messages = (s: unknown, host = {}) => seccompProblems(s, host).problems.map((p) => `${p.path}: ${p.message}`);

describe('seccomp actions', () => {
  it.each([
    ['SCMP_ACT_KILL', undefined, 0x00000000],
    ['SCMP_ACT_KILL_THREAD', undefined, 0x00000000],
    ['SCMP_ACT_KILL_PROCESS', undefined, 0x80000000],
    ['SCMP_ACT_TRAP', undefined, 0x00030000],
    ['SCMP_ACT_ERRNO', undefined, 0x00050001],
    ['SCMP_ACT_ERRNO', 77, 0x0005004d],
    ['SCMP_ACT_TRACE', undefined, 0x7ff00001],
    ['SCMP_ACT_TRACE', 1234, 0x7ff004d2],
    ['SCMP_ACT_ALLOW', undefined, 0x7fff0000],
    ['SCMP_ACT_LOG', undefined, 0x7ffc0000],
    ['SCMP_ACT_NOTIFY', undefined, 0x7fc00000],
  ])('%s (errnoRet %s) is %d', (name, errno, value) => {
    expect(actionValue(name, errno)).toBe(value);
  });
});

describe('argument conditions', () => {
  it('gives every operator libseccomp\'s number', () => {
    expect(OPERATORS).toEqual({
      SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
    });
    for (const [op, n] of Object.entries(OPERATORS)) {
      expect(conditionSets([{ index: 1, value: 5, valueTwo: 3, op }])).toEqual([[{ index: 1, op: n, value: '5', valueTwo: '3' }]]);
    }
  });

  it('ANDs conditions on distinct arguments in one rule', () => {
    const sets = conditionSets([
      { index: 0, value: 16, op: 'SCMP_CMP_EQ' },
      { index: 2, value: 9, op: 'SCMP_CMP_EQ' },
    ]);
    expect(sets).toEqual([[{ index: 0, op: 4, value: '16', valueTwo: '0' }, { index: 2, op: 4, value: '9', valueTwo: '0' }]]);
  });

  it('makes one rule per condition when an argument is compared twice (runc)', () => {
    const sets = conditionSets([
      { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
      { index: 1, value: 1, op: 'SCMP_CMP_NE' },
      { index: 0, value: 131072, op: 'SCMP_CMP_EQ' },
    ]);
    expect(sets).toHaveLength(3);
    expect(sets.map((s) => s.length)).toEqual([1, 1, 1]);
    expect(sets.map((s) => s[0]!.value)).toEqual(['8', '1', '131072']);
  });

  it('has one unconditional rule without args', () => {
    expect(conditionSets(undefined)).toEqual([[]]);
    expect(conditionSets([])).toEqual([[]]);
  });
});

describe('translateSeccomp', () => {
  const base: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] };

  it('makes a rule per syscall name and drops the rules that repeat the default action', () => {
    const t = translateSeccomp({
      ...base,
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }, // EPERM, as the default
        { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 },
      ],
    });
    expect(t.description.rules.map((r) => [r.syscall, r.action])).toEqual([
      ['read', 0x7fff0000],
      ['write', 0x7fff0000],
      ['rmdir', 0x00050002],
    ]);
    expect(t.description.defaultAction).toBe(0x00050001);
    // The stub still counts the dropped names (runc's findLastSyscalls).
    expect(t.description.stubSyscalls).toEqual(['read', 'write', 'mkdir', 'rmdir']);
  });

  it('maps architectures to libseccomp names', () => {
    const t = translateSeccomp({ ...base, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPSEL64N32'] });
    expect(t.description.architectures).toEqual(['x86_64', 'x86', 'x32', 'aarch64', 'mipsel64n32']);
  });

  it('turns flags into SECCOMP_FILTER_FLAG_* bits; TSYNC is accepted and ignored; NOTIFY adds NEW_LISTENER', () => {
    expect(translateSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] }).flags).toBe(
      FILTER_FLAG.LOG | FILTER_FLAG.SPEC_ALLOW,
    );
    const n = translateSeccomp({
      ...base,
      flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    });
    expect(n.notify).toBe(true);
    expect(n.flags).toBe(FILTER_FLAG.NEW_LISTENER | FILTER_FLAG.WAIT_KILLABLE_RECV);
    expect(translateSeccomp(base).flags).toBe(0);
    expect(translateSeccomp(base).notify).toBe(false);
  });

  it('asks for runc\'s -ENOSYS stub only for a denying default without defaultErrnoRet ENOSYS', () => {
    for (const d of ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE']) {
      expect(translateSeccomp({ defaultAction: d }).description.enosysStub).toBe(false);
    }
    for (const d of ['SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP']) {
      expect(translateSeccomp({ defaultAction: d }).description.enosysStub).toBe(true);
    }
    expect(translateSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 }).description.enosysStub).toBe(false);
    expect(translateSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 }).description.enosysStub).toBe(true);
  });

  it('asks for the binary tree past 32 syscall names, as runc', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);
    expect(translateSeccomp({ ...base, syscalls: [{ names: names(32), action: 'SCMP_ACT_ALLOW' }] }).description.optimize).toBe(false);
    expect(translateSeccomp({ ...base, syscalls: [{ names: names(33), action: 'SCMP_ACT_ALLOW' }] }).description.optimize).toBe(true);
  });

  it('translates the engines\' default profiles', () => {
    const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    for (const p of [podmanProfile(caps), mobyProfile(caps), containerdProfile()]) {
      expect(seccompProblems(p).problems).toEqual([]);
      const t = translateSeccomp(p);
      expect(t.description.architectures).toEqual(['x86_64', 'x86', 'x32']);
      expect(t.description.rules.length).toBeGreaterThan(250);
      expect(t.flags).toBe(0);
    }
    const podman = translateSeccomp(podmanProfile(caps));
    expect(podman.description.defaultAction).toBe(0x00050026);
    // personality: five values, one rule each.
    expect(podman.description.rules.filter((r) => r.syscall === 'personality').map((r) => r.conditions[0]!.value)).toEqual(['0', '8', '131072', '131080', '4294967295']);
  });
});

describe('seccompProblems', () => {
  it('accepts a valid profile', () => {
    expect(paths({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [{ index: 5, value: 1, op: 'SCMP_CMP_GT' }] }] })).toEqual([]);
  });

  it('names an unknown action, operator, architecture and flag by their JSON path', () => {
    const m = messages({
      defaultAction: 'SCMP_ACT_EXPLODE',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX'],
      flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_TURBO'],
      syscalls: [
        { names: ['a'], action: 'SCMP_ACT_ALLOW' },
        { names: ['b'], action: 'SCMP_ACT_ALLOW' },
        { names: ['c'], action: 'SCMP_ACT_ALLOW' },
        { names: ['d'], action: 'SCMP_ACT_BOOM', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] },
      ],
    });
    expect(m).toEqual([
      expect.stringMatching(/^linux\.seccomp\.defaultAction: unknown seccomp action "SCMP_ACT_EXPLODE" \(known: SCMP_ACT_KILL, /),
      expect.stringMatching(/^linux\.seccomp\.architectures\[1\]: unknown seccomp architecture "SCMP_ARCH_VAX"/),
      expect.stringMatching(/^linux\.seccomp\.syscalls\[3\]\.action: unknown seccomp action "SCMP_ACT_BOOM"/),
      expect.stringMatching(/^linux\.seccomp\.syscalls\[3\]\.args\[0\]\.op: unknown seccomp operator "SCMP_CMP_ABOUT"/),
      expect.stringMatching(/^linux\.seccomp\.flags\[1\]: unknown seccomp flag "SECCOMP_FILTER_FLAG_TURBO"/),
    ]);
  });

  it('refuses errnoRet with an action that has no errno (the spec: MUST fail)', () => {
    expect(messages({ defaultAction: 'SCMP_ACT_KILL', defaultErrnoRet: 1, syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', errnoRet: 2 }] })).toEqual([
      'linux.seccomp.defaultErrnoRet: is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not with SCMP_ACT_KILL',
      'linux.seccomp.syscalls[0].errnoRet: is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not with SCMP_ACT_ALLOW',
    ]);
    expect(paths({ defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 1 })).toEqual([]);
    expect(paths({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 })).toEqual(['linux.seccomp.defaultErrnoRet']);
  });

  it('refuses NOTIFY without listenerPath, as the default action, and on the syscalls runts-init needs for the fd', () => {
    expect(paths({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] })).toEqual(['linux.seccomp.listenerPath']);
    expect(paths({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/run/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] })).toEqual(['linux.seccomp.defaultAction']);
    expect(messages({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/a.sock', syscalls: [{ names: ['mkdir', 'write', 'sendmsg'], action: 'SCMP_ACT_NOTIFY' }] })).toEqual([
      'linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for "write": runts-init needs it to hand the listener fd to the runtime',
      'linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for "sendmsg": runts-init needs it to hand the listener fd to the runtime',
    ]);
    expect(paths({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: 'relative.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] })).toEqual(['linux.seccomp.listenerPath']);
    expect(paths({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: `/${'x'.repeat(120)}`, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] })).toEqual(['linux.seccomp.listenerPath']);
    expect(seccompProblems({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/a.sock' }).warnings).toEqual(['linux.seccomp.listenerPath is ignored: no rule uses SCMP_ACT_NOTIFY']);
  });

  it('refuses WAIT_KILLABLE_RECV without NOTIFY, and a flag the kernel lacks', () => {
    expect(paths({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] })).toEqual(['linux.seccomp.flags[0]']);
    const host = { supportedFlags: FILTER_FLAG.TSYNC | FILTER_FLAG.LOG };
    expect(messages({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] }, host)).toEqual([
      'linux.seccomp.flags[1]: SECCOMP_FILTER_FLAG_SPEC_ALLOW is not supported by this kernel',
    ]);
  });

  it('refuses an architecture this libseccomp does not know', () => {
    expect(messages({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_LOONGARCH64'] }, { knownArchitectures: new Set(['x86_64']) })).toEqual([
      'linux.seccomp.architectures[0]: SCMP_ARCH_LOONGARCH64 is not supported by this libseccomp',
    ]);
  });

  it('checks argument indexes and values, and empty names', () => {
    expect(paths({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: [], action: 'SCMP_ACT_ERRNO' },
        { names: ['', 'x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] },
      ],
    })).toEqual([
      'linux.seccomp.syscalls[0].names',
      'linux.seccomp.syscalls[1].names[0]',
      'linux.seccomp.syscalls[1].args[0].index',
      'linux.seccomp.syscalls[1].args[1].value',
    ]);
  });

  it('reads a profile of the wrong shape without throwing (the schema reports it)', () => {
    expect(() => seccompProblems({ defaultAction: 3, syscalls: 'x', flags: {}, architectures: [1] })).not.toThrow();
    expect(() => seccompProblems([])).not.toThrow();
    expect(() => seccompProblems({ syscalls: [null, { names: 'x', args: [null] }] })).not.toThrow();
  });

  it('is what semanticProblems reports for linux.seccomp', () => {
    const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig & { linux: { seccomp: unknown } };
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'] };
    const ctx = (host = fakeHost()) => ({ bundle: '/bundle', host, terminalHandled: true, consoleSocket: false });
    expect(semanticProblems(c, ctx()).problems).toEqual([]);
    const noLog = fakeHost({}, { seccompHost: () => ({ supportedFlags: 0 }) });
    expect(semanticProblems(c, ctx(noLog)).problems).toEqual([{ path: 'linux.seccomp.flags[0]', message: 'SECCOMP_FILTER_FLAG_LOG is not supported by this kernel' }]);
  });
});

describe('the plan', () => {
  const layout = detectLayout('40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/\n');
  const program = new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]); // ret ALLOW
  const seen: unknown[] = [];
  const compiler: SeccompCompiler = (d) => {
    seen.push(d);
    return { program, skipped: [] };
  };
  function plan(edit: (c: OciConfig) => void, compile: SeccompCompiler | null = compiler) {
    const c = JSON.parse(JSON.stringify(defaultConfig())) as OciConfig;
    edit(c);
    return buildPlan(c, { id: 'c1', bundle: '/bundle', host: fakeHost(), cgroups: placeContainer(layout, undefined, 'c1'), env: {}, compileSeccomp: compile ?? undefined });
  }

  it('has no seccomp without a profile', () => {
    expect(plan(() => {}).plan.seccomp).toBeNull();
  });

  it('carries the compiled program in base64, the flags, and the load point', () => {
    const r = plan((c) => {
      c.process!.noNewPrivileges = true;
      c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    });
    expect(r.plan.seccomp).toEqual({ program: 'BgAAAAAA/38=', flags: FILTER_FLAG.LOG, notify: false, beforeCredentials: false });
    expect(r.extras.seccompListenerPath).toBeUndefined();
    expect(seen.at(-1)).toMatchObject({ defaultAction: 0x7fff0000, rules: [{ syscall: 'mkdir', action: 0x00050001, conditions: [] }] });
  });

  it('loads before the credential switch without noNewPrivileges (runc: the load needs CAP_SYS_ADMIN)', () => {
    const r = plan((c) => {
      c.process!.noNewPrivileges = false;
      c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
    });
    expect(r.plan.seccomp?.beforeCredentials).toBe(true);
  });

  it('gives the runtime the listener path and metadata for NOTIFY', () => {
    const r = plan((c) => {
      c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', listenerMetadata: 'm', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    });
    expect(r.plan.seccomp).toMatchObject({ notify: true, flags: FILTER_FLAG.NEW_LISTENER });
    expect(r.extras).toMatchObject({ seccompListenerPath: '/run/agent.sock', seccompListenerMetadata: 'm' });
  });

  it('needs a compiler for a profile', () => {
    expect(() => plan((c) => (c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }), null)).toThrow(/needs a compiler/);
  });
});
