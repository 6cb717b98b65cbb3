// cpu.realtimeRuntime without linux.cgroupsPath: the container goes under
// runts' default parent /runts, which must get the real-time budget first
// (runc and crun put such a container under the root, which has it).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRoot, runts, useSandbox } from '../helpers/sandbox';

const CPU = '/sys/fs/cgroup/cpu';
const hasRt = existsSync(path.join(CPU, 'cpu.rt_runtime_us'));
const PARENT = path.join(CPU, 'runts');

function read(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

/**
 * Puts the parent's budget back. A removed child's group leaves the kernel's
 * tree only once its css is released (after an RCU grace period): until
 * then it still counts, and the write fails with EINVAL.
 */
function restore(file: string, value: string): void {
  for (let i = 0; ; i++) {
    try {
      writeFileSync(file, value);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL' || i >= 200) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

describe.skipIf(!isRoot || !hasRt)('real-time CPU limits under the default cgroup parent', () => {
  const sb = useSandbox();

  it('create gives /runts the budget, the container gets its runtime, and delete removes the container', () => {
    const before = existsSync(PARENT) ? read(path.join(PARENT, 'cpu.rt_runtime_us')) : undefined;
    const ids = [sb.id('rt'), sb.id('rt')];
    try {
      for (const id of ids) {
        const bundle = sb.bundle(id, ['sleep', '60'], (c) => {
          delete c.linux!.cgroupsPath;
          c.linux!.resources = { cpu: { realtimeRuntime: 20000, realtimePeriod: 1000000 } };
        });
        const r = runts(['create', '-b', bundle, id]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(read(path.join(PARENT, id, 'cpu.rt_runtime_us'))).toBe('20000');
        expect(read(path.join(PARENT, id, 'cpu.rt_period_us'))).toBe('1000000');
      }
      // Both children fit: the parent holds at least their sum.
      expect(Number(read(path.join(PARENT, 'cpu.rt_runtime_us')))).toBeGreaterThanOrEqual(40000);
    } finally {
      for (const id of ids) runts(['delete', '--force', id]);
      if (before !== undefined && existsSync(PARENT)) restore(path.join(PARENT, 'cpu.rt_runtime_us'), before);
    }
    for (const id of ids) expect(existsSync(path.join(PARENT, id))).toBe(false);
  });

  it('a runtime above what the root can give fails with the parent, the file and what to do, and leaves nothing', () => {
    const id = sb.id('rt-big');
    const bundle = sb.bundle(id, ['true'], (c) => {
      delete c.linux!.cgroupsPath;
      c.linux!.resources = { cpu: { realtimeRuntime: 990000, realtimePeriod: 1000000 } };
    });
    const r = runts(['create', '-b', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^runts: linux\.resources\.cpu\.realtimeRuntime: cannot give runts' cgroup \/sys\/fs\/cgroup\/cpu[^ ]*\/runts the real-time budget it needs \(write 990000 to \S+\/cpu\.rt_runtime_us: EINVAL\)/);
    expect(existsSync(path.join(PARENT, id))).toBe(false);
  });
});
