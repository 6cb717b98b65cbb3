// The five OCI verbs on real containers, through the runts CLI.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostLayout, parseProcCgroup } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { stateSchemaProblems } from '../../src/config/validate-documents';
import { cgroupDirs, isRoot, ROOT, runts, useSandbox, traces } from '../helpers/sandbox';

function waitFor(check: () => boolean, ms = 5000): void {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

function status(id: string): string {
  return JSON.parse(runts(['state', id]).stdout).status;
}

describe.skipIf(!isRoot)('lifecycle', () => {
  const sb = useSandbox();

  it('create → start → kill → delete, with the state at each step', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['sleep', '60'], (c) => (c.annotations = { 'com.example.k': 'v' }));
    const pidFile = path.join(sb.dir, 'pid');
    const created = runts(['create', '--bundle', bundle, '--pid-file', pidFile, id]);
    expect(created).toMatchObject({ code: 0, stderr: '' });

    const state = JSON.parse(runts(['state', id]).stdout);
    expect(stateSchemaProblems(state)).toEqual([]);
    expect(state).toMatchObject({
      ociVersion: '1.3.0',
      id,
      status: 'created',
      bundle,
      rootfs: path.join(bundle, 'rootfs'),
      annotations: { 'com.example.k': 'v' },
    });
    expect(readFileSync(pidFile, 'utf8')).toBe(String(state.pid));
    // The waiting init is runts-init from a sealed memfd, not a host file.
    expect(readFileSync(`/proc/${state.pid}/cmdline`, 'utf8')).toMatch(/^runts-init\0sync=\d+\0fifo=\d+\0$/);
    expect(readlinkSync(`/proc/${state.pid}/exe`)).toBe('/memfd:runts-init (deleted)');
    expect(cgroupDirs(id).length).toBeGreaterThan(0);

    expect(runts(['start', id])).toMatchObject({ code: 0 });
    expect(status(id)).toBe('running');
    expect(readFileSync(`/proc/${state.pid}/cmdline`, 'utf8')).toBe('sleep\x0060\0');

    expect(runts(['kill', id, 'KILL'])).toMatchObject({ code: 0 });
    waitFor(() => status(id) === 'stopped');
    expect(JSON.parse(runts(['state', id]).stdout).pid).toBe(0);

    expect(runts(['delete', id])).toMatchObject({ code: 0 });
    expect(traces(id)).toEqual([]);
    expect(runts(['state', id])).toMatchObject({ code: 1, stderr: `runts: container "${id}" does not exist\n` });
  });

  it('run returns the exit code of the container', () => {
    expect(sb.run(['sh', '-c', 'exit 7'])).toMatchObject({ code: 7 });
    expect(sb.run(['true'])).toMatchObject({ code: 0 });
  });

  it('run returns 128+signal when the container is killed', () => {
    expect(sb.run(['sh', '-c', 'kill -9 $$'], (c) => c.linux!.namespaces!.splice(0, 1))).toMatchObject({ code: 137 });
  });

  it('run passes stdio through untouched', () => {
    const r = sb.run(['sh', '-c', 'read line; echo "got $line"; echo err >&2'], undefined, { input: 'hello\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'got hello\n' });
    expect(r.stderr).toContain('err\n');
  });

  it('run leaves nothing behind', () => {
    const r = sb.run(['true']);
    expect(r.code).toBe(0);
    expect(traces(r.id)).toEqual([]);
  });

  it('run --detach leaves the container running', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['sleep', '60']);
    expect(runts(['run', '--detach', '--bundle', bundle, id])).toMatchObject({ code: 0 });
    expect(status(id)).toBe('running');
    expect(runts(['delete', '--force', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('kill sends SIGTERM by default and understands names and numbers', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['sh', '-c', 'trap "exit 3" TERM; trap "exit 4" USR1; while :; do sleep 0.1; done']);
    expect(runts(['run', '-d', '-b', bundle, id]).code).toBe(0);
    waitFor(() => status(id) === 'running');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    expect(runts(['kill', id]).code).toBe(0);
    waitFor(() => status(id) === 'stopped');
    const id2 = sb.id();
    expect(runts(['run', '-d', '-b', sb.bundle(id2, ['sh', '-c', 'trap "exit 4" USR1; while :; do sleep 0.1; done']), id2]).code).toBe(0);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    expect(runts(['kill', id2, '10']).code).toBe(0);
    waitFor(() => status(id2) === 'stopped');
  });

  it('kill --all signals every process of the container', () => {
    const id = sb.id();
    // No pid namespace: killing the init alone would leave the child running.
    const bundle = sb.bundle(id, ['sh', '-c', 'sleep 60 & sleep 60'], (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'pid');
    });
    expect(runts(['run', '-d', '-b', bundle, id]).code).toBe(0);
    const procs = () => readFileSync(path.join(cgroupDirs(id)[0]!, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean);
    waitFor(() => procs().length >= 2);
    expect(runts(['kill', '--all', id, 'KILL']).code).toBe(0);
    waitFor(() => procs().length === 0);
    expect(status(id)).toBe('stopped');
  });

  it('kill of a created container stops it', () => {
    const id = sb.id();
    expect(runts(['create', '-b', sb.bundle(id, ['true']), id]).code).toBe(0);
    expect(runts(['kill', id, 'TERM']).code).toBe(0);
    waitFor(() => status(id) === 'stopped');
  });

  it('delete of a created container kills its waiting init', () => {
    const id = sb.id();
    expect(runts(['create', '-b', sb.bundle(id, ['true']), id]).code).toBe(0);
    const pid = JSON.parse(runts(['state', id]).stdout).pid as number;
    expect(runts(['delete', id]).code).toBe(0);
    expect(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('runts-init')).toBe(false);
    expect(traces(id)).toEqual([]);
  });

  it('places the container in /runts/<id> by default, in every hierarchy of the host, and removes it at delete', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['sleep', '60'], (c) => delete c.linux!.cgroupsPath);
    expect(runts(['create', '-b', bundle, id]).code).toBe(0);
    const pid = JSON.parse(runts(['state', id]).stdout).pid;
    // Where the layout (v1, v2 or hybrid) says the container's cgroups are.
    const layout = hostLayout();
    const dirs = placeContainer(layout, undefined, id).dirs;
    expect(dirs.length).toBe(layout.hierarchies.length);
    const own = parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    for (const d of dirs) {
      expect(own.get(d.hierarchy), d.hierarchy || 'unified').toBe(`/runts/${id}`);
      expect(existsSync(d.dir), d.dir).toBe(true);
    }
    expect(runts(['delete', '--force', id]).code).toBe(0);
    for (const d of dirs) expect(existsSync(d.dir), d.dir).toBe(false);
  });

  it('lists containers as a table and as JSON', () => {
    const id = sb.id();
    expect(runts(['create', '-b', sb.bundle(id, ['true']), id]).code).toBe(0);
    const table = runts(['list']).stdout.split('\n');
    expect(table[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
    expect(table.some((l) => l.startsWith(id) && /\screated\s/.test(l))).toBe(true);
    const json = JSON.parse(runts(['list', '--format', 'json']).stdout) as { id: string; status: string }[];
    expect(json.find((s) => s.id === id)?.status).toBe('created');
    expect(runts(['list', '-q']).stdout.split('\n')).toContain(id);
  });

  it('keeps state under --root', () => {
    const id = sb.id();
    expect(runts(['create', '-b', sb.bundle(id, ['true']), id]).code).toBe(0);
    expect(existsSync(path.join(ROOT, id, 'state.json'))).toBe(true);
    expect(existsSync(path.join(ROOT, id, 'exec.fifo'))).toBe(true);
  });
});
