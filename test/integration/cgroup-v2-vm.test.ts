// This host's cgroups are hybrid; most users run pure cgroup v2. This test
// boots a throwaway VM with a v2-only kernel (scripts/cgroup-v2-vm.sh) and
// runs the cgroup-v2 test project there, against this very build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/sandbox';

const onV2Already = existsSync('/sys/fs/cgroup/cgroup.controllers');

describe.skipIf(!isRoot || onV2Already || process.env.RUNTS_SKIP_V2_VM === '1')('cgroup v2 (in a VM)', () => {
  it('passes the cgroup-v2 tests on a cgroup v2 kernel', () => {
    const r = spawnSync(path.resolve('scripts/cgroup-v2-vm.sh'), ['NO_COLOR=1 node node_modules/vitest/vitest.mjs run --project cgroup-v2 --reporter verbose test/cgroup-v2/cgroup-v2.test.ts test/cgroup-v2/exec.test.ts 2>&1'], {
      encoding: 'utf8',
      timeout: 900_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) console.error(out);
    expect(r.status).toBe(0);
    // Every test passed and none was skipped (a skip shows as "N passed | M skipped (N+M)").
    expect(out).toMatch(/Tests +(\d+) passed \(\1\)/);
  }, 900_000);
});
