// The C++ side of ps, pause and resume without cgroups: runc's filter of a
// ps(1) table (addon/common/ps-table.cc) and the errors of the verbs on a
// temporary --root whose records have no freezer or no cgroup.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { native } from '../../src/native/binding';
import { useTempStateRoot } from '../helpers/temp-state-root';

describe('the ps table filter', () => {
  const psEf = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 Dec01 ?        00:00:03 /sbin/init',
    'root         812       1  0 Dec01 ?        00:00:00 sh -c sleep 1000 & wait',
    'root         813     812  0 Dec01 ?        00:00:00 sleep 1000',
    'root        8120       1  0 Dec01 ?        00:00:00 sleep 8120',
    '',
  ].join('\n');

  it('keeps the header and the lines of the given pids, in ps order', () => {
    const lines = psEf.split('\n');
    expect(native().filterPsTable(psEf, [813, 812])).toBe(`${lines[0]}\n${lines[2]}\n${lines[3]}\n`);
  });

  it('matches the PID column only: a pid elsewhere on the line (PPID, args) does not count', () => {
    const lines = psEf.split('\n');
    expect(native().filterPsTable(psEf, [1])).toBe(`${lines[0]}\n${lines[1]}\n`);
    expect(native().filterPsTable(psEf, [8120])).toBe(`${lines[0]}\n${lines[4]}\n`);
    expect(native().filterPsTable(psEf, [])).toBe(`${lines[0]}\n`);
  });

  it('finds the PID column wherever ps puts it', () => {
    const out = 'COMMAND  PID STAT\nsh       812 Ss\nsleep    813 S\ninit       1 Ss\n';
    expect(native().filterPsTable(out, [812, 1])).toBe('COMMAND  PID STAT\nsh       812 Ss\ninit       1 Ss\n');
  });

  it('skips empty lines and keeps the header even without a trailing newline', () => {
    expect(native().filterPsTable('  PID CMD\n\n  7 x\n\n  8 y', [8])).toBe('  PID CMD\n  8 y\n');
  });

  it('fails without a PID column, as runc does', () => {
    expect(() => native().filterPsTable('COMMAND\nsh\n', [1])).toThrow(/couldn't find PID field in ps output: its first line is "COMMAND"/);
    expect(() => native().filterPsTable('', [1])).toThrow(/couldn't find PID field/);
    // PPID is not PID.
    expect(() => native().filterPsTable('PPID CMD\n1 sh\n', [1])).toThrow(/couldn't find PID field/);
  });

  it('fails on a line whose PID field is not a pid', () => {
    expect(() => native().filterPsTable('  PID CMD\nabc sh\n', [1])).toThrow(/unable to parse pid in ps output line "abc sh": column 1 is not a pid/);
    expect(() => native().filterPsTable('CMD STAT PID\nsh S\n', [1])).toThrow(/unable to parse pid.*column 3/);
    expect(() => native().filterPsTable('  PID CMD\n-5 sh\n', [1])).toThrow(/unable to parse pid/);
  });

  it('quotes control characters of a line it names', () => {
    expect(() => native().filterPsTable('PID\n\x1b[2Jx\n', [1])).toThrow(/line "\\u001b\[2Jx"/);
  });
});

describe('pause, resume and ps on records without a freezer or cgroup', () => {
  const state = useTempStateRoot('runts-unit-pause-');
  let root = '';
  beforeEach(() => {
    root = state.root;
  });

  async function container(id: string, alive: boolean): Promise<void> {
    const { pid, startTime } = await state.sleeper();
    state.record(id, pid, alive ? startTime : '1', { bundle: '/b', rootfs: '/b/rootfs' });
  }

  it('pause of a running container without a freezer says so and changes nothing', async () => {
    await container('c1', true);
    expect(() => native().pause(root, 'c1')).toThrow(
      'cannot pause container "c1": it has no freezer cgroup (this host has neither the cgroup v1 freezer controller nor cgroup v2)',
    );
    expect(JSON.parse(native().state(root, 'c1')).status).toBe('running');
  });

  it("uses runc's words for the wrong states", async () => {
    await container('c1', false);
    expect(() => native().pause(root, 'c1')).toThrow('container not running: "c1" is stopped');
    expect(() => native().resume(root, 'c1')).toThrow('container not paused: "c1" is stopped');
    await container('c2', true);
    expect(() => native().resume(root, 'c2')).toThrow('container not paused: "c2" is running');
  });

  it('fails for a missing container, a bad id, and a half-created one', () => {
    for (const verb of ['pause', 'resume', 'processes'] as const) {
      expect(() => native()[verb](root, 'nope')).toThrow('container "nope" does not exist');
      expect(() => native()[verb](root, '../x')).toThrow(/invalid container id/);
    }
    mkdirSync(path.join(root, 'half'));
    for (const verb of ['pause', 'resume', 'processes'] as const) {
      expect(() => native()[verb](root, 'half')).toThrow(/"half" has no state yet/);
    }
  });

  it('ps of a container without a cgroup says so', async () => {
    await container('c1', true);
    expect(() => native().processes(root, 'c1')).toThrow('container "c1" has no cgroup to list its processes (ps needs one)');
  });
});
