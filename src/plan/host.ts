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
  /** A selinuxfs is mounted (what go-selinux and crun take as "enabled"). */
  selinuxEnabled(): boolean;
  /** /sys/module/apparmor/parameters/enabled is "Y" (what runc and crun read). */
  apparmorEnabled(): boolean;
  /** Whether the namespace file at path is the runtime's own namespace of that type (/proc/self/ns/<procName>). */
  isOwnNamespace(path: string, procName: string): boolean;
  /** The statfs(2) magic of the filesystem at path, undefined when it cannot be read. */
  filesystemType(path: string): number | undefined;
  /** What seccomp can do here (kernel flags, libseccomp architectures); absent: not checked. */
  seccompHost?(): SeccompHost;
  /** Whether the profile is loaded; undefined when the host cannot tell (no securityfs). */
  apparmorProfileLoaded?(name: string): boolean | undefined;
}

/** The names in /sys/kernel/security/apparmor/profiles: one "name (mode)" a line. */
export function parseApparmorProfiles(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace(/ \([^()]*\)$/, '')),
  );
}

/** mountinfo has a selinuxfs: its filesystem type follows the " - " separator. */
export function hasSelinuxfs(mountinfo: string): boolean {
  return mountinfo.split('\n').some((line) => line.split(' - ')[1]?.startsWith('selinuxfs '));
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
  selinuxEnabled() {
    try {
      return hasSelinuxfs(readFileSync('/proc/self/mountinfo', 'utf8'));
    } catch {
      return false;
    }
  },
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
  apparmorProfileLoaded(name) {
    // Not a listed profile, but always valid.
    if (name === 'unconfined') return true;
    try {
      return parseApparmorProfiles(readFileSync('/sys/kernel/security/apparmor/profiles', 'utf8')).has(name);
    } catch {
      return undefined;
    }
  },
  seccompHost: () => nativeSeccompHost(),
};
