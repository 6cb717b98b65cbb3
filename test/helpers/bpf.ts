// A classic-BPF interpreter for seccomp programs, so that unit tests can
// ask what a compiled profile returns for a syscall without loading it.
// It knows the instructions libseccomp and runc's stub emit and throws on
// any other, so that a program it cannot read fails the test.

export interface SeccompData {
  nr: number;
  arch: number;
  args?: bigint[];
}

export const AUDIT_ARCH = { X86_64: 0xc000003e, I386: 0x40000003, AARCH64: 0xc00000b7 } as const;

function load(d: SeccompData, offset: number): number {
  if (offset === 0) return d.nr >>> 0;
  if (offset === 4) return d.arch >>> 0;
  if (offset >= 16 && offset < 64 && offset % 4 === 0) {
    const arg = d.args?.[Math.floor((offset - 16) / 8)] ?? 0n;
    const word = (offset - 16) % 8 === 0 ? arg & 0xffffffffn : arg >> 32n;
    return Number(word & 0xffffffffn);
  }
  if (offset === 8 || offset === 12) return 0;
  throw new Error(`bpf: load from offset ${offset}`);
}

/** Runs the program (struct sock_filter[], little-endian) and returns its SECCOMP_RET_* value. */
export function runFilter(program: Uint8Array, d: SeccompData): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const count = program.byteLength / 8;
  let a = 0;
  let x = 0;
  const mem = new Array<number>(16).fill(0);
  for (let pc = 0, steps = 0; pc < count; pc++) {
    if (++steps > 100_000) throw new Error('bpf: too many steps');
    const code = view.getUint16(pc * 8, true);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, true);
    const cls = code & 0x07;
    const src = code & 0x08 ? x : k;
    switch (cls) {
      case 0x00: // LD
        if (code === 0x20) a = load(d, k); // LD W ABS
        else if (code === 0x00) a = k; // LD IMM
        else if (code === 0x60) a = mem[k]!; // LD MEM
        else throw new Error(`bpf: LD opcode ${code.toString(16)}`);
        break;
      case 0x01: // LDX
        if (code === 0x01) x = k;
        else if (code === 0x61) x = mem[k]!;
        else throw new Error(`bpf: LDX opcode ${code.toString(16)}`);
        break;
      case 0x02: mem[k] = a; break; // ST
      case 0x03: mem[k] = x; break; // STX
      case 0x04: { // ALU
        const op = code & 0xf0;
        if (op === 0x50) a = (a & src) >>> 0;
        else if (op === 0x40) a = (a | src) >>> 0;
        else if (op === 0x00) a = (a + src) >>> 0;
        else if (op === 0x10) a = (a - src) >>> 0;
        else throw new Error(`bpf: ALU opcode ${code.toString(16)}`);
        break;
      }
      case 0x05: { // JMP
        const op = code & 0xf0;
        if (op === 0x00) { pc += k; break; }
        let taken: boolean;
        if (op === 0x10) taken = a === src;
        else if (op === 0x20) taken = a > src;
        else if (op === 0x30) taken = a >= src;
        else if (op === 0x40) taken = (a & src) !== 0;
        else throw new Error(`bpf: JMP opcode ${code.toString(16)}`);
        pc += taken ? jt : jf;
        break;
      }
      case 0x06: return code & 0x10 ? a : k; // RET
      case 0x07: if (code === 0x07) x = a; else a = x; break; // MISC TAX/TXA
    }
  }
  throw new Error('bpf: fell off the end of the program');
}
