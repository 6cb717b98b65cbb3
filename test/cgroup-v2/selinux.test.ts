// Runs inside the VM booted with SELinux as its LSM but no policy loaded
// (RUNTS_VM_SELINUX=1 scripts/cgroup-v2-vm.sh, started by
// test/integration/selinux-vm.test.ts). Without a policy SELinux allows
// everything and maps every context to the "kernel" SID, so this checks that
// runts-init's writes reach the process's own attr files (read back from
// outside while the container waits for start), not that a policy confines.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { hasSelinuxfs } from '../../src/plan/host';
import { isRoot, runts, Sandbox, traces } from '../helpers/sandbox';

const LABEL = 'system_u:system_r:container_t:s0:c1,c2';
const selinux = hasSelinuxfs(readFileSync('/proc/self/mountinfo', 'utf8'));

describe.skipIf(!isRoot || !selinux)('SELinux (no policy loaded)', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  function created(tag: string, edit: (c: OciConfig) => void, extra: string[] = []): { id: string; attr: (name: string) => string } {
    const id = sb.id(tag);
    const r = runts(['create', ...extra, '--bundle', sb.bundle(id, ['true'], edit), id]);
    if (r.code !== 0) throw new Error(r.stderr);
    const pid = JSON.parse(runts(['state', id]).stdout).pid as number;
    return { id, attr: (name) => readFileSync(`/proc/${pid}/attr/${name}`, 'utf8').replace(/\0$/, '') };
  }

  it('writes process.selinuxLabel to attr/exec and attr/keycreate of the waiting init', () => {
    const c = created('ls-se', (c) => (c.process!.selinuxLabel = LABEL));
    expect(c.attr('exec')).toBe('kernel');
    expect(c.attr('keycreate')).toBe('kernel');
    expect(runts(['start', c.id]).code).toBe(0);
  });

  it('leaves them empty without a label, and keycreate alone with --no-new-keyring', () => {
    expect(created('ls-se-none', () => {}).attr('exec')).toBe('');
    const c = created('ls-se-nokr', (c) => (c.process!.selinuxLabel = LABEL), ['--no-new-keyring']);
    expect(c.attr('exec')).toBe('kernel');
    expect(c.attr('keycreate')).toBe('');
  });

  it('passes linux.mountLabel to SELinux as a context= option (refused here: no policy)', () => {
    const id = sb.id('ls-ml');
    const r = runts(['create', '--bundle', sb.bundle(id, ['true'], (c) => (c.linux!.mountLabel = 'system_u:object_r:container_file_t:s0:c1,c2')), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('mount tmpfs on /dev: Invalid argument');
    expect(spawnSync('dmesg', { encoding: 'utf8' }).stdout).toMatch(/SELinux: +Unable to set superblock options before the security server is initialized/);
    expect(traces(id)).toEqual([]);
  });
});
