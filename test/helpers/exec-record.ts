// The exec record create saves for a config (src/plan/exec-record.ts), planned
// on a fake host with a v1 memory hierarchy, as the exec planner tests use it.
import { detectLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import type { OciConfig } from '../../src/config/types';
import { buildPlan } from '../../src/plan/build';
import type { ExecRecord } from '../../src/plan/exec';
import { execRecordOf } from '../../src/plan/exec-record';
import { nativeSeccompCompiler } from '../../src/seccomp/native';
import { fakeHost } from './fake-host';

const V1 = detectLayout('33 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n', '1:memory:/\n');

/** Round-tripped through JSON, as exec reads it back from exec.json. */
export function execRecordFor(c: OciConfig): ExecRecord {
  const { plan, extras } = buildPlan(c, {
    id: 'c1',
    bundle: '/bundle',
    host: fakeHost(),
    cgroups: placeContainer(V1, undefined, 'c1'),
    env: {},
    compileSeccomp: c.linux?.seccomp ? nativeSeccompCompiler(() => {}) : undefined,
  });
  return JSON.parse(JSON.stringify(execRecordOf(c, plan, extras, '/bundle'))) as ExecRecord;
}
