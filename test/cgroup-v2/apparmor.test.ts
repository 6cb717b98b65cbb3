// Runs inside the VM booted with AppArmor (RUNTS_VM_APPARMOR=1
// scripts/cgroup-v2-vm.sh, started by test/integration/apparmor-vm.test.ts):
// process.apparmorProfile confines the container's process for real.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as lib from '../../src/index';
import type { OciConfig } from '../../src/config/types';
import { isRoot, ROOT, runts, Sandbox, traces } from '../helpers/sandbox';

const PROFILE = 'runts-ls-test';
// Everything allowed but writes under /tmp and reading one file. AppArmor
// names a file by its path from the root of the mount tree. On a host that is
// the container's root after pivot_root; in this VM the tests run in a chroot
// (/newroot), so the container's root hangs below it: {,**/} matches both.
const POLICY = `profile ${PROFILE} flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  deny /{,**/}tmp/** w,
  deny /{,**/}etc/ls-secret r,
}
`;

function apparmorEnabled(): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}
const haveParser = spawnSync('apparmor_parser', ['--version'], { stdio: 'ignore' }).status === 0;

const PROBE = [
  'cat /proc/self/attr/current',
  'touch /tmp/probe 2>&1 && echo tmp-written',
  'cat /etc/ls-secret 2>&1',
].join('; ');

describe.skipIf(!isRoot || !apparmorEnabled() || !haveParser)('AppArmor', () => {
  let sb: Sandbox;
  let policyDir: string;
  let policyFile: string;
  beforeAll(() => {
    policyDir = mkdtempSync(path.join(tmpdir(), 'runts-ls-apparmor-'));
    policyFile = path.join(policyDir, PROFILE);
    writeFileSync(policyFile, POLICY);
    const r = spawnSync('apparmor_parser', ['-r', '-K', policyFile], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`apparmor_parser: ${r.stderr}`);
  });
  afterAll(() => {
    spawnSync('apparmor_parser', ['-R', '-K', policyFile], { stdio: 'ignore' });
    rmSync(policyDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  function bundle(id: string, args: string[], edit: (c: OciConfig) => void = () => {}): string {
    const dir = sb.bundle(id, args, (c) => {
      c.root!.readonly = false;
      edit(c);
    });
    writeFileSync(path.join(dir, 'rootfs/etc/ls-secret'), 'secret\n');
    return dir;
  }

  it('loaded the test profile', () => {
    expect(readFileSync('/sys/kernel/security/apparmor/profiles', 'utf8')).toContain(`${PROFILE} (enforce)`);
  });

  it('confines the process with the profile: the denied accesses fail with EACCES', () => {
    const id = sb.id('ls-aa');
    const r = runts(['run', '--bundle', bundle(id, ['sh', '-c', PROBE], (c) => (c.process!.apparmorProfile = PROFILE)), id]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `${PROFILE} (enforce)\ntouch: /tmp/probe: Permission denied\ncat: can't open '/etc/ls-secret': Permission denied\n`,
    );
    expect(r.code).toBe(1);
    expect(traces(id)).toEqual([]);
  });

  it('leaves a container without a profile unconfined: the same accesses work', () => {
    const id = sb.id('ls-none');
    const r = runts(['run', '--bundle', bundle(id, ['sh', '-c', PROBE]), id]);
    expect(r.stdout).toBe('unconfined\ntmp-written\nsecret\n');
    expect(r.code).toBe(0);
  });

  // (Not in a user namespace: the tests run in a chroot, where the kernel
  // refuses to create one.)
  it('applies the profile after the switch to another user, with no_new_privs', () => {
    const id = sb.id('ls-user');
    const r = runts([
      'run',
      '--bundle',
      bundle(id, ['sh', '-c', `id -u; ${PROBE}`], (c) => {
        c.process!.apparmorProfile = PROFILE;
        c.process!.user = { uid: 1000, gid: 1000 };
        c.process!.noNewPrivileges = true;
      }),
      id,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^1000\\n${PROFILE} \\(enforce\\)\\ntouch: /tmp/probe: Permission denied\\n`));
  });

  it('writes the profile through the user-space procfs walk as well (kernels without openat2)', async () => {
    const id = sb.id('ls-walk');
    const script = `test "$(cat /proc/self/attr/current)" = "${PROFILE} (enforce)" && ! touch /tmp/probe 2>/dev/null`;
    const result = await lib.run({
      id,
      bundle: bundle(id, ['sh', '-c', script], (c) => (c.process!.apparmorProfile = PROFILE)),
      root: ROOT,
      forceSafeWalk: true,
    });
    expect(result.exitCode).toBe(0);
  });

  // runc's CVE-2025-52881: writes to /proc/thread-self/attr/... through a
  // /proc the container controls can be redirected. runts refuses anything
  // but procfs on /proc, and writes through the runtime's own procfs anyway:
  // the fake /proc takes nothing.
  it('refuses a fake /proc, and never writes the profile into it', () => {
    const id = sb.id('ls-fakeproc');
    const dir = bundle(id, ['sh', '-c', 'touch /tmp/probe 2>&1; echo done'], (c) => {
      c.process!.apparmorProfile = PROFILE;
      c.mounts = c.mounts!.map((m) => (m.destination === '/proc' ? { destination: '/proc', type: 'bind', source: 'fakeproc', options: ['rbind'] } : m));
    });
    const fake = path.join(dir, 'fakeproc/thread-self/attr/apparmor');
    mkdirSync(fake, { recursive: true });
    writeFileSync(path.join(fake, 'exec'), '');
    writeFileSync(path.join(dir, 'fakeproc/thread-self/attr/exec'), '');
    const r = runts(['run', '--bundle', dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('only procfs can be mounted on /proc');
    expect(readFileSync(path.join(fake, 'exec'), 'utf8')).toBe('');
    expect(readFileSync(path.join(dir, 'fakeproc/thread-self/attr/exec'), 'utf8')).toBe('');
  });

  it('refuses a profile that is not loaded, before creating anything', () => {
    const id = sb.id('ls-missing');
    const r = runts(['create', '--bundle', bundle(id, ['true'], (c) => (c.process!.apparmorProfile = 'runts-ls-not-loaded')), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('process.apparmorProfile: the AppArmor profile "runts-ls-not-loaded" is not loaded');
    expect(traces(id)).toEqual([]);
  });
});
