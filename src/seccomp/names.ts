// The names a linux.seccomp profile may use and the numbers they stand for.
// The numbers are the kernel's (SECCOMP_RET_*, SECCOMP_FILTER_FLAG_*) and
// libseccomp's (SCMP_CMP_*), so that the plan needs no header to be read.

/** SECCOMP_RET_* values, as libseccomp's SCMP_ACT_* macros encode them. */
export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export type SeccompActionName =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

/** Base return value of each action; ERRNO and TRACE carry a 16-bit data part. */
export const ACTIONS: Readonly<Record<SeccompActionName, number>> = {
  // runc (and libseccomp) treat SCMP_ACT_KILL as killing the thread.
  SCMP_ACT_KILL: RET.KILL_THREAD,
  SCMP_ACT_KILL_THREAD: RET.KILL_THREAD,
  SCMP_ACT_KILL_PROCESS: RET.KILL_PROCESS,
  SCMP_ACT_TRAP: RET.TRAP,
  SCMP_ACT_ERRNO: RET.ERRNO,
  SCMP_ACT_TRACE: RET.TRACE,
  SCMP_ACT_ALLOW: RET.ALLOW,
  SCMP_ACT_LOG: RET.LOG,
  SCMP_ACT_NOTIFY: RET.USER_NOTIF,
};

/** Actions whose return value carries errnoRet. */
export const ACTIONS_WITH_ERRNO: ReadonlySet<SeccompActionName> = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);

export const EPERM = 1;
export const ENOSYS = 38;

/** libseccomp's enum scmp_compare. */
export const OPERATORS: Readonly<Record<string, number>> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/**
 * The runtime-spec's architectures and libseccomp's names for them
 * (seccomp_arch_resolve_name). Whether this libseccomp knows one is asked of
 * the addon: LOONGARCH64 needs libseccomp 2.6.
 */
export const ARCHITECTURES: Readonly<Record<string, string>> = {
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_MIPS: 'mips',
  SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPS64N32: 'mips64n32',
  SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64',
  SCMP_ARCH_MIPSEL64N32: 'mipsel64n32',
  SCMP_ARCH_PPC: 'ppc',
  SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64',
  SCMP_ARCH_RISCV64: 'riscv64',
  SCMP_ARCH_LOONGARCH64: 'loongarch64',
};

/** SECCOMP_FILTER_FLAG_* bits. */
export const FILTER_FLAG = {
  TSYNC: 1,
  LOG: 2,
  SPEC_ALLOW: 4,
  NEW_LISTENER: 8,
  TSYNC_ESRCH: 16,
  WAIT_KILLABLE_RECV: 32,
} as const;

/** The flags a profile may name (runtime-spec), and their bits. */
export const FLAGS: Readonly<Record<string, number>> = {
  // Accepted and ignored, as runc does: runts-init is single-threaded.
  SECCOMP_FILTER_FLAG_TSYNC: 0,
  SECCOMP_FILTER_FLAG_LOG: FILTER_FLAG.LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: FILTER_FLAG.SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: FILTER_FLAG.WAIT_KILLABLE_RECV,
};

/** The bit a flag name is probed with in the kernel (TSYNC has no effect but is probed as itself). */
export function flagProbeBit(name: string): number {
  return name === 'SECCOMP_FILTER_FLAG_TSYNC' ? FILTER_FLAG.TSYNC : (FLAGS[name] ?? 0);
}

/** Syscalls a NOTIFY rule may not name: runts-init needs them to hand the listener fd over. */
export const NOTIFY_FORBIDDEN: ReadonlySet<string> = new Set(['write', 'sendmsg']);
