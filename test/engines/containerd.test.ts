// containerd 1.6 through ctr and its runc shim (io.containerd.runc.v2 with
// --runc-binary) driving the runtime under test (RUNTS_ENGINE_RUNTIME: runts,
// the default, or runc). A private containerd per file; see docs/engines.md.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ContainerdEnv, IMAGE } from './helpers/containerd';
import { show, waitFor } from './helpers/exec';
import { machineGap, RUNTIME } from './helpers/runtime';

const gap = machineGap(['containerd', 'ctr', 'containerd-shim-runc-v2', 'script']);

let counter = 0;

describe.skipIf(gap !== undefined)(`containerd (ctr) with ${RUNTIME.name} (${RUNTIME.path})`, () => {
  let cd: ContainerdEnv;

  beforeAll(async () => {
    cd = await ContainerdEnv.start(path.join(inject('templateBundle'), 'rootfs'), {
      cri: false,
      namespace: `runts-test-engines-${process.pid}`,
    });
  });
  afterAll(async () => {
    await cd?.teardown();
  });

  // A failed step shows what containerd logged (the shim's errors from the runtime's --log).
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`containerd log (last lines):\n${cd?.log().split('\n').slice(-15).join('\n')}`);
  });

  const id = (tag: string): string => `engines-${tag}-${process.pid}-${++counter}`;

  /** A detached container running command (default: sleep); returns its id. */
  const detached = (tag: string, command = ['sleep', '1000']): string => {
    const c = id(tag);
    const r = cd.ctr(['run', '-d', ...cd.runArgs(c), IMAGE, c, ...command]);
    expect(r.code, show(r)).toBe(0);
    return c;
  };

  /** The task's row of `ctr task ls`: [id, pid, status]. */
  const task = (c: string): string[] | undefined =>
    cd
      .ctr(['tasks', 'list'])
      .stdout.split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((cols) => cols[0] === c);

  it('run: output and exit code', () => {
    const c = id('run');
    const r = cd.ctr(['run', '--rm', ...cd.runArgs(c), IMAGE, c, 'sh', '-c', 'echo hello; echo oops >&2; exit 3']);
    expect(r.code, show(r)).toBe(3);
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toBe('oops\n');
  });

  it('run -d: the task runs detached', () => {
    const c = detached('detach');
    const row = task(c);
    expect(row?.[2], JSON.stringify(row)).toBe('RUNNING');
    expect(readFileSync(`/proc/${row?.[1]}/cmdline`, 'utf8')).toBe('sleep\u00001000\u0000');
    // The shim ran the runtime under test, with the test's state root.
    const info = JSON.parse(cd.ctr(['containers', 'info', c]).stdout) as { Runtime: { Options: { value: string } } };
    // The shim's options (containerd.runc.v1.Options, protobuf) hold BinaryName and Root as plain strings.
    const options = Buffer.from(info.Runtime.Options.value, 'base64').toString('latin1');
    expect(options).toContain(RUNTIME.path);
    expect(existsSync(path.join(cd.runtimeState(c), 'state.json'))).toBe(true);
  });

  it('run --null-io: the exit code, no output', () => {
    const c = id('nullio');
    const r = cd.ctr(['run', '--rm', '--null-io', ...cd.runArgs(c), IMAGE, c, 'sh', '-c', 'echo hello; echo oops >&2; exit 5']);
    expect(r.code, show(r)).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });

  it('task exec: output and exit code', () => {
    const c = detached('exec');
    const r = cd.ctr(['tasks', 'exec', ...cd.execArgs, '--exec-id', 'e1', c, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; exit 6']);
    expect(r.code, show(r)).toBe(6);
    expect(r.stdout).toBe('sleep 1000 \n');
  });

  it('task exec -t: the process has a terminal', () => {
    const c = detached('exect');
    const r = cd.ctrOnPty(['tasks', 'exec', ...cd.execArgs, '-t', '--exec-id', 'e2', c, 'sh', '-c', 'tty && test -t 0 && echo yes']);
    expect(r.code, show(r)).toBe(0);
    // script's end of input may be echoed (^@) between the writes of the output.
    const out = r.stdout.replaceAll('^@', '');
    expect(out).toMatch(/^\/dev\/pts\/\d+\r*\nyes\r*$/m);
  });

  it('task pause and resume', () => {
    const c = detached('pause');
    const paused = cd.ctr(['tasks', 'pause', c]);
    expect(paused.code, show(paused)).toBe(0);
    expect(task(c)?.[2]).toBe('PAUSED');
    const resumed = cd.ctr(['tasks', 'resume', c]);
    expect(resumed.code, show(resumed)).toBe(0);
    expect(task(c)?.[2]).toBe('RUNNING');
  });

  it('task ps: the processes of the container', () => {
    const c = detached('ps', ['sh', '-c', 'sleep 1000 & exec sleep 1001']);
    const pid = task(c)?.[1];
    const r = cd.ctr(['tasks', 'ps', c]);
    expect(r.code, show(r)).toBe(0);
    const pids = r.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/)[0])
      .filter(Boolean);
    expect(pids).toContain(pid);
    expect(pids.length).toBe(2);
  });

  it('task metrics: the cgroup figures of the container', () => {
    const c = detached('metrics');
    const r = cd.ctr(['tasks', 'metrics', c]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/memory\.usage_in_bytes\s+[1-9]\d*/);
    expect(r.stdout).toMatch(/pids\.current\s+1\b/);
  });

  it('task kill: SIGTERM to a task that handles it, its exit code on delete', async () => {
    const c = detached('kill', ['sh', '-c', 'trap "exit 9" TERM; while :; do sleep 0.1; done']);
    const r = cd.ctr(['tasks', 'kill', c]);
    expect(r.code, show(r)).toBe(0);
    expect(await waitFor(() => task(c)?.[2] === 'STOPPED', 10_000)).toBe(true);
    // ctr 1.6 tells the exit code in a warning (and exits 0).
    const del = cd.ctr(['tasks', 'delete', c]);
    expect(del.code, show(del)).toBe(0);
    expect(del.stderr).toContain('exit with non-zero exit code 9');
  });

  it('task delete and container delete: nothing left of the container', async () => {
    const c = detached('delete');
    const kill = cd.ctr(['tasks', 'kill', '--signal', 'SIGKILL', c]);
    expect(kill.code, show(kill)).toBe(0);
    expect(await waitFor(() => task(c)?.[2] === 'STOPPED', 10_000)).toBe(true);
    const del = cd.ctr(['tasks', 'delete', c]);
    expect(del.code, show(del)).toBe(0);
    expect(del.stderr).toContain('exit with non-zero exit code 137');
    const rm = cd.ctr(['containers', 'delete', c]);
    expect(rm.code, show(rm)).toBe(0);
    expect(task(c)).toBeUndefined();
    expect(cd.ctr(['containers', 'list', '--quiet']).stdout.split('\n')).not.toContain(c);
    expect(existsSync(cd.runtimeState(c))).toBe(false);
  });
});
