// The facts about the host that planning needs, behind an interface so that
// unit tests plan containers without touching the machine.
import { existsSync, readFileSync, realpathSync, statSync, statfsSync } from 'node:fs';
import type { SeccompHost } from '../seccomp/profile';
import { nativeSeccompHost } from '../seccomp/native';

export interface HostProbe {
  /** undefined when nothing is at the path. */
  kind(path: string): 'dir' | 'file' | undefined;
  realpath(path: string): string;
  exists(path: string): boolean;
  /** Whether /proc/self/ns/<name> exists (the kernel has the namespace type). */
  hasNamespaceType(procName: string): boolean;
  selinuxEnabled(): boolean;
  apparmorEnabled(): boolean;
  /** Whether the namespace file at path is the runtime's own namespace of that type (/proc/self/ns/<procName>). */
  isOwnNamespace(path: string, procName: string): boolean;
  /** The statfs(2) magic of the filesystem at path, undefined when it cannot be read. */
  filesystemType(path: string): number | undefined;
  /** What seccomp can do here (kernel flags, libseccomp architectures); absent: not checked. */
  seccompHost?(): SeccompHost;
}

export const PROC_SUPER_MAGIC = 0x9fa0;

export const realHost: HostProbe = {
  kind(path) {
    try {
      return statSync(path).isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  },
  realpath: (path) => realpathSync(path),
  exists: (path) => existsSync(path),
  hasNamespaceType: (name) => existsSync(`/proc/self/ns/${name}`),
  selinuxEnabled: () => existsSync('/sys/fs/selinux/enforce'),
  apparmorEnabled() {
    try {
      return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
    } catch {
      return false;
    }
  },
  isOwnNamespace(path, procName) {
    try {
      const a = statSync(path);
      const b = statSync(`/proc/self/ns/${procName}`);
      return a.dev === b.dev && a.ino === b.ino;
    } catch {
      return false;
    }
  },
  filesystemType(path) {
    try {
      return statfsSync(path).type;
    } catch {
      return undefined;
    }
  },
  seccompHost: () => nativeSeccompHost(),
};
