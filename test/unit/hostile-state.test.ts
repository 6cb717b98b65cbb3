// Damaged and edited state.json, against the native verbs on a temporary
// --root (no container, no root needed): every verb names the damage, none
// hangs or reads without bound, and no path or pid from the record is acted
// on unless it is the container's.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { native } from '../../src/native/binding';
import type { StateRecord } from '../../src/state/record';
import { writeRecord } from '../../src/state/store';
import { unconfinedCgroupPaths } from '../helpers/unconfined-paths';

let root: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'runts-unit-ho-state-'));
});
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
  rmSync(root, { recursive: true, force: true });
});

function sound(id: string, over: Partial<StateRecord['runts']> = {}, pid = 0, startTime = '0'): StateRecord {
  return {
    ociVersion: '1.3.0',
    id,
    status: 'created',
    pid,
    bundle: '/b',
    rootfs: '/b/rootfs',
    created: '2026-01-02T03:04:05.000Z',
    owner: '',
    runts: { version: 1, pidStartTime: startTime, creatorPid: 1, creatorStartTime: '0', cgroups: [], needsNodeFor: [], ...over },
  };
}

function dirWith(id: string, content: string | ((file: string) => void)): string {
  const dir = path.join(root, id);
  mkdirSync(dir);
  const file = path.join(dir, 'state.json');
  if (typeof content === 'string') writeFileSync(file, content);
  else content(file);
  return dir;
}

async function sleeper(): Promise<{ pid: number; startTime: string }> {
  child = spawn('sleep', ['60'], { stdio: 'ignore' });
  await new Promise((r) => child!.once('spawn', r));
  return { pid: child.pid!, startTime: native().procStartTime(child.pid!)! };
}

const verbs = (id: string) => [
  () => native().state(root, id),
  () => native().start(root, id),
  () => native().kill(root, id, 'KILL', false),
  () => native().kill(root, id, 'KILL', true),
  () => native().delete(root, id, false),
];

describe('a damaged state.json', () => {
  it.each([
    ['empty', '', /it is not valid JSON/],
    ['garbage', '\u0001\u0002garbage', /it is not valid JSON/],
    ['null', 'null', /the record is not a JSON object/],
    ['an array', '[1]', /the record is not a JSON object/],
    ['a wrong status', JSON.stringify({ ...sound('ho-damaged'), status: 42 }), /status is not "creating" or "created"/],
    ['a pid that is a string', JSON.stringify({ ...sound('ho-damaged'), pid: '12' }), /pid is not a pid/],
    ['a negative pid', JSON.stringify({ ...sound('ho-damaged'), pid: -1 }), /pid is not a pid/],
    ['no private section', JSON.stringify({ ...sound('ho-damaged'), runts: 'x' }), /runts is not an object/],
    ['cgroups that are not a list', JSON.stringify(sound('ho-damaged', { cgroups: 'x' as never })), /runts\.cgroups is not an array/],
    ['a cgroup without a path', JSON.stringify(sound('ho-damaged', { cgroups: [{ created: true } as never] })), /runts\.cgroups\[0\]\.path is missing/],
  ])('%s: every verb names it, delete --force removes it', (_what, text, damage) => {
    const id = 'ho-damaged';
    dirWith(id, text);
    for (const verb of verbs(id)) {
      expect(verb).toThrow(/state file .*ho-damaged\/state\.json is damaged: /);
      expect(verb).toThrow(damage);
      expect(verb).toThrow(/`runts delete --force ho-damaged` removes the container/);
    }
    native().delete(root, id, true);
    expect(existsSync(path.join(root, id))).toBe(false);
  });

  it('a state.json that is a symlink to /dev/zero, a FIFO or a huge file: refused at once', () => {
    const cases: [string, (file: string) => void, RegExp][] = [
      ['ho-zero', (f) => symlinkSync('/dev/zero', f), /it is a symlink/],
      ['ho-fifo', (f) => execFileSync('mkfifo', [f]), /it is a FIFO, not a regular file/],
      ['ho-huge', (f) => execFileSync('truncate', ['-s', '17M', f]), /above runts' limit of 16 MiB/],
    ];
    for (const [id, make, message] of cases) {
      dirWith(id, make);
      const t0 = Date.now();
      expect(() => native().state(root, id)).toThrow(message);
      expect(Date.now() - t0).toBeLessThan(1000);
      native().delete(root, id, true);
      expect(existsSync(path.join(root, id))).toBe(false);
    }
  });

  it('a missing state.json: delete removes the directory', () => {
    mkdirSync(path.join(root, 'ho-half'));
    native().delete(root, 'ho-half', false);
    expect(existsSync(path.join(root, 'ho-half'))).toBe(false);
  });
});

describe('paths and pids read back from state.json are confined', () => {
  const mount = hostLayout().hierarchies[0]?.mountPoint ?? '/sys/fs/cgroup';

  it.each([
    ...unconfinedCgroupPaths(mount),
    ['/run/runts-unit-ho/x', /is not below a cgroup mount of this host/],
  ])('a cgroup path %s is refused', (p, why) => {
    const id = 'ho-edited';
    const dir = path.join(root, id);
    mkdirSync(dir);
    writeRecord(dir, sound(id, { cgroups: [{ path: p, created: true }] }));
    // kill and delete act on cgroups: they check against the host's mounts;
    // state and start only check that the path is clean.
    expect(() => native().kill(root, id, 'KILL', true)).toThrow(why);
    expect(() => native().delete(root, id, false)).toThrow(/is damaged: runts\.cgroups\[0\]\.path /);
    if (/clean/.test(why.source)) expect(() => native().state(root, id)).toThrow(why);
    else expect(JSON.parse(native().state(root, id)).status).toBe('stopped');
    native().delete(root, id, true);
    expect(existsSync(path.join(root, id))).toBe(false);
  });

  it('a cgroup that holds runts itself (its own, or an ancestor of it) is refused', () => {
    const h = hostLayout().hierarchies.find((x) => x.mountRoot === '/' && x.ownPath !== '/');
    if (!h) return; // runts runs in the root cgroup of every hierarchy here
    const top = h.ownPath.split('/')[1]!;
    for (const p of [path.join(h.mountPoint, h.ownPath), path.join(h.mountPoint, top)]) {
      const id = 'ho-own';
      const dir = path.join(root, id);
      mkdirSync(dir);
      writeRecord(dir, sound(id, { cgroups: [{ path: p, created: true }] }));
      expect(() => native().kill(root, id, 'KILL', true)).toThrow(/holds runts' own process/);
      native().delete(root, id, true);
      expect(existsSync(p)).toBe(true);
    }
  });

  it('procsFile, killFile and freezerFile must be files of the recorded cgroups', () => {
    const cg = path.join(mount, 'runts-unit-ho-nonexistent');
    for (const [field, value] of [
      ['procsFile', '/sys/fs/cgroup/cgroup.procs'],
      ['killFile', `${cg}/cgroup.procs`],
      ['freezerFile', '/etc/passwd'],
    ] as const) {
      const id = `ho-file-${field}`;
      const dir = path.join(root, id);
      mkdirSync(dir);
      writeRecord(dir, sound(id, { cgroups: [{ path: cg, created: true }], [field]: value }));
      expect(() => native().kill(root, id, 'KILL', true)).toThrow(new RegExp(`runts\\.${field} ".*" is not a file of the container's own cgroups`));
      native().delete(root, id, true);
    }
  });

  it("a pid that is not in the container's cgroups is never signalled", async () => {
    const { pid, startTime } = await sleeper();
    const cg = path.join(mount, 'runts-unit-ho-nonexistent');
    const id = 'ho-pid';
    const dir = path.join(root, id);
    mkdirSync(dir);
    writeRecord(dir, sound(id, { cgroups: [{ path: cg, created: true }] }, pid, startTime));
    expect(JSON.parse(native().state(root, id)).status).toBe('running');
    expect(() => native().kill(root, id, 'KILL', false)).toThrow(/container not running/);
    native().delete(root, id, true);
    expect(existsSync(dir)).toBe(false);
    expect(native().procStartTime(pid)).toBe(startTime);
  });

  it('an id with control characters is escaped in the message', () => {
    for (const [id, shown] of [
      ['a\nlevel=error msg=forged', '"a\\nlevel=error msg=forged"'],
      ['x\u001b[31mred', '"x\\u001b[31mred"'],
      ['c1\u0085', '"c1\\u0085"'],
      ['del\u007f', '"del\\u007f"'],
    ]) {
      const message = native().validateContainerId(id!);
      expect(message).toContain(`invalid container id ${shown}`);
      expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
  });

  it("ids: runc's rule, ',' included (its [\\w+-\\.] is a range from '+' to '.')", () => {
    expect(native().validateContainerId('a,b')).toBeNull();
    expect(native().validateContainerId('a+b-c.d_e')).toBeNull();
    expect(native().validateContainerId('a*b')).toMatch(/invalid container id "a\*b"/);
  });
});

describe('a tampered state directory', () => {
  it('start does not write into an exec.fifo replaced by a file or a symlink', async () => {
    const { pid, startTime } = await sleeper();
    const target = path.join(root, 'target');
    writeFileSync(target, 'unchanged');
    for (const [id, make] of [
      ['ho-fifo-file', (f: string) => writeFileSync(f, '')],
      ['ho-fifo-link', (f: string) => symlinkSync(target, f)],
    ] as const) {
      const dir = path.join(root, id);
      mkdirSync(dir);
      writeRecord(dir, sound(id, {}, pid, startTime));
      make(path.join(dir, 'exec.fifo'));
      expect(JSON.parse(native().state(root, id)).status).toBe('created');
      expect(() => native().start(root, id)).toThrow(/open exec fifo .*exec\.fifo: (Invalid argument: it is not a FIFO|Too many levels of symbolic links)/);
    }
    expect(readFileSync(target, 'utf8')).toBe('unchanged');
  });

  it('a lock replaced by a symlink is not followed', () => {
    const id = 'ho-lock';
    const dir = path.join(root, id);
    mkdirSync(dir);
    writeRecord(dir, sound(id));
    const target = path.join(root, 'created-by-lock');
    symlinkSync(target, path.join(dir, 'lock'));
    expect(() => native().delete(root, id, true)).toThrow(/open lock .*: Too many levels of symbolic links/);
    expect(existsSync(target)).toBe(false);
  });

  it('a state.json that is a directory: damaged, and delete --force removes it', () => {
    const id = 'ho-dir';
    dirWith(id, (f) => mkdirSync(f));
    expect(() => native().state(root, id)).toThrow(/it is a directory, not a regular file/);
    native().delete(root, id, true);
    expect(existsSync(path.join(root, id))).toBe(false);
  });
});

describe('the native default placement agrees with src/cgroups/placement.ts', () => {
  it('for /runts/<id> on this host', () => {
    const ts = placeContainer(hostLayout(), undefined, 'ho-agree');
    const nat = native().defaultCgroupPlacement('ho-agree');
    expect(nat.dirs).toEqual(ts.dirs.map((d) => d.dir));
    expect(nat.procsFile).toBe(ts.procsFile ?? '');
    expect(nat.freezerFile).toBe(ts.freezerFile ?? '');
    // cgroup.kill is recorded only where it exists: here it is looked up in the unified parent.
    expect(nat.killFile).toBe('');
  });
});
