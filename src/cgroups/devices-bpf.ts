// cgroup v2 has no devices.allow: the kernel runs a BPF_PROG_TYPE_CGROUP_DEVICE
// program attached to the cgroup on every open and mknod of a device node.
// This emits that program from a clean rule list (devices.ts cleanRules), as
// runc's devicefilter.go and crun's ebpf.c do, without LLVM: a fixed
// prologue, one block per rule, a default verdict. Pure: rules -> bytes.
//
//   r2 = ctx->access_type & 0xffff      device type (1 block, 2 char)
//   r3 = ctx->access_type >> 16         requested access (1 mknod, 2 read, 4 write)
//   r4 = ctx->major, r5 = ctx->minor
//   per rule: if (type, access, major, minor do not match) goto next; return verdict
//   return default verdict
//
// The instructions are byte-identical to runc's for the same rules, with one
// exception on purpose: a *deny* rule with partial access (allow-all mode)
// matches when the request touches any of its bits, as the v1 controller
// does, where runc's program needs every requested bit to be in the rule
// (so an O_RDWR open slipped past a "deny w").

import { ACC_ALL, accessBits, WILDCARD, type DeviceRule } from './devices';

/** The license runc and crun load their device programs with. */
export const DEVICE_PROGRAM_LICENSE = 'Apache';

/** Opcodes used (include/uapi/linux/bpf_common.h, bpf.h). */
export const OP = {
  LDX_MEM_W: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  AND32_IMM: 0x54, // BPF_ALU | BPF_AND | BPF_K
  RSH32_IMM: 0x74, // BPF_ALU | BPF_RSH | BPF_K
  MOV32_IMM: 0xb4, // BPF_ALU | BPF_MOV | BPF_K
  MOV32_REG: 0xbc, // BPF_ALU | BPF_MOV | BPF_X
  JNE_IMM: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  JNE_REG: 0x5d, // BPF_JMP | BPF_JNE | BPF_X
  JEQ_IMM: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JNE32_IMM: 0x56, // BPF_JMP32 | BPF_JNE | BPF_K
  EXIT: 0x95, // BPF_JMP | BPF_EXIT
} as const;

export const DEV_TYPE = { b: 1, c: 2 } as const;

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

/** A jump to the next block, patched once the block's length is known. */
const NEXT = 0x7fff;

function compareImm(reg: number, value: number): Insn {
  // JMP compares 64-bit registers with the immediate sign-extended: a
  // number of 2^31 or more never matches that way, so compare 32 bits.
  return value > 0x7fffffff ? insn(OP.JNE32_IMM, reg, 0, NEXT, value | 0) : insn(OP.JNE_IMM, reg, 0, NEXT, value);
}

function ruleBlock(r: DeviceRule): Insn[] {
  if (r.type === 'a') throw new Error('internal error: an "a" rule inside a device program');
  const block: Insn[] = [insn(OP.JNE_IMM, 2, 0, NEXT, DEV_TYPE[r.type])];
  const bits = accessBits(r.access);
  if (bits !== ACC_ALL) {
    block.push(insn(OP.MOV32_REG, 1, 3, 0, 0), insn(OP.AND32_IMM, 1, 0, 0, bits));
    // allow: every requested bit is in the rule; deny: any of them is.
    block.push(r.allow ? insn(OP.JNE_REG, 1, 3, NEXT, 0) : insn(OP.JEQ_IMM, 1, 0, NEXT, 0));
  }
  if (r.major !== WILDCARD) block.push(compareImm(4, r.major));
  if (r.minor !== WILDCARD) block.push(compareImm(5, r.minor));
  block.push(insn(OP.MOV32_IMM, 0, 0, 0, r.allow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0));
  return block.map((x, i) => (x.off === NEXT ? { ...x, off: block.length - i - 1 } : x));
}

/** The program as instructions (the tests decode and run these). */
export function deviceProgramInsns(rules: readonly DeviceRule[]): Insn[] {
  let defaultAllow = false;
  const out: Insn[] = [
    insn(OP.LDX_MEM_W, 2, 1, 0, 0),
    insn(OP.AND32_IMM, 2, 0, 0, 0xffff),
    insn(OP.LDX_MEM_W, 3, 1, 0, 0),
    insn(OP.RSH32_IMM, 3, 0, 0, 16),
    insn(OP.LDX_MEM_W, 4, 1, 4, 0),
    insn(OP.LDX_MEM_W, 5, 1, 8, 0),
  ];
  rules.forEach((r, i) => {
    if (r.type === 'a') {
      // Only a clean list's leading allow-all is expected here.
      if (i !== 0 || !r.allow) throw new Error(`internal error: rule ${i} "a" in a clean device rule list`);
      defaultAllow = true;
      return;
    }
    if (r.allow === defaultAllow) throw new Error(`internal error: rule ${i} repeats the default verdict`);
    out.push(...ruleBlock(r));
  });
  out.push(insn(OP.MOV32_IMM, 0, 0, 0, defaultAllow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0));
  return out;
}

/** struct bpf_insn, little-endian: code, dst:4|src:4, off (s16), imm (s32). */
export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  const buf = new Uint8Array(insns.length * 8);
  const view = new DataView(buf.buffer);
  insns.forEach((x, i) => {
    view.setUint8(i * 8, x.code);
    view.setUint8(i * 8 + 1, (x.src << 4) | x.dst);
    view.setInt16(i * 8 + 2, x.off, true);
    view.setInt32(i * 8 + 4, x.imm, true);
  });
  return buf;
}

export function decodeInsns(bytes: Uint8Array): Insn[] {
  if (bytes.length % 8 !== 0) throw new Error('a BPF program is a whole number of 8-byte instructions');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    const regs = view.getUint8(i + 1);
    out.push({ code: view.getUint8(i), dst: regs & 0xf, src: regs >> 4, off: view.getInt16(i + 2, true), imm: view.getInt32(i + 4, true) });
  }
  return out;
}

/** rules (devices.ts cleanRules) -> the program bytes bpf(BPF_PROG_LOAD) takes. */
export function deviceProgram(rules: readonly DeviceRule[]): Uint8Array {
  return encodeInsns(deviceProgramInsns(rules));
}
