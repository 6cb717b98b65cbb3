// LSM labels on a host without the LSM: the config is refused before anything
// is created, with the JSON path and what to do, as runc refuses (SELinux) or
// fails at start (AppArmor, mount label). Hosts with AppArmor are tested in
// the VM (test/cgroup-v2/apparmor.test.ts).
import { describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { realHost } from '../../src/plan/host';
import { isRoot, runts, useSandbox, traces } from '../helpers/sandbox';

const LABEL = 'system_u:object_r:container_file_t:s0:c1,c2';
const PROCESS_LABEL = 'system_u:system_r:container_t:s0:c1,c2';

const cases: { field: string; lacking: boolean; edit: (c: OciConfig) => void; message: RegExp }[] = [
  {
    field: 'process.apparmorProfile',
    lacking: !realHost.apparmorEnabled(),
    edit: (c) => (c.process!.apparmorProfile = 'runts-test'),
    message: /process\.apparmorProfile: asks for the AppArmor profile "runts-test", but AppArmor is not enabled on this host .*: remove process\.apparmorProfile, or run the container on a host with AppArmor enabled\n/,
  },
  {
    field: 'process.selinuxLabel',
    lacking: !realHost.selinuxEnabled(),
    edit: (c) => (c.process!.selinuxLabel = PROCESS_LABEL),
    message: /process\.selinuxLabel: asks for the SELinux process label ".*", but SELinux is not enabled on this host \(no selinuxfs is mounted\): remove process\.selinuxLabel/,
  },
  {
    field: 'linux.mountLabel',
    lacking: !realHost.selinuxEnabled(),
    edit: (c) => (c.linux!.mountLabel = LABEL),
    message: /linux\.mountLabel: asks for the SELinux mount label ".*", but SELinux is not enabled on this host \(no selinuxfs is mounted\): remove linux\.mountLabel/,
  },
];

describe.skipIf(!isRoot)('LSM labels on a host without the LSM', () => {
  const sb = useSandbox();

  for (const t of cases) {
    it.skipIf(!t.lacking)(`refuses ${t.field} before creating anything (create and run)`, () => {
      for (const verb of ['create', 'run']) {
        const id = sb.id(`ls-${verb}`);
        const r = runts([verb, '--bundle', sb.bundle(id, ['true'], t.edit), id]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/invalid .*config\.json: 1 problem found, nothing was created/);
        expect(r.stderr).toMatch(t.message);
        expect(traces(id)).toEqual([]);
      }
    });
  }

  it.skipIf(cases.some((t) => !t.lacking))('reports all three at once', () => {
    const id = sb.id('ls-all');
    const r = runts(['create', '--bundle', sb.bundle(id, ['true'], (c) => cases.forEach((t) => t.edit(c))), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/3 problems found, nothing was created/);
    for (const t of cases) expect(r.stderr).toMatch(t.message);
    expect(traces(id)).toEqual([]);
  });

  it('runs the same container without labels (the cgroup tmpfs keeps its mode)', () => {
    const id = sb.id('ls-plain');
    const bundle = sb.bundle(id, ['sh', '-c', 'stat -c %a /sys/fs/cgroup; cat /proc/self/attr/current 2>/dev/null; echo done'], (c) => {
      c.process!.apparmorProfile = '';
      c.process!.selinuxLabel = '';
      c.linux!.mountLabel = '';
    });
    const r = runts(['run', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^755\n(.*\n)?done\n$/);
    expect(r.code).toBe(0);
  });

  it('features: AppArmor and SELinux are supported by runts, whatever the host has', () => {
    const f = JSON.parse(runts(['features']).stdout);
    expect(f.linux.apparmor).toEqual({ enabled: true });
    expect(f.linux.selinux).toEqual({ enabled: true });
  });
});
