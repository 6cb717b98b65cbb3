// getrlimit(2) resource names and numbers.

export const RLIMITS: Readonly<Record<string, number>> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * A uint64 from config.json as a decimal string. JSON.parse rounds numbers
 * above 2^53; the only such value configs use in practice is the maximum
 * (RLIM_INFINITY, 18446744073709551615), which rounds to 2^64.
 */
export function uint64String(value: number): string {
  if (Number.isSafeInteger(value)) return String(value);
  const big = BigInt(Math.round(value));
  return (big > UINT64_MAX ? UINT64_MAX : big).toString();
}
