// Runs inside the VM booted with AppArmor (RUNTS_VM_APPARMOR=1
// scripts/cgroup-v2-vm.sh, started by test/integration/apparmor-vm.test.ts):
// an exec'd process gets --apparmor's profile, or the container's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, runts, Sandbox } from '../helpers/sandbox';

const PROFILE = 'runts-exec-test';
const POLICY = `profile ${PROFILE} flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  deny /{,**/}tmp/** w,
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
const PROBE = 'cat /proc/self/attr/current; touch /tmp/probe-$$ 2>/dev/null && echo tmp-written || echo tmp-denied';

describe.skipIf(!isRoot || !apparmorEnabled() || !haveParser)('exec with AppArmor', () => {
  let sb: Sandbox;
  let policyDir: string;
  let policyFile: string;
  beforeAll(() => {
    policyDir = mkdtempSync(path.join(tmpdir(), 'runts-exec-apparmor-'));
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

  it('--apparmor confines the exec\'d process in an unconfined container', () => {
    const id = sb.id('aaexec');
    expect(runts(['run', '-d', '-b', sb.bundle(id, ['sleep', '600'], (c) => {
      delete c.process!.apparmorProfile;
      c.root!.readonly = false;
    }), id]).code).toBe(0);
    expect(runts(['exec', id, 'sh', '-c', PROBE]).stdout).toBe('unconfined\ntmp-written\n');
    expect(runts(['exec', '--apparmor', PROFILE, id, 'sh', '-c', PROBE]).stdout).toBe(`${PROFILE} (enforce)\ntmp-denied\n`);
  });

  it('the container\'s profile applies to an exec without one (and --process without one: runc\'s fallback)', () => {
    const id = sb.id('aaexec');
    expect(runts(['run', '-d', '-b', sb.bundle(id, ['sleep', '600'], (c) => {
      c.process!.apparmorProfile = PROFILE;
      c.root!.readonly = false;
    }), id]).code).toBe(0);
    expect(runts(['exec', id, 'sh', '-c', PROBE]).stdout).toBe(`${PROFILE} (enforce)\ntmp-denied\n`);
    const proc = path.join(sb.dir, 'process.json');
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['sh', '-c', PROBE], env: ['PATH=/bin'] }));
    expect(runts(['exec', '--process', proc, id]).stdout).toBe(`${PROFILE} (enforce)\ntmp-denied\n`);
  });
});
