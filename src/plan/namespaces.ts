// Namespace types and their clone(2) flags.
import type { NamespaceType } from '../config/types';

export const CLONE_FLAGS: Readonly<Record<NamespaceType, number>> = {
  mount: 0x00020000,
  cgroup: 0x02000000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  network: 0x40000000,
  time: 0x00000080,
};

/** The /proc/self/ns entry that tells whether the kernel has a namespace type. */
export const PROC_NS_NAMES: Readonly<Record<NamespaceType, string>> = {
  mount: 'mnt',
  cgroup: 'cgroup',
  uts: 'uts',
  ipc: 'ipc',
  user: 'user',
  pid: 'pid',
  network: 'net',
  time: 'time',
};
