// What may be mounted where procfs is. A mount over a procfs file can hide
// what the runtime or an LSM relies on (runc's CVE-2019-16884 and
// CVE-2019-19921), so only two kinds are allowed: procfs itself on /proc,
// and the files tools such as lxcfs bind over (runc's list).
export const PROC_MOUNT_ALLOWED: ReadonlySet<string> = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid',
]);

/** Whether a mount (normalised destination, type) may land on a procfs file or directory. */
export function mayCoverProcfs(destination: string, type: string | undefined): boolean {
  return PROC_MOUNT_ALLOWED.has(destination) || (destination === '/proc' && type === 'proc');
}

/** Filesystems that must be mounted on an ordinary directory, never through a symlink (as runc). */
export function needsPlainDirectory(type: string | undefined): boolean {
  return type === 'proc' || type === 'sysfs';
}
