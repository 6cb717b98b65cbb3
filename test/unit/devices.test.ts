// The device cgroup without root: rule computation, the v1 write sequence
// (against a temporary directory and a model of the kernel's v1 devices
// controller), and the v2 eBPF program (byte-compared with runc's, and run in
// a small interpreter against the rule semantics for many devices).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceCgroupTarget, inNestedUserNamespace } from '../../src/cgroups/device-cgroup';
import {
  ACC,
  cleanRules,
  deviceConfigProblems,
  emulate,
  isAllowed,
  parseDevicesList,
  planDeviceRules,
  ruleString,
  stateOf,
  WILDCARD,
  type DeviceCgroupState,
  type DeviceRule,
  type SourcedRule,
} from '../../src/cgroups/devices';
import { decodeInsns, deviceProgram, deviceProgramInsns, OP, type Insn } from '../../src/cgroups/devices-bpf';
import { applyDevicesV1, v1Writes, type DeviceFiles } from '../../src/cgroups/devices-v1';
import { applyDevicesV2, type BpfSteps } from '../../src/cgroups/devices-v2';
import { detectLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { semanticProblems } from '../../src/config/semantic';
import type { OciConfig } from '../../src/config/types';
import { fakeHost } from '../helpers/fake-host';

/** devices.list of a runc 1.1.5 container with no device rules in its config (read on this host). */
const RUNC_DEFAULT_LIST = [
  'b *:* m',
  'c *:* m',
  'c 1:3 rwm',
  'c 1:5 rwm',
  'c 1:7 rwm',
  'c 1:8 rwm',
  'c 1:9 rwm',
  'c 5:0 rwm',
  'c 5:2 rwm',
  'c 10:200 rwm',
  'c 136:* rwm',
];

const cfg = (linux: OciConfig['linux'] = {}): OciConfig => ({ ociVersion: '1.2.0', linux }) as OciConfig;
const rules = (linux: OciConfig['linux']) => planDeviceRules(cfg(linux)).map(ruleString);
const DENY_ALL = { allow: false, access: 'rwm' };

describe('device rules from config.json', () => {
  it('deny everything, then runc\'s default allow list', () => {
    expect(rules({})).toEqual(RUNC_DEFAULT_LIST);
    expect(rules({ resources: { devices: [DENY_ALL] } })).toEqual(RUNC_DEFAULT_LIST);
    expect(planDeviceRules(cfg({})).every((r) => r.allow)).toBe(true);
  });

  it('applies the config\'s rules in order, before the defaults (which the config cannot take away, as with runc)', () => {
    const allowLoop = { allow: true, type: 'c', major: 10, minor: 237, access: 'rw' };
    expect(rules({ resources: { devices: [DENY_ALL, allowLoop] } })).toEqual([...RUNC_DEFAULT_LIST.slice(0, 9), 'c 10:200 rwm', 'c 10:237 rw', 'c 136:* rwm']);
    // Allowed then denied again: gone.
    expect(rules({ resources: { devices: [allowLoop, { ...allowLoop, allow: false }] } })).toEqual(RUNC_DEFAULT_LIST);
    // A deny of a default device comes before the default and loses.
    const denyNull = { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' };
    expect(rules({ resources: { devices: [DENY_ALL, denyNull] } })).toEqual(RUNC_DEFAULT_LIST);
    // ...unless linux.devices redefines /dev/null: runc then drops its default rule.
    const nullNode = { path: '/dev/null', type: 'c' as const, major: 1, minor: 3 };
    expect(rules({ devices: [nullNode], resources: { devices: [DENY_ALL, denyNull] } })).not.toContain('c 1:3 rwm');
  });

  it('allows a linux.devices node the config has no rule for (runc refuses every open of it)', () => {
    const fuse = { path: '/dev/fuse', type: 'c' as const, major: 10, minor: 229 };
    expect(rules({ devices: [fuse] })).toContain('c 10:229 rwm');
    // An engine's own rule for the node decides.
    expect(rules({ devices: [fuse], resources: { devices: [{ allow: true, type: 'c', major: 10, minor: 229, access: 'r' }] } })).toContain('c 10:229 r');
    expect(rules({ devices: [fuse], resources: { devices: [{ allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }] } })).not.toContain(
      'c 10:229 rwm',
    );
    // Fifos are not device nodes; "u" is a character device.
    expect(rules({ devices: [{ path: '/dev/p', type: 'p' }] })).toEqual(RUNC_DEFAULT_LIST);
    expect(rules({ devices: [{ path: '/dev/u', type: 'u', major: 4, minor: 64 }] })).toContain('c 4:64 rwm');
    expect(rules({ devices: [{ path: '/dev/sdb', type: 'b', major: 8, minor: 16 }] })).toContain('b 8:16 rwm');
  });

  it('allow-all mode: a privileged config keeps only its denies', () => {
    expect(rules({ resources: { devices: [{ allow: true, access: 'rwm' }] } })).toEqual(['a *:* rwm']);
    const r = planDeviceRules(cfg({ resources: { devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'b', major: 8, access: 'rwm' }] } }));
    expect(r.map((x) => `${x.allow} ${ruleString(x)}`)).toEqual(['true a *:* rwm', 'false b 8:* rwm']);
  });

  it('refuses a deny that cannot be enforced (a hole in a wildcard rule), with its JSON path', () => {
    const linux = {
      resources: {
        devices: [DENY_ALL, { allow: true, type: 'c', major: 4, access: 'rw' }, { allow: false, type: 'c', major: 4, minor: 1, access: 'w' }],
      },
    };
    expect(deviceConfigProblems(cfg(linux))).toEqual([
      { path: 'linux.resources.devices[2]', message: expect.stringMatching(/deny c 4:1 w cannot be enforced: it would punch a hole in the wider rule c 4:\* rw/) },
    ]);
    expect(() => planDeviceRules(cfg(linux))).toThrow(/punch a hole/);
    // A default rule hitting a config deny in allow-all mode names where it comes from.
    const allowAll = { resources: { devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, access: 'rwm' }] } };
    expect(deviceConfigProblems(cfg(allowAll))[0]).toEqual({
      path: 'linux.resources.devices',
      message: expect.stringMatching(/allow c 1:3 rwm cannot be enforced.*when the default rule allow c 1:3 rwm is applied after the config's rules/),
    });
  });

  it('reports bad rules among the other semantic problems', () => {
    const c = {
      ociVersion: '1.2.0',
      process: { args: ['sh'], cwd: '/' },
      root: { path: 'rootfs' },
      linux: {
        namespaces: [{ type: 'mount' }],
        resources: { devices: [{ allow: true, type: 'c', access: '' }, { allow: true, type: 'c', major: -5, minor: 4294967296, access: 'r' }] },
      },
    };
    const problems = semanticProblems(c, { bundle: '/bundle', host: fakeHost(), terminalHandled: false, consoleSocket: false }).problems;
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'linux.resources.devices[0].access: is required: a combination of r (read), w (write) and m (mknod)',
      'linux.resources.devices[1].major: must be a device number from 0 to 4294967295, or omitted (or -1) for any (got -5)',
      'linux.resources.devices[1].minor: must be a device number from 0 to 4294967295, or omitted (or -1) for any (got 4294967296)',
    ]);
    // Leaves shapes to the schema: no crash, nothing reported twice.
    expect(deviceConfigProblems({ linux: { resources: { devices: [null, { allow: 'x', access: 'q' }] } } })).toEqual([]);
    expect(deviceConfigProblems({ linux: { resources: { devices: 'x' } } })).toEqual([]);
  });
});

describe('the driver choice', () => {
  const HYBRID = detectLayout(
    '31 30 0:28 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n32 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n36 30 0:33 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n',
    '0::/\n',
  );
  const V2 = detectLayout('36 30 0:33 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/\n');
  it('v1 devices hierarchy when there is one (hybrid too), else the unified hierarchy', () => {
    expect(deviceCgroupTarget(placeContainer(HYBRID, '/a/b', 'x'))).toEqual({ kind: 'v1', dir: '/sys/fs/cgroup/devices/a/b' });
    expect(deviceCgroupTarget(placeContainer(V2, '/a/b', 'x'))).toEqual({ kind: 'v2', dir: '/sys/fs/cgroup/a/b' });
    expect(() => deviceCgroupTarget(placeContainer({ mode: 'none', hierarchies: [] }, undefined, 'x'))).toThrow(/no devices cgroup/);
  });
  it('knows when runts itself is in a nested user namespace', () => {
    expect(inNestedUserNamespace('         0          0 4294967295\n')).toBe(false);
    expect(inNestedUserNamespace('         0     100000      65536\n')).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// v1: a model of the kernel's devices controller (security/device_cgroup.c)
// over plain files: devices.allow/deny update devices.list, exceptions keep
// their insertion order, as the kernel's list does.

function kernelV1(dir: string): DeviceFiles & { writes: string[] } {
  const writes: string[] = [];
  const listFile = path.join(dir, 'devices.list');
  type Ex = { type: string; major: string; minor: string; access: Set<string> };
  const load = (): { allowAll: boolean; list: Ex[] } => {
    const text = readFileSync(listFile, 'utf8').trim();
    if (text === 'a *:* rwm') return { allowAll: true, list: [] };
    return {
      allowAll: false,
      list: text
        ? text.split('\n').map((l) => {
            const [type, mm, acc] = l.split(' ');
            const [major, minor] = mm!.split(':');
            return { type: type!, major: major!, minor: minor!, access: new Set(acc) };
          })
        : [],
    };
  };
  const save = (s: { allowAll: boolean; list: Ex[] }) =>
    writeFileSync(
      listFile,
      s.allowAll ? 'a *:* rwm\n' : s.list.map((e) => `${e.type} ${e.major}:${e.minor} ${['r', 'w', 'm'].filter((c) => e.access.has(c)).join('')}\n`).join(''),
    );
  return {
    writes,
    read: (file) => readFileSync(file, 'utf8'),
    write(file, line) {
      const which = path.basename(file);
      writes.push(`${which} ${line}`);
      const s = load();
      const [type, mm, acc] = line.split(' ');
      if (type === 'a') {
        save({ allowAll: which === 'devices.allow', list: [] });
        return;
      }
      const [major, minor] = mm!.split(':');
      const same = (e: Ex) => e.type === type && e.major === major && e.minor === minor;
      const adding = (which === 'devices.allow') !== s.allowAll;
      const found = s.list.find(same);
      if (adding) {
        if (found) for (const c of acc!) found.access.add(c);
        else s.list.push({ type: type!, major: major!, minor: minor!, access: new Set(acc) });
      } else if (found) {
        for (const c of acc!) found.access.delete(c);
        if (found.access.size === 0) s.list.splice(s.list.indexOf(found), 1);
      }
      save(s);
    },
  };
}

describe('cgroup v1 writes', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const freshCgroup = () => {
    dir = mkdtempSync(path.join(tmpdir(), 'runts-devices-'));
    writeFileSync(path.join(dir, 'devices.list'), 'a *:* rwm\n');
    return dir;
  };

  it('a new cgroup: "a" to devices.deny, then each allowed device to devices.allow, ending as runc\'s list', () => {
    const d = freshCgroup();
    const k = kernelV1(d);
    applyDevicesV1(d, planDeviceRules(cfg({})), k);
    expect(k.writes).toEqual(['devices.deny a *:* rwm', ...RUNC_DEFAULT_LIST.map((l) => `devices.allow ${l}`)]);
    expect(readFileSync(path.join(d, 'devices.list'), 'utf8')).toBe(RUNC_DEFAULT_LIST.map((l) => `${l}\n`).join(''));
  });

  it('an existing allow list: only the transition', () => {
    const current = 'c 1:3 rwm\nc 1:5 rw\nc 10:237 rwm\n';
    const target = stateOf([
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: WILDCARD, access: 'r' },
    ]);
    expect(v1Writes(current, cleanRules(target))).toEqual([
      { file: 'devices.deny', line: 'c 10:237 rwm' },
      { file: 'devices.allow', line: 'c 1:5 m' },
      { file: 'devices.allow', line: 'b 8:* r' },
    ]);
  });

  it('names the write the kernel refused, and notices a list that did not change', () => {
    const d = freshCgroup();
    const refusing: DeviceFiles = {
      read: (f) => readFileSync(f, 'utf8'),
      write: (f, line) => {
        if (line.startsWith('c 5:2')) throw Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' });
      },
    };
    expect(() => applyDevicesV1(d, planDeviceRules(cfg({})), refusing)).toThrow(`write "c 5:2 rwm" to ${d}/devices.allow: EPERM: operation not permitted`);
    const ignoring: DeviceFiles = { read: (f) => readFileSync(f, 'utf8'), write: () => {} };
    expect(() => applyDevicesV1(d, planDeviceRules(cfg({})), ignoring)).toThrow(/did not take the rules: devices.list is now "a \*:\* rwm"/);
  });

  it('property: the kernel model ends in the emulated state, from a fresh or an existing cgroup', () => {
    fc.assert(
      fc.property(ruleSequence(), ruleSequence(), (first, second) => {
        const a = emulate(first);
        const b = emulate(second);
        fc.pre(a.problems.length === 0 && b.problems.length === 0);
        const d = freshCgroup();
        const k = kernelV1(d);
        applyDevicesV1(d, cleanRules(a.state), k);
        applyDevicesV1(d, cleanRules(b.state), k);
        const after = parseDevicesList(readFileSync(path.join(d, 'devices.list'), 'utf8'));
        rmSync(d, { recursive: true, force: true });
        dir = undefined;
        return b.state.defaultAllow ? after.defaultAllow : JSON.stringify([...after.exceptions].sort()) === JSON.stringify([...b.state.exceptions].sort());
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------
// v2: the program, against runc's devicefilter_test.go listings.

/** runc's listing: mnemonic, dst, src, off, imm; "<block-N>" targets are resolved by label. */
function runcListing(text: string): string[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('//'));
  const labels = new Map<string, number>();
  const insns: string[] = [];
  for (const l of lines) {
    if (/^block-\d+:$/.test(l)) labels.set(l.slice(0, -1), insns.length);
    else insns.push(l.replace(/^\d+: /, ''));
  }
  return insns.map((l) => l.replace(/ off: -1 (.*) <(block-\d+)>$/, (_, rest: string, label: string) => ` ${rest} -> ${labels.get(label)}`));
}

/** Our bytes in runc's (cilium/ebpf) notation, jumps as absolute targets. */
function disassemble(insns: readonly Insn[]): string[] {
  const r = (n: number) => `r${n}`;
  return insns.map((x, pc) => {
    switch (x.code) {
      case OP.LDX_MEM_W:
        return `LdXMemW dst: ${r(x.dst)} src: ${r(x.src)} off: ${x.off} imm: ${x.imm}`;
      case OP.AND32_IMM:
        return `AndImm32 dst: ${r(x.dst)} imm: ${x.imm}`;
      case OP.RSH32_IMM:
        return `RShImm32 dst: ${r(x.dst)} imm: ${x.imm}`;
      case OP.MOV32_IMM:
        return `MovImm32 dst: ${r(x.dst)} imm: ${x.imm}`;
      case OP.MOV32_REG:
        return `MovReg32 dst: ${r(x.dst)} src: ${r(x.src)}`;
      case OP.JNE_IMM:
        return `JNEImm dst: ${r(x.dst)} imm: ${x.imm} -> ${pc + 1 + x.off}`;
      case OP.JNE_REG:
        return `JNEReg dst: ${r(x.dst)} src: ${r(x.src)} -> ${pc + 1 + x.off}`;
      case OP.EXIT:
        return 'Exit';
      default:
        return `? ${x.code.toString(16)}`;
    }
  });
}

const PROLOGUE = `
  0: LdXMemW dst: r2 src: r1 off: 0 imm: 0
  1: AndImm32 dst: r2 imm: 65535
  2: LdXMemW dst: r3 src: r1 off: 0 imm: 0
  3: RShImm32 dst: r3 imm: 16
  4: LdXMemW dst: r4 src: r1 off: 4 imm: 0
  5: LdXMemW dst: r5 src: r1 off: 8 imm: 0`;

const programFor = (input: DeviceRule[]) => {
  const e = emulate(input.map((rule) => ({ rule, origin: 'test' })));
  expect(e.problems).toEqual([]);
  return decodeInsns(deviceProgram(cleanRules(e.state)));
};
const R = (allow: boolean, type: DeviceRule['type'], major: number, minor: number, access: string): DeviceRule => ({ allow, type, major, minor, access });

describe('the eBPF device program, byte for byte runc\'s', () => {
  it('no rules: reject everything (TestDeviceFilter_Nil)', () => {
    expect(disassemble(programFor([]))).toEqual(runcListing(`${PROLOGUE}\nblock-0:\n6: MovImm32 dst: r0 imm: 0\n7: Exit`));
  });

  it('the built-in allow list (TestDeviceFilter_BuiltInAllowList)', () => {
    const defaults = planDeviceRules(cfg({}));
    const expected = runcListing(`${PROLOGUE}
block-0:
        6: JNEImm dst: r2 off: -1 imm: 1 <block-1>
        7: MovReg32 dst: r1 src: r3
        8: AndImm32 dst: r1 imm: 1
        9: JNEReg dst: r1 off: -1 src: r3 <block-1>
        10: MovImm32 dst: r0 imm: 1
        11: Exit
block-1:
        12: JNEImm dst: r2 off: -1 imm: 2 <block-2>
        13: MovReg32 dst: r1 src: r3
        14: AndImm32 dst: r1 imm: 1
        15: JNEReg dst: r1 off: -1 src: r3 <block-2>
        16: MovImm32 dst: r0 imm: 1
        17: Exit
block-2:
        18: JNEImm dst: r2 off: -1 imm: 2 <block-3>
        19: JNEImm dst: r4 off: -1 imm: 1 <block-3>
        20: JNEImm dst: r5 off: -1 imm: 3 <block-3>
        21: MovImm32 dst: r0 imm: 1
        22: Exit
block-3:
        23: JNEImm dst: r2 off: -1 imm: 2 <block-4>
        24: JNEImm dst: r4 off: -1 imm: 1 <block-4>
        25: JNEImm dst: r5 off: -1 imm: 5 <block-4>
        26: MovImm32 dst: r0 imm: 1
        27: Exit
block-4:
        28: JNEImm dst: r2 off: -1 imm: 2 <block-5>
        29: JNEImm dst: r4 off: -1 imm: 1 <block-5>
        30: JNEImm dst: r5 off: -1 imm: 7 <block-5>
        31: MovImm32 dst: r0 imm: 1
        32: Exit
block-5:
        33: JNEImm dst: r2 off: -1 imm: 2 <block-6>
        34: JNEImm dst: r4 off: -1 imm: 1 <block-6>
        35: JNEImm dst: r5 off: -1 imm: 8 <block-6>
        36: MovImm32 dst: r0 imm: 1
        37: Exit
block-6:
        38: JNEImm dst: r2 off: -1 imm: 2 <block-7>
        39: JNEImm dst: r4 off: -1 imm: 1 <block-7>
        40: JNEImm dst: r5 off: -1 imm: 9 <block-7>
        41: MovImm32 dst: r0 imm: 1
        42: Exit
block-7:
        43: JNEImm dst: r2 off: -1 imm: 2 <block-8>
        44: JNEImm dst: r4 off: -1 imm: 5 <block-8>
        45: JNEImm dst: r5 off: -1 imm: 0 <block-8>
        46: MovImm32 dst: r0 imm: 1
        47: Exit
block-8:
        48: JNEImm dst: r2 off: -1 imm: 2 <block-9>
        49: JNEImm dst: r4 off: -1 imm: 5 <block-9>
        50: JNEImm dst: r5 off: -1 imm: 2 <block-9>
        51: MovImm32 dst: r0 imm: 1
        52: Exit
block-9:
        53: JNEImm dst: r2 off: -1 imm: 2 <block-10>
        54: JNEImm dst: r4 off: -1 imm: 10 <block-10>
        55: JNEImm dst: r5 off: -1 imm: 200 <block-10>
        56: MovImm32 dst: r0 imm: 1
        57: Exit
block-10:
        58: JNEImm dst: r2 off: -1 imm: 2 <block-11>
        59: JNEImm dst: r4 off: -1 imm: 136 <block-11>
        60: MovImm32 dst: r0 imm: 1
        61: Exit
block-11:
        62: MovImm32 dst: r0 imm: 0
        63: Exit`);
    expect(disassemble(decodeInsns(deviceProgram(defaults)))).toEqual(expected);
  });

  it('privileged, and privileged except one device (TestDeviceFilter_Privileged, _PrivilegedExceptSingleDevice, _Weird)', () => {
    expect(disassemble(programFor([R(true, 'a', -1, -1, 'rwm')]))).toEqual(runcListing(`${PROLOGUE}\nblock-0:\n6: MovImm32 dst: r0 imm: 1\n7: Exit`));
    const exceptOne = runcListing(`${PROLOGUE}
block-0:
         6: JNEImm dst: r2 off: -1 imm: 1 <block-1>
         7: JNEImm dst: r4 off: -1 imm: 8 <block-1>
         8: JNEImm dst: r5 off: -1 imm: 0 <block-1>
         9: MovImm32 dst: r0 imm: 0
        10: Exit
block-1:
        11: MovImm32 dst: r0 imm: 1
        12: Exit`);
    expect(disassemble(programFor([R(true, 'a', -1, -1, 'rwm'), R(false, 'b', 8, 0, 'rwm')]))).toEqual(exceptOne);
    // 8:1 denied before the allow-all is forgotten; 8:2 after it stays.
    const weird = programFor([R(false, 'b', 8, 1, 'rwm'), R(true, 'a', -1, -1, 'rwm'), R(false, 'b', 8, 2, 'rwm')]);
    expect(disassemble(weird)).toEqual(exceptOne.map((l) => l.replace('imm: 0 -> 11', 'imm: 2 -> 11')));
  });

  it('the bytes themselves: little-endian struct bpf_insn', () => {
    const bytes = deviceProgram([R(true, 'c', 1, 3, 'rwm')]);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('hex')).toBe('6112000000000000'); // ldxw r2, [r1+0]
    expect(Buffer.from(bytes.subarray(48, 56)).toString('hex')).toBe('5502040002000000'); // jne r2, 2, +4
    expect(Buffer.from(bytes.subarray(bytes.length - 8)).toString('hex')).toBe('9500000000000000'); // exit
  });
});

// ---------------------------------------------------------------------------
// An interpreter for the instructions the emitter may produce, with the
// checks the verifier would make (context bounds, forward jumps in range,
// registers written before read), and 64-bit/32-bit semantics as the kernel's.

const MASK64 = (1n << 64n) - 1n;
const u64 = (v: bigint) => v & MASK64;
const sext32 = (imm: number) => u64(BigInt(imm)); // imm is an s32

function run(insns: readonly Insn[], ctx: { type: number; access: number; major: number; minor: number }): number {
  const mem = new DataView(new ArrayBuffer(12));
  mem.setUint32(0, (ctx.access << 16) | ctx.type, true);
  mem.setUint32(4, ctx.major >>> 0, true);
  mem.setUint32(8, ctx.minor >>> 0, true);
  const regs: (bigint | undefined)[] = new Array(11).fill(undefined);
  regs[1] = 0n; // the context pointer (only used as a base)
  const get = (n: number) => {
    const v = regs[n];
    if (v === undefined) throw new Error(`r${n} read before written`);
    return v;
  };
  let pc = 0;
  for (let steps = 0; steps < 4096; steps++) {
    const x = insns[pc];
    if (!x) throw new Error(`fell off the program at ${pc}`);
    const cls = x.code & 0x07;
    const op = x.code & 0xf0;
    const useReg = (x.code & 0x08) !== 0;
    if (cls === 0x01) {
      if (x.code !== 0x61 || x.src !== 1 || x.off < 0 || x.off > 8 || x.off % 4) throw new Error(`bad load at ${pc}`);
      regs[x.dst] = BigInt(mem.getUint32(x.off, true));
    } else if (cls === 0x04) {
      const a = op === 0xb0 ? 0n : get(x.dst) & 0xffffffffn;
      const b = useReg ? get(x.src) & 0xffffffffn : BigInt(x.imm >>> 0);
      const res = op === 0xb0 ? b : op === 0x50 ? a & b : op === 0x70 ? a >> (b & 31n) : undefined;
      if (res === undefined) throw new Error(`unexpected ALU op ${x.code.toString(16)}`);
      regs[x.dst] = res & 0xffffffffn;
    } else if (cls === 0x05 || cls === 0x06) {
      if (x.code === 0x95) return Number(get(0) & 0xffffffffn);
      const wide = cls === 0x05;
      let a = get(x.dst);
      let b = useReg ? get(x.src) : sext32(x.imm);
      if (!wide) {
        a &= 0xffffffffn;
        b &= 0xffffffffn;
      }
      const taken = op === 0x10 ? a === b : op === 0x50 ? a !== b : op === 0x40 ? (a & b) !== 0n : undefined;
      if (taken === undefined) throw new Error(`unexpected jump ${x.code.toString(16)}`);
      if (x.off < 0 || pc + 1 + x.off >= insns.length) throw new Error(`jump out of range or backwards at ${pc}`);
      if (taken) pc += x.off;
    } else throw new Error(`unexpected instruction class ${cls}`);
    pc++;
  }
  throw new Error('no exit');
}

const deviceNumber = () => fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(136, 0x7fffffff, 0x80000000, 0xffffffff));
const access = () => fc.subarray(['r', 'w', 'm'], { minLength: 1 }).map((a) => a.join(''));

function ruleSequence(): fc.Arbitrary<SourcedRule[]> {
  const rule = fc.record({
    allow: fc.boolean(),
    type: fc.constantFrom<DeviceRule['type']>('a', 'b', 'c', 'c', 'b'),
    major: fc.oneof(fc.constant(WILDCARD), deviceNumber()),
    minor: fc.oneof(fc.constant(WILDCARD), deviceNumber()),
    access: access(),
  });
  return fc.array(rule, { maxLength: 10 }).map((rs) => rs.map((r, i) => ({ rule: r, origin: `linux.resources.devices[${i}]` })));
}

const request = () =>
  fc.record({
    type: fc.constantFrom<'b' | 'c'>('b', 'c'),
    major: deviceNumber(),
    minor: deviceNumber(),
    access: fc.integer({ min: 1, max: 7 }),
  });

describe('the eBPF program in an interpreter', () => {
  const verdict = (s: DeviceCgroupState, q: { type: 'b' | 'c'; major: number; minor: number; access: number }) =>
    run(deviceProgramInsns(cleanRules(s)), { type: q.type === 'b' ? 1 : 2, access: q.access, major: q.major, minor: q.minor });

  it('runc\'s defaults: what a container may open', () => {
    const s = stateOf(planDeviceRules(cfg({})));
    const can = (type: 'b' | 'c', major: number, minor: number, acc: number) => verdict(s, { type, major, minor, access: acc }) === 1;
    expect(can('c', 1, 3, ACC.r | ACC.w)).toBe(true); // /dev/null
    expect(can('c', 136, 7, ACC.r | ACC.w)).toBe(true); // a pts
    expect(can('c', 7, 0, ACC.r)).toBe(false); // /dev/vcs
    expect(can('c', 10, 237, ACC.r | ACC.w)).toBe(false); // /dev/loop-control
    expect(can('b', 254, 0, ACC.r)).toBe(false); // a host disk
    expect(can('b', 254, 0, ACC.m)).toBe(true); // mknod is allowed, opening is not
    expect(can('c', 1, 1, ACC.m | ACC.r)).toBe(false);
  });

  it('property: the program decides as the rules do, for any rules and any device', () => {
    fc.assert(
      fc.property(ruleSequence(), fc.array(request(), { minLength: 1, maxLength: 20 }), (seq, requests) => {
        const e = emulate(seq);
        fc.pre(e.problems.length === 0);
        return requests.every((q) => (verdict(e.state, q) === 1) === isAllowed(e.state, q.type, q.major, q.minor, q.access));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a deny in allow-all mode catches any requested bit (an O_RDWR open against "deny w")', () => {
    const s = stateOf([R(true, 'a', -1, -1, 'rwm'), R(false, 'c', 4, 1, 'w')]);
    expect(verdict(s, { type: 'c', major: 4, minor: 1, access: ACC.r | ACC.w })).toBe(0);
    expect(verdict(s, { type: 'c', major: 4, minor: 1, access: ACC.r })).toBe(1);
  });
});

describe('the v2 steps', () => {
  it('notes the old programs, loads, attaches, closes, then detaches the old ones', () => {
    const calls: string[] = [];
    const bpf: BpfSteps = {
      bpfQueryDevicePrograms: (d) => (calls.push(`query ${d}`), [7, 9]),
      bpfLoadDeviceProgram: (insns, license) => (calls.push(`load ${insns.length / 8} ${license}`), 42),
      bpfAttachDeviceProgram: (d, fd) => void calls.push(`attach ${d} ${fd}`),
      bpfDetachDeviceProgram: (d, id) => void calls.push(`detach ${d} ${id}`),
      closeFd: (fd) => void calls.push(`close ${fd}`),
    };
    expect(applyDevicesV2('/cg', planDeviceRules(cfg({})), bpf)).toEqual({ insns: 64, detached: [7, 9] });
    expect(calls).toEqual(['query /cg', 'load 64 Apache', 'attach /cg 42', 'close 42', 'detach /cg 7', 'detach /cg 9']);
  });

  it('closes the program and names the step when the attach fails', () => {
    const calls: string[] = [];
    const failure = Object.assign(new Error('bpf BPF_PROG_ATTACH /cg: Operation not permitted'), { native: true, step: 'bpf BPF_PROG_ATTACH', errno: 1, code: 'EPERM', exitCode: 1, path: '/cg' });
    const bpf: BpfSteps = {
      bpfQueryDevicePrograms: () => [],
      bpfLoadDeviceProgram: () => 5,
      bpfAttachDeviceProgram: () => {
        throw failure;
      },
      bpfDetachDeviceProgram: () => void calls.push('detach'),
      closeFd: (fd) => void calls.push(`close ${fd}`),
    };
    expect(() => applyDevicesV2('/cg', [], bpf)).toThrow('device cgroup of /cg: bpf BPF_PROG_ATTACH /cg: Operation not permitted');
    expect(calls).toEqual(['close 5']);
  });
});
