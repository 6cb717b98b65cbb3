// Linux capability names and numbers (capabilities(7)).

export const CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

const NUMBERS = new Map(CAPABILITIES.map((name, i) => [name, i]));

export function capabilityNumber(name: string): number | undefined {
  return NUMBERS.get(name.toUpperCase().startsWith('CAP_') ? name.toUpperCase() : `CAP_${name.toUpperCase()}`);
}

export function capabilityName(n: number): string {
  return CAPABILITIES[n] ?? `capability ${n}`;
}

/** A set of capability names as a 64-bit mask (decimal string, for the native side). */
export function capabilityMask(names: readonly string[] | undefined): { mask: bigint; unknown: string[] } {
  let mask = 0n;
  const unknown: string[] = [];
  for (const name of names ?? []) {
    const n = capabilityNumber(name);
    if (n === undefined) unknown.push(name);
    else mask |= 1n << BigInt(n);
  }
  return { mask, unknown };
}
