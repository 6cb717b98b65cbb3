// delete --force of a container whose process cannot die (frozen in a
// freezer cgroup someone else made, as a process stuck in D state): runc
// logs what it could not remove and still deletes, crun warns; so does
// runts, so that `podman rm -f` does not fail forever (crun's test suite,
// test_simple_delete). Without --force nothing changes.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupDirs, isRoot, ROOT, runts, useSandbox } from '../helpers/sandbox';

const FREEZER = '/sys/fs/cgroup/freezer';
const viaNode = { env: { RUNTS_NATIVE_VERBS: '0' } };

function waitFor(test: () => boolean, what: string): void {
  for (let i = 0; i < 500; i++) {
    if (test()) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!isRoot || !existsSync(path.join(FREEZER, 'cgroup.procs')))('delete --force of a container that cannot die', () => {
  const sb = useSandbox();

  for (const [name, opts] of [['native', {}], ['node', viaNode]] as const) {
    it(`${name}: removes the record, warns about the busy cgroup, exits 0`, { timeout: 90_000 }, () => {
      const id = sb.id('busy');
      const frozen = path.join(FREEZER, `runts-test-busy-${process.pid}-${name}`);
      expect(runts(['create', '-b', sb.bundle(id, ['sleep', '1000']), id]).code).toBe(0);
      expect(runts(['start', id]).code).toBe(0);
      const pid = (JSON.parse(runts(['state', id]).stdout) as { pid: number }).pid;
      mkdirSync(frozen);
      try {
        writeFileSync(path.join(frozen, 'cgroup.procs'), String(pid));
        writeFileSync(path.join(frozen, 'freezer.state'), 'FROZEN');
        waitFor(() => readFileSync(path.join(frozen, 'freezer.state'), 'utf8').trim() === 'FROZEN', 'the freeze');
        const refused = runts(['delete', id], opts);
        expect(refused.code).toBe(1);
        expect(existsSync(path.join(ROOT, id))).toBe(true);
        // The kill, the wait for the exit and the removal's retries take
        // ~12 s before delete gives the cgroup up.
        const r = runts(['delete', '--force', id], { ...opts, timeout: 60_000 });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/^runts: warning: remove cgroup \/sys\/fs\/cgroup\/\S+: Device or resource busy.*the container's record is removed anyway/);
        expect(existsSync(path.join(ROOT, id))).toBe(false);
        expect(cgroupDirs(id).length).toBeGreaterThan(0);
      } finally {
        // Thawed, the process takes the SIGKILL delete sent it; then its
        // cgroups (and ours) can go.
        writeFileSync(path.join(frozen, 'freezer.state'), 'THAWED');
        waitFor(() => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z', 'the process to end');
        waitFor(() => readFileSync(path.join(frozen, 'cgroup.procs'), 'utf8').trim() === '', 'the frozen cgroup to empty');
        rmdirSync(frozen);
        for (const dir of cgroupDirs(id).reverse()) rmdirSync(dir);
      }
    });
  }
});
