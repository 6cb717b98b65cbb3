// Runs inside a pure cgroup v2 VM (scripts/cgroup-v2-vm.sh): exec joins the
// container's one cgroup, a pause (cgroup.freeze) refuses it, and kill --all
// (cgroup.kill) ends the exec'd processes, through the native path and Node's.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, runts, Sandbox } from '../helpers/sandbox';
import { existsSync } from 'node:fs';

const onV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe.skipIf(!isRoot || !onV2)('exec on cgroup v2', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  it('joins the container\'s cgroup; refused when paused; ended by kill --all', () => {
    const id = sb.id('v2exec');
    expect(runts(['run', '-d', '-b', sb.bundle(id, ['sleep', '600']), id]).code).toBe(0);
    const pid = JSON.parse(runts(['state', id]).stdout).pid as number;
    const proc = path.join(sb.dir, 'process.json');
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['sleep', '600'], env: ['PATH=/bin'] }));
    const pids: number[] = [];
    for (const env of [{}, { RUNTS_NATIVE_VERBS: '0' }]) {
      const pidFile = path.join(sb.dir, `exec-${pids.length}.pid`);
      expect(runts(['exec', '--process', proc, '--detach', '--pid-file', pidFile, id], { env })).toMatchObject({ code: 0, stderr: '' });
      pids.push(Number(readFileSync(pidFile, 'utf8')));
    }
    for (const p of pids) expect(readFileSync(`/proc/${p}/cgroup`, 'utf8')).toBe(`0::/runts-test/${id}\n`);
    expect(runts(['exec', id, 'cat', '/proc/self/cgroup']).stdout).toBe('0::/\n');
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/runts-test/${id}\n`);
    expect(runts(['pause', id]).code).toBe(0);
    expect(runts(['exec', '-p', proc, '-d', id]).stderr).toContain('cannot exec in a paused container');
    expect(runts(['resume', id]).code).toBe(0);
    expect(runts(['kill', '--all', id, 'KILL']).code).toBe(0);
    for (let i = 0; i < 200 && pids.some(alive); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    expect(pids.filter(alive)).toEqual([]);
  });
});
