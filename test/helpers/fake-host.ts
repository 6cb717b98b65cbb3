// A HostProbe for unit tests: a made-up filesystem instead of the machine's.
import type { HostProbe } from '../../src/plan/host';

export function fakeHost(files: Record<string, 'dir' | 'file'> = {}, options: Partial<HostProbe> = {}): HostProbe {
  const all: Record<string, 'dir' | 'file'> = { '/bundle': 'dir', '/bundle/rootfs': 'dir', ...files };
  return {
    kind: (p) => all[p],
    realpath: (p) => p,
    exists: (p) => p in all,
    hasNamespaceType: () => true,
    selinuxEnabled: () => false,
    apparmorEnabled: () => false,
    isOwnNamespace: () => false,
    filesystemType: () => undefined,
    ...options,
  };
}
