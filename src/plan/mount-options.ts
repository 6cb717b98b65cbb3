// Mount option strings (config.md "Linux mount options") to mount(2) flags,
// propagation changes, mount_setattr(2) recursive attributes and the data
// string for the filesystem. Unknown options are filesystem options, as the
// spec says, and go to the data string.
import { hasOwn, own } from '../lookup';

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  REC: 0x4000,
  SILENT: 0x8000,
  POSIXACL: 0x10000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  I_VERSION: 0x800000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  ATIME_MASK: 0x70,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
} as const;

/** Option -> [clears the flag?, flag]. */
const FLAG_OPTIONS: Readonly<Record<string, readonly [boolean, number]>> = {
  acl: [false, MS.POSIXACL],
  async: [true, MS.SYNCHRONOUS],
  atime: [true, MS.NOATIME],
  bind: [false, MS.BIND],
  defaults: [false, 0],
  dev: [true, MS.NODEV],
  diratime: [true, MS.NODIRATIME],
  dirsync: [false, MS.DIRSYNC],
  exec: [true, MS.NOEXEC],
  iversion: [false, MS.I_VERSION],
  lazytime: [false, MS.LAZYTIME],
  loud: [true, MS.SILENT],
  mand: [false, MS.MANDLOCK],
  noacl: [true, MS.POSIXACL],
  noatime: [false, MS.NOATIME],
  nodev: [false, MS.NODEV],
  nodiratime: [false, MS.NODIRATIME],
  noexec: [false, MS.NOEXEC],
  noiversion: [true, MS.I_VERSION],
  nolazytime: [true, MS.LAZYTIME],
  nomand: [true, MS.MANDLOCK],
  norelatime: [true, MS.RELATIME],
  nostrictatime: [true, MS.STRICTATIME],
  nosuid: [false, MS.NOSUID],
  nosymfollow: [false, MS.NOSYMFOLLOW],
  rbind: [false, MS.BIND | MS.REC],
  relatime: [false, MS.RELATIME],
  remount: [false, MS.REMOUNT],
  ro: [false, MS.RDONLY],
  rw: [true, MS.RDONLY],
  silent: [false, MS.SILENT],
  strictatime: [false, MS.STRICTATIME],
  suid: [true, MS.NOSUID],
  symfollow: [true, MS.NOSYMFOLLOW],
  sync: [false, MS.SYNCHRONOUS],
};

/** Propagation names -> mount(2) flags: the mount options, and linux.rootfsPropagation. */
export const PROPAGATION_OPTIONS: Readonly<Record<string, number>> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** Option -> [clears the attribute?, attribute] for mount_setattr(AT_RECURSIVE). */
const RECURSIVE_OPTIONS: Readonly<Record<string, readonly [boolean, number]>> = {
  rro: [false, MOUNT_ATTR.RDONLY],
  rrw: [true, MOUNT_ATTR.RDONLY],
  rnosuid: [false, MOUNT_ATTR.NOSUID],
  rsuid: [true, MOUNT_ATTR.NOSUID],
  rnodev: [false, MOUNT_ATTR.NODEV],
  rdev: [true, MOUNT_ATTR.NODEV],
  rnoexec: [false, MOUNT_ATTR.NOEXEC],
  rexec: [true, MOUNT_ATTR.NOEXEC],
  rnodiratime: [false, MOUNT_ATTR.NODIRATIME],
  rdiratime: [true, MOUNT_ATTR.NODIRATIME],
  rnosymfollow: [false, MOUNT_ATTR.NOSYMFOLLOW],
  rsymfollow: [true, MOUNT_ATTR.NOSYMFOLLOW],
};

/** Recursive atime options select one atime mode for the whole tree. */
const RECURSIVE_ATIME: Readonly<Record<string, number | null>> = {
  rrelatime: MOUNT_ATTR.RELATIME,
  rnoatime: MOUNT_ATTR.NOATIME,
  rstrictatime: MOUNT_ATTR.STRICTATIME,
  // Turning a mode off falls back to the kernel default, relatime.
  rnorelatime: null,
  ratime: null,
  rnostrictatime: null,
};

/** Options runts recognises but does not implement yet. */
export const UNSUPPORTED_OPTIONS: ReadonlySet<string> = new Set(['idmap', 'ridmap']);

/**
 * Options that are no mount flag but a step of the runtime (runc's
 * "extensions"): tmpcopyup fills a new tmpfs with what the image had at its
 * destination (Podman adds it to --tmpfs and --read-only mounts).
 */
export const EXTENSION_OPTIONS: ReadonlySet<string> = new Set(['tmpcopyup']);

export interface ParsedMountOptions {
  /** mount(2) flags (without propagation). */
  flags: number;
  /** Propagation changes, each applied by its own mount(2) call. */
  propagation: number[];
  recAttrSet: number;
  recAttrClr: number;
  /** Filesystem-specific options, comma-joined. */
  data: string;
  /** Options that are recognised but not implemented. */
  unsupported: string[];
  /** tmpcopyup: copy the destination's files into the new tmpfs. */
  copyUp: boolean;
}

export function parseMountOptions(options: readonly string[] | undefined): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  let recAttrSet = 0;
  let recAttrClr = 0;
  const data: string[] = [];
  const unsupported: string[] = [];
  let copyUp = false;
  for (const option of options ?? []) {
    const flag = own(FLAG_OPTIONS, option);
    if (flag) {
      const [clear, bit] = flag;
      flags = clear ? flags & ~bit : flags | bit;
      continue;
    }
    const prop = own(PROPAGATION_OPTIONS, option);
    if (prop !== undefined) {
      propagation.push(prop);
      continue;
    }
    const rec = own(RECURSIVE_OPTIONS, option);
    if (rec) {
      const [clear, bit] = rec;
      if (clear) {
        recAttrClr |= bit;
        recAttrSet &= ~bit;
      } else {
        recAttrSet |= bit;
        recAttrClr &= ~bit;
      }
      continue;
    }
    if (hasOwn(RECURSIVE_ATIME, option)) {
      const mode = own(RECURSIVE_ATIME, option);
      recAttrClr |= MOUNT_ATTR.ATIME_MASK;
      recAttrSet = (recAttrSet & ~MOUNT_ATTR.ATIME_MASK) | (mode ?? MOUNT_ATTR.RELATIME);
      continue;
    }
    if (option === 'tmpcopyup') {
      copyUp = true;
      continue;
    }
    if (UNSUPPORTED_OPTIONS.has(option)) {
      unsupported.push(option);
      continue;
    }
    data.push(option);
  }
  return { flags, propagation, recAttrSet, recAttrClr, data: data.join(','), unsupported, copyUp };
}

export function isBindMount(type: string | undefined, options: readonly string[] | undefined): boolean {
  return type === 'bind' || (options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/** Every option name runts recognises (for the features document). */
export function recognisedMountOptions(): string[] {
  return [
    ...Object.keys(FLAG_OPTIONS),
    ...Object.keys(PROPAGATION_OPTIONS),
    ...Object.keys(RECURSIVE_OPTIONS),
    ...Object.keys(RECURSIVE_ATIME),
    ...EXTENSION_OPTIONS,
  ].sort();
}
