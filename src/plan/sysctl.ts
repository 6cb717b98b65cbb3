// linux.sysctl keys: parsed strictly, because a key becomes a path under
// /proc/sys that the runtime writes as root. A key such as
// `net/../../etc/passwd` must never name anything but a sysctl.
//
// The key syntax is sysctl.d(5)'s: the first separator decides. With a dot
// first (`net.ipv4.ip_forward`), dots separate and a slash stands for a
// literal dot (`net.ipv4.conf.eth0/100.rp_filter` is the interface
// `eth0.100`); with a slash first (`net/ipv4/conf/eth0.100/rp_filter`),
// slashes separate and dots are literal.

export interface SysctlKey {
  /** The path below /proc/sys, components joined by "/". */
  path: string;
  /** The canonical dotted name (components joined by "."), for namespace checks and messages. */
  name: string;
  components: string[];
}

// What a /proc/sys file name can contain (kernel ctl_table names and
// network interface names); anything else is refused before it nears a path.
const COMPONENT = /^[A-Za-z0-9_\-:@+.]+$/;

export function parseSysctlKey(key: string): SysctlKey | { error: string } {
  if (key.length === 0) return { error: 'is an empty sysctl name' };
  if (key.length > 512) return { error: 'is longer than any sysctl name (512 characters at most)' };
  if (key.startsWith('/')) return { error: 'must be a sysctl name such as "net.ipv4.ip_forward", not an absolute path' };
  const firstDot = key.indexOf('.');
  const firstSlash = key.indexOf('/');
  const slashFirst = firstSlash >= 0 && (firstDot < 0 || firstSlash < firstDot);
  const components = slashFirst ? key.split('/') : key.split('.').map((c) => c.replace(/\//g, '.'));
  for (const c of components) {
    if (c === '') return { error: 'has an empty component (a leading, trailing or doubled separator)' };
    if (c === '.' || c === '..') return { error: `has a "${c}" component: a sysctl name cannot leave /proc/sys` };
    if (!COMPONENT.test(c)) return { error: `has a component with characters no sysctl name has (${JSON.stringify(c)})` };
  }
  return { path: components.join('/'), name: components.join('.'), components };
}

export function isSysctlKeyError(k: SysctlKey | { error: string }): k is { error: string } {
  return 'error' in k;
}

// sysctls of the IPC namespace outside fs.mqueue (runc's list).
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

export type SysctlNamespace = 'ipc' | 'network' | 'uts';

/**
 * The namespace a sysctl belongs to, or why it cannot be set at all (as
 * runc: kernel.hostname conflicts with the `hostname` field; anything not
 * namespaced would change the host).
 */
export function sysctlNamespace(key: SysctlKey): { ns: SysctlNamespace } | { refused: string } {
  const name = key.name;
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) return { ns: 'ipc' };
  if (name.startsWith('net.')) return { ns: 'network' };
  if (name === 'kernel.domainname') return { ns: 'uts' };
  if (name === 'kernel.hostname') return { refused: 'conflicts with the OCI "hostname" field: set "hostname" instead' };
  return { refused: 'is not in a namespace of the container: setting it would change the host' };
}
