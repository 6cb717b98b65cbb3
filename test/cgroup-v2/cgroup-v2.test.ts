// Runs inside a pure cgroup v2 VM (scripts/cgroup-v2-vm.sh, started by
// test/integration/cgroup-v2-vm.test.ts): the v2 side of cgroup placement.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostLayout } from '../../src/cgroups/layout';
import { isRoot, runts, Sandbox, traces } from '../helpers/sandbox';

const onV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

function waitFor(check: () => boolean): void {
  for (let i = 0; i < 500 && !check(); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
}

describe.skipIf(!isRoot || !onV2)('cgroup v2', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  it('sees a pure v2 host', () => {
    expect(hostLayout().mode).toBe('v2');
  });

  it('places the container in its own cgroup, shows it through a cgroup namespace, and removes it', () => {
    const id = sb.id('v2');
    expect(runts(['create', '-b', sb.bundle(id, ['sh', '-c', 'cat /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo | sed "s/.* - //"']), id]).code).toBe(0);
    const pid = JSON.parse(runts(['state', id]).stdout).pid as number;
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/runts-test/${id}\n`);
    expect(readFileSync(`/sys/fs/cgroup/runts-test/${id}/cgroup.procs`, 'utf8')).toBe(`${pid}\n`);
    const state = JSON.parse(readFileSync(`/run/runts-test/${id}/state.json`, 'utf8'));
    expect(state.runts).toMatchObject({
      procsFile: `/sys/fs/cgroup/runts-test/${id}/cgroup.procs`,
      killFile: `/sys/fs/cgroup/runts-test/${id}/cgroup.kill`,
      freezerFile: `/sys/fs/cgroup/runts-test/${id}/cgroup.freeze`,
    });
    expect(runts(['delete', '--force', id]).code).toBe(0);
    expect(existsSync(`/sys/fs/cgroup/runts-test/${id}`)).toBe(false);
  });

  it('mounts cgroup2 in a cgroup namespace, and binds its own cgroup without one', () => {
    expect(sb.sh('cat /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1')).toBe('0::/\ncgroup2\n');
    const out = sb.sh('ls /sys/fs/cgroup/cgroup.procs && cat /sys/fs/cgroup/cgroup.procs | wc -l', (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
    });
    expect(out).toMatch(/^\/sys\/fs\/cgroup\/cgroup.procs\n[1-9]\d*\n$/);
  });

  it('uses the default /runts/<id> cgroup', () => {
    const id = sb.id('v2');
    expect(runts(['create', '-b', sb.bundle(id, ['true'], (c) => delete c.linux!.cgroupsPath), id]).code).toBe(0);
    expect(existsSync(`/sys/fs/cgroup/runts/${id}`)).toBe(true);
    expect(runts(['delete', id]).code).toBe(0);
    expect(existsSync(`/sys/fs/cgroup/runts/${id}`)).toBe(false);
  });

  it('kill --all and delete --force reach every process through cgroup.kill', () => {
    const id = sb.id('v2');
    const bundle = sb.bundle(id, ['sh', '-c', 'sleep 60 & sleep 60'], (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'pid');
    });
    expect(runts(['run', '-d', '-b', bundle, id]).code).toBe(0);
    const procs = () => readFileSync(`/sys/fs/cgroup/runts-test/${id}/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean);
    waitFor(() => procs().length >= 2);
    expect(runts(['kill', '--all', id, 'KILL']).code).toBe(0);
    waitFor(() => procs().length === 0);
    expect(procs()).toEqual([]);
    expect(runts(['delete', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('runs the whole lifecycle', () => {
    expect(sb.run(['sh', '-c', 'exit 3'])).toMatchObject({ code: 3 });
  });
});
