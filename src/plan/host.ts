// The facts about the host that planning needs, behind an interface so that
// unit tests plan containers without touching the machine.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
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
  /** What seccomp can do here (kernel flags, libseccomp architectures); absent: not checked. */
  seccompHost?(): SeccompHost;
}

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
  seccompHost: () => nativeSeccompHost(),
};
