import { describe, expect, it } from 'vitest';
import { isBindMount, MOUNT_ATTR, MS, parseMountOptions, recognisedMountOptions } from '../../src/plan/mount-options';

describe('mount options', () => {
  it('turns flag options into mount(2) flags, in order', () => {
    expect(parseMountOptions(['ro', 'nosuid', 'nodev', 'noexec']).flags).toBe(MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
    expect(parseMountOptions(['ro', 'rw']).flags).toBe(0);
    expect(parseMountOptions(['nosuid', 'suid', 'dev', 'exec']).flags).toBe(0);
    expect(parseMountOptions(['strictatime', 'relatime', 'noatime', 'nodiratime']).flags).toBe(
      MS.STRICTATIME | MS.RELATIME | MS.NOATIME | MS.NODIRATIME,
    );
    expect(parseMountOptions(['defaults']).flags).toBe(0);
    expect(parseMountOptions(['rbind']).flags).toBe(MS.BIND | MS.REC);
  });

  it('passes unknown options to the filesystem as data', () => {
    expect(parseMountOptions(['nosuid', 'mode=755', 'size=65536k', 'newinstance']).data).toBe('mode=755,size=65536k,newinstance');
  });

  it('keeps propagation changes separate', () => {
    expect(parseMountOptions(['rbind', 'rprivate', 'shared']).propagation).toEqual([MS.PRIVATE | MS.REC, MS.SHARED]);
  });

  it('computes recursive attributes for mount_setattr', () => {
    const p = parseMountOptions(['rro', 'rnosuid', 'rdev']);
    expect(p.recAttrSet).toBe(MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID);
    expect(p.recAttrClr).toBe(MOUNT_ATTR.NODEV);
    const atime = parseMountOptions(['rnoatime']);
    expect(atime.recAttrSet).toBe(MOUNT_ATTR.NOATIME);
    expect(atime.recAttrClr).toBe(MOUNT_ATTR.ATIME_MASK);
    expect(parseMountOptions(['rro', 'rrw']).recAttrSet).toBe(0);
  });

  it('flags recognised but unimplemented options', () => {
    expect(parseMountOptions(['idmap', 'ridmap']).unsupported).toEqual(['idmap', 'ridmap']);
  });

  it('detects bind mounts by type or option', () => {
    expect(isBindMount('bind', undefined)).toBe(true);
    expect(isBindMount('none', ['rbind'])).toBe(true);
    expect(isBindMount('tmpfs', ['nosuid'])).toBe(false);
  });

  it('lists every option the spec marks MUST', () => {
    const must = ['async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'iversion', 'lazytime', 'loud',
      'noatime', 'nodev', 'nodiratime', 'noexec', 'noiversion', 'nolazytime', 'norelatime', 'nostrictatime', 'nosuid',
      'private', 'rbind', 'relatime', 'remount', 'ro', 'rprivate', 'rshared', 'rslave', 'runbindable', 'rw', 'shared',
      'silent', 'slave', 'strictatime', 'suid', 'sync', 'unbindable'];
    expect(recognisedMountOptions()).toEqual(expect.arrayContaining(must));
    expect(recognisedMountOptions()).not.toContain('idmap');
  });
});
