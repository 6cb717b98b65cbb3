// The cgroup list (<root>/<id>/cgroups.json, src/state/contract.ts CGROUP_LIST)
// against the native reader (addon/common/cgroup-list.cc): the list create
// writes is taken; a field missing, mistyped or unknown, another
// container's id, or a path outside this host's cgroup mounts makes the
// reader ignore the whole list and say why. And delete --force of a
// container whose state.json is damaged finds its cgroups through the list.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCgroups } from '../../src/cgroups/create';
import { hostLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { native } from '../../src/native/binding';
import { CGROUP_LIST } from '../../src/state/contract';
import type { CgroupList } from '../../src/state/record';
import { writeCgroupList } from '../../src/state/store';
import { countFields, isRequired, sites, unexercised, wrongValue, type Json } from '../helpers/contract-mutations';
import { unconfinedCgroupPaths } from '../helpers/unconfined-paths';

const ID = 'list-c1';
const layout = hostLayout();
// Confined like a real list: below a cgroup mount of this host, not above runts' own cgroup.
const mount = layout.hierarchies[0]?.mountPoint ?? '/sys/fs/cgroup';
const cgroup = `${mount}/runts-list-test/${ID}`;
const isRoot = process.getuid?.() === 0;

function fullList(): Record<string, Json> {
  const list: CgroupList = { version: 1, id: ID, cgroups: [{ path: cgroup, created: true }] };
  return JSON.parse(JSON.stringify(list)) as Record<string, Json>;
}

const check = (list: unknown, id = ID) => native().checkCgroupList(id, typeof list === 'string' ? list : JSON.stringify(list));

describe('cgroup list contract', () => {
  const list = fullList();
  const all = sites(CGROUP_LIST, list);

  it('the reader takes the list create writes', () => {
    expect(check(list)).toBeNull();
    expect(check({ ...list, cgroups: [] })).toBeNull();
  });

  it('the sample list exercises every field of the contract', () => {
    expect(unexercised(CGROUP_LIST, list)).toEqual([]);
    expect(all.length).toBe(countFields(CGROUP_LIST));
  });

  it.each(all.filter((s) => isRequired(s.field)).map((s) => [s.path, s] as const))('ignores the list without %s', (p, site) => {
    const saved = site.parent[site.key]!;
    delete site.parent[site.key];
    try {
      expect(check(list)).toContain(`${p} is missing`);
    } finally {
      site.parent[site.key] = saved;
    }
  });

  it.each(all.map((s) => [s.path, s] as const))('ignores the list with a wrong type at %s', (p, site) => {
    const saved = site.parent[site.key]!;
    site.parent[site.key] = wrongValue(site.field);
    try {
      expect(check(list)).toContain(p.replace(/\[0\]$/, ''));
    } finally {
      site.parent[site.key] = saved;
    }
  });

  it.each([
    ['(top)', (r: Record<string, Json>) => r],
    ['cgroups[0]', (r: Record<string, Json>) => (r as { cgroups: Record<string, Json>[] }).cgroups[0]!],
  ] as const)('ignores the list with an unknown field in %s', (where, pick) => {
    const target = pick(list);
    target.bogus = 1;
    try {
      expect(check(list)).toContain(`${where === '(top)' ? '' : `${where}.`}"bogus" is not a field runts writes`);
    } finally {
      delete target.bogus;
    }
  });

  it('ignores text that is not a JSON object, and a version other than 1', () => {
    expect(check('not json')).toMatch(/^it is not valid JSON/);
    expect(check('')).toMatch(/^it is not valid JSON/);
    expect(check('[]')).toBe('the list is not a JSON object');
    expect(check({ ...list, version: 2 })).toBe('version is not 1');
  });

  it("ignores another container's list", () => {
    expect(check(list, 'someone-else')).toBe(`id "${ID}" is not the container's id`);
  });
});

describe('cgroup list paths are never trusted beyond confinement', () => {
  const own = layout.hierarchies.find((h) => h.mountRoot === '/' && h.ownPath !== '/');

  it.each([
    ...unconfinedCgroupPaths(mount),
    ['relative/x', /is not a clean absolute path/],
    ['/run/runts/x', /is not below a cgroup mount of this host/],
  ])('a cgroup path %s: the list is ignored', (p, why) => {
    const damage = check({ ...fullList(), cgroups: [{ path: cgroup, created: true }, { path: p, created: true }] });
    expect(damage).toMatch(why);
    expect(damage).toContain(`cgroups[1].path ${JSON.stringify(p)}`);
  });

  it.skipIf(!own)("runts' own cgroup or one above it: the list is ignored", () => {
    const h = own!;
    for (const p of [path.join(h.mountPoint, h.ownPath), path.join(h.mountPoint, h.ownPath.split('/')[1]!)]) {
      expect(check({ ...fullList(), cgroups: [{ path: p, created: true }] })).toMatch(
        /holds runts' own process/,
      );
    }
  });

  it.skipIf(!isRoot)('a path that is not a directory (a file of a cgroup) is ignored', () => {
    const base = path.join(mount, `runts-unit-list-file-${process.pid}`);
    mkdirSync(base);
    try {
      const file = path.join(base, 'cgroup.procs');
      expect(check({ ...fullList(), cgroups: [{ path: file, created: true }] })).toMatch(
        /is not a directory/,
      );
    } finally {
      rmdirSync(base);
    }
  });
});

describe.skipIf(!isRoot)('delete --force finds the cgroups of a damaged record through the list', () => {
  let root: string;
  let made: string[] = [];
  const sleepers: number[] = [];
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'runts-unit-list-'));
  });
  afterEach(() => {
    // Whatever a failed test left: thawed first (a frozen process dies only
    // once thawed), then killed, then its cgroups removed.
    for (const d of made) {
      for (const [file, thawed] of [['freezer.state', 'THAWED'], ['cgroup.freeze', '0']] as const) {
        if (existsSync(path.join(d, file))) writeFileSync(path.join(d, file), thawed);
      }
    }
    const pids = sleepers.splice(0);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (let i = 0; i < 200 && pids.some((pid) => native().procStartTime(pid) !== null); i++) spawnSync('sleep', ['0.01']);
    for (const d of made.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // already removed by delete, or a parent another test still uses
      }
    }
    made = [];
    rmSync(root, { recursive: true, force: true });
  });

  /** The container's cgroups in every hierarchy, below a test parent (as a custom linux.cgroupsPath). */
  function cgroups(id: string): string[] {
    const dirs = createCgroups(placeContainer(layout, `/runts-unit-list-${process.pid}/${id}`, id)).map((c) => c.path);
    for (const d of dirs) made.push(path.dirname(d), d);
    return dirs;
  }

  function stateDir(id: string, dirs: string[], created = true): string {
    const dir = path.join(root, id);
    mkdirSync(dir);
    writeCgroupList(dir, { version: 1, id, cgroups: dirs.map((p) => ({ path: p, created })) });
    writeFileSync(path.join(dir, 'state.json'), 'this is not JSON');
    return dir;
  }

  it('the cgroups (with a process in them) are found, the process killed, the cgroups and state removed', () => {
    const id = 'list-dmg';
    const dirs = cgroups(id);
    const dir = stateDir(id, dirs);
    const child = spawnSync('sh', ['-c', `sleep 60 >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
    const pid = Number(child.stdout.trim());
    sleepers.push(pid);
    for (const d of dirs) writeFileSync(path.join(d, 'cgroup.procs'), String(pid));
    // Without --force: refused, the damage named, nothing touched.
    expect(() => native().delete(root, id, false)).toThrow(/state\.json is damaged: it is not valid JSON/);
    expect(dirs.every((d) => existsSync(d))).toBe(true);
    native().delete(root, id, true);
    expect(existsSync(dir)).toBe(false);
    for (const d of dirs) expect(existsSync(d)).toBe(false);
    // Killed (and reaped by whoever inherited it).
    for (let i = 0; i < 200 && native().procStartTime(pid) !== null; i++) spawnSync('sleep', ['0.01']);
    expect(native().procStartTime(pid)).toBeNull();
  });

  it('a frozen container is thawed through the freezer file derived from the list, and dies', () => {
    const id = 'list-frozen';
    const dirs = cgroups(id);
    stateDir(id, dirs);
    const child = spawnSync('sh', ['-c', `sleep 60 >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
    const pid = Number(child.stdout.trim());
    sleepers.push(pid);
    for (const d of dirs) writeFileSync(path.join(d, 'cgroup.procs'), String(pid));
    const placement = placeContainer(layout, `/runts-unit-list-${process.pid}/${id}`, id);
    const freezer = placement.freezerFile!;
    writeFileSync(freezer, freezer.endsWith('cgroup.freeze') ? '1' : 'FROZEN');
    native().delete(root, id, true);
    for (const d of dirs) expect(existsSync(d)).toBe(false);
  });

  it('a missing state.json (a create killed after the list): the list is used too', () => {
    const id = 'list-half';
    const dirs = cgroups(id);
    const dir = stateDir(id, dirs);
    rmSync(path.join(dir, 'state.json'));
    native().delete(root, id, true);
    expect(existsSync(dir)).toBe(false);
    for (const d of dirs) expect(existsSync(d)).toBe(false);
  });

  it('cgroups the list says runts did not make are emptied but kept', () => {
    const id = 'list-kept';
    const dirs = cgroups(id);
    stateDir(id, dirs, false);
    native().delete(root, id, true);
    for (const d of dirs) expect(existsSync(d)).toBe(true);
  });

  it.each([
    ['damaged', (file: string, dirs: string[]) => writeFileSync(file, JSON.stringify({ version: 1, id: 'list-bad', cgroups: dirs.map((p) => ({ path: p, created: true })), extra: 1 }))],
    ['an array (not what runts writes)', (file: string, dirs: string[]) => writeFileSync(file, JSON.stringify(dirs.map((p) => ({ path: p, created: true }))))],
    ['a symlink', (file: string) => {
      const real = `${file}.real`;
      writeFileSync(real, '{}');
      symlinkSync(real, file);
    }],
    ['a FIFO', (file: string) => expect(spawnSync('mkfifo', [file]).status).toBe(0)],
  ] as const)('a list that is %s is ignored, said so, and nothing it names is removed', (_name, spoil) => {
    const id = 'list-bad';
    const dirs = cgroups(id);
    const dir = stateDir(id, dirs);
    rmSync(path.join(dir, 'cgroups.json'));
    spoil(path.join(dir, 'cgroups.json'), dirs);
    expect(() => native().delete(root, id, false)).toThrow(
      new RegExp(`its cgroup list ${dir}/cgroups\\.json was ignored: .*, so only cgroups at runts' default placement /runts/${id} would be found`),
    );
    native().delete(root, id, true);
    expect(existsSync(dir)).toBe(false);
    for (const d of dirs) expect(existsSync(d)).toBe(true);
  });
});
