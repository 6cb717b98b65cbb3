// Bad input and misuse: each gets a clear error (what, where, what to do)
// and leaves no state directory, cgroup, mount or process behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRoot, ROOT, RUNTS, runts, useSandbox, traces } from '../helpers/sandbox';

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe.skipIf(!isRoot)('errors', () => {
  const sb = useSandbox();

  function createFails(id: string, bundle: string, message: RegExp | string, code = 1): string {
    const r = runts(['create', '--bundle', bundle, id]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(traces(id)).toEqual([]);
    return r.stderr;
  }

  it('malformed JSON: where the syntax error is', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['true']);
    writeFileSync(path.join(bundle, 'config.json'), '{\n  "ociVersion": "1.0.0",\n  "root": {"path": "rootfs"}\n  "process": {}\n}');
    createFails(id, bundle, /config\.json is not valid JSON at line 4, column 3: Expected ',' or '}' after property value/);
  });

  it('schema violations: all of them, with JSON paths, before anything is created', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['true'], (c) => {
      (c.process as unknown as Record<string, unknown>).cwd = 42;
      (c.linux!.namespaces as unknown[]).push({ type: 'bogus' });
      (c as unknown as Record<string, unknown>).hostname = ['x'];
    });
    const stderr = createFails(id, bundle, /invalid .*config\.json: 3 problems found, nothing was created/);
    expect(stderr).toContain('  process.cwd: must be a string (got number 42)\n');
    expect(stderr).toContain('  hostname: must be a string (got an array)\n');
    expect(stderr).toMatch(/ {2}linux\.namespaces\[6\]\.type: must be one of .* \(got "bogus"\)\n/);
  });

  it('unsupported ociVersion', () => {
    const id = sb.id();
    createFails(id, sb.bundle(id, ['true'], (c) => (c.ociVersion = '2.0.0')), /ociVersion: version "2\.0\.0" is not supported: runts implements runtime-spec 1\.0\.0 to 1\.3\.x/);
  });

  it('bad ids', () => {
    const bundle = sb.bundle(sb.id(), ['true']);
    for (const [id, message] of [
      ['', /container id must not be empty|Not enough non-option arguments/],
      ['a/b', /invalid container id "a\/b": use only letters, digits and _ \+ , - \. \(no '\/' or spaces\)/],
      ['..', /it must not be '\.' or contain '\.\.'/],
      ['has space', /invalid container id/],
    ] as const) {
      const r = runts(['create', '--bundle', bundle, id]);
      expect(r.code, id).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(path.join(ROOT, 'a'))).toBe(false);
  });

  it('duplicate id: the second create fails and the first container is untouched', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['true']);
    expect(runts(['create', '--bundle', bundle, id]).code).toBe(0);
    const before = readFileSync(path.join(ROOT, id, 'state.json'), 'utf8');
    const r = runts(['create', '--bundle', bundle, id]);
    expect(r).toMatchObject({ code: 1, stderr: `runts: container "${id}" already exists\n` });
    expect(readFileSync(path.join(ROOT, id, 'state.json'), 'utf8')).toBe(before);
    expect(JSON.parse(runts(['state', id]).stdout).status).toBe('created');
  });

  it('two creates of the same id at once: exactly one wins', async () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['true']);
    const results = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<number | null>((resolve) => {
            const c = spawn(RUNTS, ['--root', ROOT, 'create', '--bundle', bundle, id], { stdio: 'ignore' });
            c.on('exit', (code) => resolve(code));
          }),
      ),
    );
    expect(results.filter((c) => c === 0)).toHaveLength(1);
    expect(JSON.parse(runts(['state', id]).stdout).status).toBe('created');
  });

  it('missing rootfs', () => {
    const id = sb.id();
    createFails(id, sb.bundle(id, ['true'], (c) => (c.root!.path = 'nope')), /root\.path: \/.*\/nope does not exist/);
  });

  it('missing bundle and missing config.json', () => {
    const id = sb.id();
    const empty = path.join(sb.dir, 'empty');
    mkdirSync(empty);
    createFails(id, empty, /no config\.json in bundle .*empty \(create one with `runts spec`\)/);
  });

  it('missing args[0]: the message engines map to exit code 127, and create exits with it', () => {
    const id = sb.id();
    createFails(id, sb.bundle(id, ['nonexistent-cmd']), `runts: create container "${id}": exec: "nonexistent-cmd": executable file not found in $PATH\n`, 127);
    const id2 = sb.id();
    createFails(id2, sb.bundle(id2, ['/bin/nope']), /exec: "\/bin\/nope": stat \/bin\/nope: No such file or directory/, 127);
    const id3 = sb.id();
    createFails(id3, sb.bundle(id3, ['/etc/passwd']), /exec: "\/etc\/passwd": permission denied/, 126);
  });

  it('a failure inside the container set-up names the step and the path', () => {
    const id = sb.id();
    createFails(
      id,
      sb.bundle(id, ['true'], (c) => c.mounts!.push({ destination: '/x', type: 'nosuchfs', source: 'none' })),
      /create container ".*": mount nosuchfs on \/x: No such device: the kernel does not know this filesystem type/,
    );
  });

  it('start twice', () => {
    const id = sb.id();
    expect(runts(['create', '-b', sb.bundle(id, ['sleep', '60']), id]).code).toBe(0);
    expect(runts(['start', id]).code).toBe(0);
    expect(runts(['start', id])).toMatchObject({ code: 1, stderr: `runts: cannot start an already running container "${id}"\n` });
  });

  it('start of a container that does not exist, and state/kill/delete alike', () => {
    for (const verb of ['start', 'state', 'kill', 'delete']) {
      expect(runts([verb, 'no-such-container'])).toMatchObject({ code: 1, stderr: 'runts: container "no-such-container" does not exist\n' });
    }
  });

  it('delete while running, then kill of a stopped container', () => {
    const id = sb.id();
    expect(runts(['run', '-d', '-b', sb.bundle(id, ['sleep', '60']), id]).code).toBe(0);
    const r = runts(['delete', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`runts: cannot delete container "${id}" that is not stopped: running (stop it with \`runts kill\`, or use \`runts delete --force\`)\n`);
    expect(JSON.parse(runts(['state', id]).stdout).status).toBe('running');
    expect(runts(['kill', id, 'KILL']).code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(runts(['state', id]).stdout).status !== 'stopped'; i++) sleepMs(10);
    expect(runts(['kill', id])).toMatchObject({ code: 1, stderr: `runts: container not running: "${id}" is stopped\n` });
    expect(runts(['start', id])).toMatchObject({ code: 1, stderr: `runts: cannot start a container that has stopped: "${id}"\n` });
    expect(runts(['delete', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('unknown signal', () => {
    const id = sb.id();
    expect(runts(['create', '-b', sb.bundle(id, ['true']), id]).code).toBe(0);
    expect(runts(['kill', id, 'SIGNOPE'])).toMatchObject({ code: 1, stderr: 'runts: unknown signal "SIGNOPE": use a name such as SIGTERM or KILL, or a number\n' });
  });

  it('--log-format json writes the line engines read', () => {
    const log = path.join(sb.dir, 'log.json');
    const r = runts(['--log', log, '--log-format', 'json', 'state', 'no-such-container']);
    expect(r.code).toBe(1);
    const line = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!);
    expect(line).toEqual({ level: 'error', msg: 'container "no-such-container" does not exist', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    // The same through Node (the launcher hands over every create).
    const id = sb.id();
    const bad = runts(['--log', log, '--log-format', 'json', 'create', '-b', sb.bundle(id, ['nonexistent-cmd']), id]);
    expect(bad.code).toBe(127);
    const last = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!);
    expect(last).toMatchObject({ level: 'error', msg: expect.stringContaining('executable file not found in $PATH') });
  });

  it('refuses --systemd-cgroup and --rootless true, never ignoring them', () => {
    expect(runts(['--systemd-cgroup', 'state', 'x']).stderr).toMatch(/--systemd-cgroup: the systemd cgroup driver is not supported by runts yet/);
    expect(runts(['--rootless', 'true', 'state', 'x']).stderr).toMatch(/--rootless true: rootless containers are not supported/);
  });
});

describe.skipIf(!isRoot)('a create killed with SIGKILL', () => {
  const sb = useSandbox();

  it.each(['claimed', 'recorded', 'cgroups', 'devices', 'launched', 'written'])('at step "%s" leaves nothing delete --force cannot remove', async (step) => {
    const id = sb.id(step);
    const bundle = sb.bundle(id, ['true']);
    const child = spawn(RUNTS, ['--root', ROOT, 'create', '--bundle', bundle, id], {
      stdio: 'ignore',
      env: { ...process.env, RUNTS_TEST_STOP_AT: step },
    });
    for (let i = 0; i < 500 && procState(child.pid!) !== 'T'; i++) sleepMs(10);
    expect(procState(child.pid!)).toBe('T');
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    const del = runts(['delete', '--force', id]);
    expect(del.stderr).toBe('');
    expect(del.code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('at random moments leaves nothing delete --force cannot remove', async () => {
    for (const delay of [2, 8, 15, 22, 28, 35, 45]) {
      const id = sb.id(`t${delay}`);
      const bundle = sb.bundle(id, ['true']);
      const child = spawn(RUNTS, ['--root', ROOT, 'create', '--bundle', bundle, id], { stdio: 'ignore' });
      const exited = new Promise((r) => child.on('exit', r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await exited;
      if (existsSync(path.join(ROOT, id))) {
        const del = runts(['delete', '--force', id]);
        expect(del.code, `${delay} ms: ${del.stderr}`).toBe(0);
      }
      expect(traces(id), `${delay} ms`).toEqual([]);
    }
  });
});
