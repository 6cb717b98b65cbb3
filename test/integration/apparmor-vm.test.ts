// This host has no AppArmor. This test boots the throwaway VM of the cgroup
// v2 tests (scripts/cgroup-v2-vm.sh) with AppArmor as its LSM and Debian's
// apparmor_parser, and runs test/cgroup-v2/apparmor.test.ts there, against
// this very build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/sandbox';

const onV2Already = existsSync('/sys/fs/cgroup/cgroup.controllers');

describe.skipIf(!isRoot || onV2Already || process.env.RUNTS_SKIP_V2_VM === '1')('AppArmor (in a VM)', () => {
  it('confines containers with process.apparmorProfile on a kernel with AppArmor', () => {
    const r = spawnSync(
      path.resolve('scripts/cgroup-v2-vm.sh'),
      ['NO_COLOR=1 node node_modules/vitest/vitest.mjs run --project cgroup-v2 --reporter verbose test/cgroup-v2/apparmor.test.ts test/cgroup-v2/exec-apparmor.test.ts 2>&1'],
      { encoding: 'utf8', timeout: 900_000, env: { ...process.env, RUNTS_VM_APPARMOR: '1' } },
    );
    const out = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) console.error(out);
    expect(r.status).toBe(0);
    // Every test ran: none skipped for want of AppArmor or apparmor_parser.
    expect(out).toMatch(/Tests +9 passed \(9\)/);
  }, 900_000);
});
