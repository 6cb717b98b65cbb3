// pause, resume and ps on real containers (this host: the cgroup v1 freezer),
// and what they change for kill --all and delete --force. Each case runs
// through the native launcher and through Node (RUNTS_NATIVE_VERBS=0): both
// must behave the same.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { isRoot, ROOT, runts, Sandbox, traces, type RunOptions } from '../helpers/sandbox';

const viaNode: RunOptions = { env: { RUNTS_NATIVE_VERBS: '0' } };

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function waitFor(check: () => boolean, ms = 5000): void {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    sleepMs(10);
  }
}

/** A process that is gone or a zombie (what is left of it until its parent reaps it). */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return true;
  }
}

// A counter the host can read through the rootfs, and a child that does nothing.
const COUNTER = 'sleep 1000 & i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done';

const noPidNamespace = (c: OciConfig) => {
  c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'pid');
};

describe.skipIf(!isRoot).each([
  ['native', {} as RunOptions],
  ['node', viaNode],
])('pause, resume, ps (%s)', (_path, via) => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  const cli = (args: string[]) => runts(args, via);
  const state = (id: string) => JSON.parse(runts(['state', id]).stdout) as { status: string; pid: number };
  const freezerFile = (id: string) => JSON.parse(readFileSync(path.join(ROOT, id, 'state.json'), 'utf8')).runts.freezerFile as string;
  const psJson = (id: string) => {
    const r = cli(['ps', '--format', 'json', id]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(r.stdout) as number[];
  };

  /** A bundle whose rootfs the container can write to (the host reads what it writes there). */
  const bundle = (id: string, args: string[], edit?: (c: OciConfig) => void) =>
    sb.bundle(id, args, (c) => {
      c.root!.readonly = false;
      edit?.(c);
    });

  function started(edit?: (c: OciConfig) => void): { id: string; count: () => number } {
    const id = sb.id('ps');
    const dir = bundle(id, ['sh', '-c', COUNTER], edit);
    expect(runts(['run', '-d', '-b', dir, id])).toMatchObject({ code: 0 });
    const file = path.join(dir, 'rootfs/tmp/count');
    const count = () => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim() || 0) : 0);
    waitFor(() => count() > 0 && psJson(id).length >= 2);
    return { id, count };
  }

  it('pause freezes every process and resume lets them go on', () => {
    const { id, count } = started();
    expect(cli(['pause', id])).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
    expect(state(id).status).toBe('paused');
    expect(readFileSync(freezerFile(id), 'utf8')).toBe('FROZEN\n');
    // While paused, the list is stable: nothing forks, nothing exits.
    const pids = psJson(id);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const frozenAt = count();
    sleepMs(400);
    expect(count()).toBe(frozenAt);
    // The kernel shows a frozen task as D (uninterruptible) in v1's freezer.
    for (const pid of pids) expect(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]).toBe('D');
    expect(psJson(id)).toEqual(pids);

    expect(cli(['resume', id])).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
    expect(state(id).status).toBe('running');
    waitFor(() => count() > frozenAt + 2);
  });

  it("refuses the wrong states with runc's words and changes nothing", () => {
    const { id } = started();
    expect(cli(['resume', id])).toMatchObject({ code: 1, stderr: `runts: container not paused: "${id}" is running\n` });
    expect(state(id).status).toBe('running');
    expect(cli(['pause', id]).code).toBe(0);
    expect(cli(['pause', id])).toMatchObject({
      code: 1,
      stderr: `runts: container not running: "${id}" is paused already (\`runts resume ${id}\` resumes it)\n`,
    });
    expect(state(id).status).toBe('paused');
    expect(cli(['start', id])).toMatchObject({ code: 1, stderr: `runts: cannot start a container in the paused state: "${id}" (\`runts resume ${id}\` first)\n` });
    expect(cli(['delete', id])).toMatchObject({ code: 1, stderr: expect.stringContaining('that is not stopped: paused') });
    expect(cli(['resume', id]).code).toBe(0);

    expect(runts(['kill', id, 'KILL']).code).toBe(0);
    waitFor(() => state(id).status === 'stopped');
    expect(cli(['pause', id])).toMatchObject({ code: 1, stderr: `runts: container not running: "${id}" is stopped\n` });
    expect(cli(['resume', id])).toMatchObject({ code: 1, stderr: `runts: container not paused: "${id}" is stopped\n` });
    expect(cli(['pause', 'runts-t-nope'])).toMatchObject({ code: 1, stderr: 'runts: container "runts-t-nope" does not exist\n' });
    expect(cli(['ps', 'runts-t-nope'])).toMatchObject({ code: 1, stderr: 'runts: container "runts-t-nope" does not exist\n' });
  });

  it('pauses a created container, as runc does: resume makes it created again and start runs it', () => {
    const id = sb.id('ps');
    const dir = bundle(id, ['sh', '-c', COUNTER]);
    expect(runts(['create', '-b', dir, id]).code).toBe(0);
    expect(cli(['pause', id]).code).toBe(0);
    expect(state(id).status).toBe('paused');
    expect(cli(['start', id]).code).toBe(1);
    expect(cli(['resume', id]).code).toBe(0);
    expect(state(id).status).toBe('created');
    expect(cli(['start', id]).code).toBe(0);
    expect(state(id).status).toBe('running');
    waitFor(() => existsSync(path.join(dir, 'rootfs/tmp/count')));
  });

  it('ps --format json lists the init and its child; ps prints their ps(1) lines and no others', () => {
    const id = sb.id('ps');
    expect(runts(['run', '-d', '-b', sb.bundle(id, ['sh', '-c', 'sleep 1000 & wait']), id]).code).toBe(0);
    waitFor(() => psJson(id).length === 2);
    const init = state(id).pid;
    const pids = psJson(id);
    expect(pids).toContain(init);
    const child = pids.find((p) => p !== init)!;
    expect(readFileSync(`/proc/${child}/cmdline`, 'utf8')).toBe('sleep\x001000\0');

    for (const args of [['--', '-o', 'pid,comm'], ['-o', 'pid,comm']]) {
      const table = cli(['ps', id, ...args]);
      expect(table).toMatchObject({ code: 0, stderr: '' });
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^\s*PID COMMAND$/);
      expect(lines.slice(1).map((l) => l.trim().split(/\s+/)).sort()).toEqual([[String(init), 'sh'], [String(child), 'sleep']].sort());
    }

    const ef = cli(['ps', id]);
    expect(ef).toMatchObject({ code: 0, stderr: '' });
    const efLines = ef.stdout.trimEnd().split('\n');
    expect(efLines[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(efLines.slice(1).map((l) => Number(l.split(/\s+/)[1])).sort()).toEqual([...pids].sort());
    expect(efLines.find((l) => l.split(/\s+/)[1] === String(init))).toMatch(/ sh -c sleep 1000 & wait$/);

    expect(cli(['ps', id, '-o', 'comm'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^runts: couldn't find PID field in ps output/) });
    const bad = cli(['ps', id, '--bogus-ps-option']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/runts: ps --bogus-ps-option: exit status 1 \(ps said why on stderr\)\n$/);
  });

  it('ps, kill --all and delete reach a cgroup the container made below its own', () => {
    const id = sb.id('ps');
    expect(runts(['run', '-d', '-b', sb.bundle(id, ['sh', '-c', 'sleep 1000 & sleep 1001 & wait'], noPidNamespace), id]).code).toBe(0);
    waitFor(() => psJson(id).length === 3);
    const pids = psJson(id);
    const moved = pids.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\x001001\0')!;
    // What a nested runtime or systemd in the container would do.
    const own = path.dirname(JSON.parse(readFileSync(path.join(ROOT, id, 'state.json'), 'utf8')).runts.procsFile as string);
    mkdirSync(path.join(own, 'sub'));
    writeFileSync(path.join(own, 'sub', 'cgroup.procs'), String(moved));
    expect(readFileSync(path.join(own, 'cgroup.procs'), 'utf8')).not.toContain(`${moved}\n`);
    // runc's order: a lexical walk, so cgroup.procs before sub/.
    expect(psJson(id)).toEqual([...pids.filter((p) => p !== moved), moved]);
    // TERM is sent pid by pid from the listing (SIGKILL would use cgroup.kill).
    expect(cli(['kill', '--all', id, 'TERM']).code).toBe(0);
    waitFor(() => pids.every(gone));
    expect(cli(['delete', id])).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(path.join(own, 'sub'))).toBe(false);
    expect(traces(id)).toEqual([]);
  });

  it('ps of a stopped container is an empty list', () => {
    const { id } = started();
    expect(runts(['kill', id, 'KILL']).code).toBe(0);
    waitFor(() => state(id).status === 'stopped' && psJson(id).length === 0);
    expect(cli(['ps', '-f', 'json', id]).stdout).toBe('[]\n');
  });

  it('kill --all of a paused container kills every process (it thaws after sending)', () => {
    // No pid namespace: the child outlives its init unless it is killed too.
    const { id } = started(noPidNamespace);
    const pids = psJson(id);
    expect(cli(['pause', id]).code).toBe(0);
    expect(cli(['kill', '--all', id, 'KILL']).code).toBe(0);
    waitFor(() => pids.every(gone));
    expect(state(id).status).toBe('stopped');
    expect(cli(['delete', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('kill --all with another signal leaves a paused container thawed, as runc does', () => {
    const id = sb.id('ps');
    const dir = bundle(id, ['sh', '-c', 'trap "echo got > /tmp/term; exit 0" TERM; while :; do sleep 0.05; done']);
    expect(runts(['run', '-d', '-b', dir, id]).code).toBe(0);
    sleepMs(200);
    expect(cli(['pause', id]).code).toBe(0);
    expect(cli(['kill', '--all', id, 'TERM']).code).toBe(0);
    waitFor(() => existsSync(path.join(dir, 'rootfs/tmp/term')));
    waitFor(() => state(id).status === 'stopped');
  });

  it('kill of a paused container with SIGKILL thaws it; another signal waits for resume', () => {
    const id = sb.id('ps');
    const dir = bundle(id, ['sh', '-c', 'trap "echo got > /tmp/usr1; exit 0" USR1; while :; do sleep 0.05; done']);
    expect(runts(['run', '-d', '-b', dir, id]).code).toBe(0);
    sleepMs(200);
    expect(cli(['pause', id]).code).toBe(0);
    expect(cli(['kill', id, 'USR1']).code).toBe(0);
    sleepMs(200);
    expect(state(id).status).toBe('paused');
    expect(existsSync(path.join(dir, 'rootfs/tmp/usr1'))).toBe(false);
    expect(cli(['resume', id]).code).toBe(0);
    waitFor(() => existsSync(path.join(dir, 'rootfs/tmp/usr1')));

    const { id: id2 } = started();
    expect(cli(['pause', id2]).code).toBe(0);
    expect(cli(['kill', id2, 'KILL']).code).toBe(0);
    waitFor(() => state(id2).status === 'stopped');
  });

  it('kill --all of a created container kills its waiting init', () => {
    const id = sb.id('ps');
    expect(runts(['create', '-b', sb.bundle(id, ['true']), id]).code).toBe(0);
    const init = state(id).pid;
    expect(psJson(id)).toEqual([init]);
    expect(cli(['kill', '--all', id, 'KILL']).code).toBe(0);
    waitFor(() => gone(init));
    expect(state(id).status).toBe('stopped');
    expect(cli(['delete', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('delete --force of a paused container leaves nothing: no process, no cgroup, no state', () => {
    for (const edit of [undefined, noPidNamespace]) {
      const { id } = started(edit);
      const pids = psJson(id);
      expect(cli(['pause', id]).code).toBe(0);
      const t0 = Date.now();
      expect(cli(['delete', '--force', id])).toMatchObject({ code: 0, stderr: '' });
      // Before the fix, delete waited 5 s for a frozen init and then failed.
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(traces(id)).toEqual([]);
      waitFor(() => pids.every(gone));
    }
  });

  it('delete --force of a container frozen through the v1 freezer by someone else', () => {
    const { id } = started(noPidNamespace);
    const pids = psJson(id);
    const file = freezerFile(id);
    if (!file.endsWith('/freezer.state')) return; // a cgroup v2 host: test/cgroup-v2 covers it
    writeFileSync(file, 'FROZEN');
    waitFor(() => readFileSync(file, 'utf8') === 'FROZEN\n');
    expect(cli(['delete', '--force', id])).toMatchObject({ code: 0, stderr: '' });
    expect(traces(id)).toEqual([]);
    waitFor(() => pids.every(gone));
  });
});

describe.skipIf(!isRoot)('pause, resume, ps: native and Node agree', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  it('prints the same output and the same errors', () => {
    const id = sb.id('ps');
    expect(runts(['run', '-d', '-b', sb.bundle(id, ['sleep', '60']), id]).code).toBe(0);
    for (const args of [
      ['ps', '--format', 'json', id],
      ['ps', id, '-o', 'pid,args'],
      ['ps', id, '-o', 'args'],
      ['resume', id],
      ['pause', 'runts-t-nope'],
      ['resume', 'runts-t-nope'],
      ['ps', 'runts-t-nope'],
      ['pause', '../x'],
    ]) {
      expect(runts(args, viaNode), args.join(' ')).toEqual(runts(args));
    }
    expect(runts(['pause', id]).code).toBe(0);
    for (const args of [['pause', id], ['ps', '-f', 'json', id]]) expect(runts(args, viaNode), args.join(' ')).toEqual(runts(args));
  });
});
