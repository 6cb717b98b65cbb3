// This host has no SELinux. This test boots the throwaway VM of the cgroup v2
// tests (scripts/cgroup-v2-vm.sh) with SELinux as its LSM, but without a
// policy, and runs test/cgroup-v2/selinux.test.ts there against this build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/sandbox';

const onV2Already = existsSync('/sys/fs/cgroup/cgroup.controllers');

describe.skipIf(!isRoot || onV2Already || process.env.RUNTS_SKIP_V2_VM === '1')('SELinux without a policy (in a VM)', () => {
  it('writes the SELinux labels where the kernel reads them', () => {
    const r = spawnSync(
      path.resolve('scripts/cgroup-v2-vm.sh'),
      ['NO_COLOR=1 node node_modules/vitest/vitest.mjs run --project cgroup-v2 --reporter verbose test/cgroup-v2/selinux.test.ts 2>&1'],
      { encoding: 'utf8', timeout: 900_000, env: { ...process.env, RUNTS_VM_SELINUX: '1' } },
    );
    const out = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) console.error(out);
    expect(r.status).toBe(0);
    expect(out).toMatch(/Tests +3 passed \(3\)/);
  }, 900_000);
});
