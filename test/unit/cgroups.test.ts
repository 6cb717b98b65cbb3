import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCgroups, realCgroupFs, removeCgroups } from '../../src/cgroups/create';
import { detectLayout, type CgroupLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { RuntsError } from '../../src/errors';

// /proc/self/mountinfo and /proc/self/cgroup of the hybrid host runts is developed on.
const HYBRID_MOUNTINFO = `
30 24 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
33 30 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
34 30 0:31 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
35 30 0:32 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
36 30 0:33 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
4:memory:/process_api/abc
3:cpuset:/
2:freezer:/
1:cpu:/
0::/
`;

describe('cgroup layout', () => {
  it('reads a hybrid host', () => {
    const layout = detectLayout(HYBRID_MOUNTINFO, HYBRID_CGROUP);
    expect(layout.mode).toBe('hybrid');
    expect(layout.hierarchies.map((h) => [h.name, h.version, h.mountPoint, h.ownPath])).toEqual([
      ['cpu', 1, '/sys/fs/cgroup/cpu', '/'],
      ['cpuset', 1, '/sys/fs/cgroup/cpuset', '/'],
      ['memory', 1, '/sys/fs/cgroup/memory', '/process_api/abc'],
      ['freezer', 1, '/sys/fs/cgroup/freezer', '/'],
      ['name=systemd', 1, '/sys/fs/cgroup/systemd', '/'],
      ['', 2, '/sys/fs/cgroup/unified', '/'],
    ]);
  });

  it('reads a pure cgroup v2 host', () => {
    const layout = detectLayout('40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n', '0::/user.slice/session-1.scope\n');
    expect(layout.mode).toBe('v2');
    expect(layout.hierarchies).toEqual([
      { version: 2, name: '', controllers: [], mountPoint: '/sys/fs/cgroup', mountRoot: '/', ownPath: '/user.slice/session-1.scope' },
    ]);
  });

  it('reads co-mounted v1 controllers and escaped mount points', () => {
    const layout = detectLayout(
      '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n32 30 0:29 / /mnt/with\\040space rw - cgroup cgroup rw,xattr,name=systemd\n',
      '2:cpu,cpuacct:/a\n1:name=systemd:/b\n',
    );
    expect(layout.mode).toBe('v1');
    expect(layout.hierarchies.map((h) => [h.name, h.mountPoint, h.ownPath])).toEqual([
      ['cpu,cpuacct', '/sys/fs/cgroup/cpu,cpuacct', '/a'],
      ['name=systemd', '/mnt/with space', '/b'],
    ]);
  });
});

describe('cgroup placement', () => {
  const layout = detectLayout(HYBRID_MOUNTINFO, HYBRID_CGROUP);

  it('defaults to /runts/<id> in every hierarchy', () => {
    const p = placeContainer(layout, undefined, 'c1');
    expect(p.dirs.map((d) => d.dir)).toEqual([
      '/sys/fs/cgroup/cpu/runts/c1',
      '/sys/fs/cgroup/cpuset/runts/c1',
      '/sys/fs/cgroup/memory/runts/c1',
      '/sys/fs/cgroup/freezer/runts/c1',
      '/sys/fs/cgroup/systemd/runts/c1',
      '/sys/fs/cgroup/unified/runts/c1',
    ]);
    // On a hybrid host the (empty) unified hierarchy lists every process and can kill them all.
    expect(p.procsFile).toBe('/sys/fs/cgroup/unified/runts/c1/cgroup.procs');
    expect(p.killFile).toBe('/sys/fs/cgroup/unified/runts/c1/cgroup.kill');
    expect(p.freezerFile).toBe('/sys/fs/cgroup/freezer/runts/c1/freezer.state');
  });

  it('takes an absolute cgroupsPath from the hierarchy root and a relative one under its own cgroup', () => {
    expect(placeContainer(layout, '/pods/x/../c2', 'c2').dirs[2]?.dir).toBe('/sys/fs/cgroup/memory/pods/c2');
    expect(placeContainer(layout, 'mine/c3', 'c3').dirs[2]?.dir).toBe('/sys/fs/cgroup/memory/process_api/abc/mine/c3');
    expect(placeContainer(layout, 'mine/c3', 'c3').dirs[0]?.dir).toBe('/sys/fs/cgroup/cpu/mine/c3');
  });

  it('puts a relative cgroupsPath beside its own cgroup on v2, where its own has processes', () => {
    const v2 = detectLayout('40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/engine/runts.scope\n');
    expect(placeContainer(v2, 'pod/c4', 'c4').dirs[0]?.dir).toBe('/sys/fs/cgroup/engine/pod/c4');
    const atRoot = detectLayout('40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/\n');
    expect(placeContainer(atRoot, 'pod/c4', 'c4').dirs[0]?.dir).toBe('/sys/fs/cgroup/pod/c4');
  });

  it('refuses paths that escape or name the root', () => {
    expect(() => placeContainer(layout, '../up', 'x')).toThrow(RuntsError);
    expect(() => placeContainer(layout, '/', 'x')).toThrow(/root cgroup/);
  });

  it('uses cgroup.freeze and the unified cgroup.procs on v2', () => {
    const v2 = detectLayout('40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/\n');
    const p = placeContainer(v2, undefined, 'c');
    expect(p.freezerFile).toBe('/sys/fs/cgroup/runts/c/cgroup.freeze');
    expect(p.procsFile).toBe('/sys/fs/cgroup/runts/c/cgroup.procs');
  });

  it('maps paths through a mount whose root is a sub-cgroup', () => {
    const nested = detectLayout('40 24 0:27 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/kubepods/pod1\n');
    // The parent of runts' own cgroup is not visible through this mount:
    // the container goes under runts' own cgroup, the only place there is.
    expect(placeContainer(nested, 'ctr', 'x').dirs[0]?.dir).toBe('/sys/fs/cgroup/ctr');
    expect(() => placeContainer(nested, '/elsewhere', 'x')).toThrow(/outside/);
  });
});

describe('placement of a relative cgroupsPath, as runc', () => {
  const V2_MOUNTINFO = '40 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n';

  it('pure v2: beside runts\' own cgroup (under its parent), as runc\'s fs2 driver', () => {
    const v2 = detectLayout(V2_MOUNTINFO, '0::/user.slice/user-0.slice/session-1.scope\n');
    const p = placeContainer(v2, 'runc-like/c1', 'c1');
    expect(p.dirs.map((d) => [d.cgroupPath, d.dir])).toEqual([
      ['/user.slice/user-0.slice/runc-like/c1', '/sys/fs/cgroup/user.slice/user-0.slice/runc-like/c1'],
    ]);
    // Not only for a ".scope": runc takes the parent of any own cgroup.
    const service = detectLayout(V2_MOUNTINFO, '0::/system.slice/containerd.service\n');
    expect(placeContainer(service, 'k8s/pod', 'x').dirs[0]?.cgroupPath).toBe('/system.slice/k8s/pod');
  });

  it('pure v2, runts in the root cgroup: under the root', () => {
    const v2 = detectLayout(V2_MOUNTINFO, '0::/\n');
    expect(placeContainer(v2, 'a/b', 'x').dirs[0]?.dir).toBe('/sys/fs/cgroup/a/b');
  });

  it('v1 and hybrid: under runts\' own cgroup in every hierarchy, the unified one of a hybrid host included', () => {
    const cgroup = HYBRID_CGROUP.replace('0::/', '0::/user.slice/session-2.scope');
    const hybrid = detectLayout(HYBRID_MOUNTINFO, cgroup);
    const dirs = placeContainer(hybrid, 'mine/c3', 'c3').dirs;
    expect(dirs.find((d) => d.hierarchy === 'memory')?.dir).toBe('/sys/fs/cgroup/memory/process_api/abc/mine/c3');
    expect(dirs.find((d) => d.version === 2)?.dir).toBe('/sys/fs/cgroup/unified/user.slice/session-2.scope/mine/c3');
  });

  it('refuses a placement in runts\' own cgroup or above it (delete could not remove it)', () => {
    const v2 = detectLayout(V2_MOUNTINFO, '0::/user.slice/session-1.scope\n');
    // "session-1.scope" from the parent is runts' own cgroup; "." is the parent itself.
    expect(() => placeContainer(v2, 'session-1.scope', 'x')).toThrow(/runts' own cgroup \(\/user\.slice\/session-1\.scope\) or above it/);
    expect(() => placeContainer(v2, '.', 'x')).toThrow(/or above it/);
    expect(() => placeContainer(v2, '/user.slice', 'x')).toThrow(/or above it/);
    expect(placeContainer(v2, 'session-1.scope/sub', 'x').dirs[0]?.cgroupPath).toBe('/user.slice/session-1.scope/sub');
    const hybrid = detectLayout(HYBRID_MOUNTINFO, HYBRID_CGROUP);
    expect(() => placeContainer(hybrid, '/process_api', 'x')).toThrow(/in the memory hierarchy, which is runts' own cgroup/);
    expect(() => placeContainer(hybrid, '.', 'x')).toThrow(/or above it/);
  });
});

describe('creating cgroup directories (in a temporary directory)', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fakeHierarchies(): CgroupLayout {
    dir = mkdtempSync(path.join(tmpdir(), 'runts-unit-cg-'));
    for (const h of ['cpuset', 'memory']) mkdirSync(path.join(dir, h), { recursive: true });
    writeFileSync(path.join(dir, 'cpuset', 'cpuset.cpus'), '0-1\n');
    writeFileSync(path.join(dir, 'cpuset', 'cpuset.mems'), '0\n');
    return {
      mode: 'v1',
      hierarchies: ['cpuset', 'memory'].map((name) => ({
        version: 1 as const, name, controllers: [name], mountPoint: path.join(dir, name), mountRoot: '/', ownPath: '/',
      })),
    };
  }

  it('creates every level and removes only the leaf it made', () => {
    const layout = fakeHierarchies();
    const placement = placeContainer(layout, '/a/b', 'x');
    const created = createCgroups(placement);
    expect(created).toEqual([
      { path: path.join(dir, 'cpuset/a/b'), created: true },
      { path: path.join(dir, 'memory/a/b'), created: true },
    ]);
    expect(existsSync(path.join(dir, 'memory/a/b'))).toBe(true);
    removeCgroups(created);
    expect(existsSync(path.join(dir, 'memory/a/b'))).toBe(false);
    expect(existsSync(path.join(dir, 'memory/a'))).toBe(true);
  });

  it('fills empty cpuset files of new cgroups from their parent', () => {
    const layout = fakeHierarchies();
    // Like the kernel: a new cpuset cgroup comes with empty cpuset.cpus/mems.
    const kernelLike = {
      mkdir(d: string) {
        mkdirSync(d);
        if (d.includes('/cpuset/')) for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(path.join(d, f), '');
        return true;
      },
    };
    const created = createCgroups(placeContainer(layout, '/p/q', 'x'), kernelLike);
    for (const d of ['cpuset/p', 'cpuset/p/q']) {
      expect(readFileSync(path.join(dir, d, 'cpuset.cpus'), 'utf8')).toBe('0-1');
      expect(readFileSync(path.join(dir, d, 'cpuset.mems'), 'utf8')).toBe('0');
    }
    expect(existsSync(path.join(dir, 'memory/p/q/cpuset.cpus'))).toBe(false);
    rmSync(path.join(dir, 'cpuset/p/q'), { recursive: true });
    removeCgroups(created);
  });

  it('refuses an existing cgroup that already has processes, and undoes what it made', () => {
    const layout = fakeHierarchies();
    mkdirSync(path.join(dir, 'memory/busy'), { recursive: true });
    writeFileSync(path.join(dir, 'memory/busy/cgroup.procs'), '1234\n');
    const placement = placeContainer(layout, '/busy', 'x');
    expect(() => createCgroups(placement)).toThrow(/memory\/busy already has processes \(1234\)/);
    expect(existsSync(path.join(dir, 'cpuset/busy'))).toBe(false);
  });

  it('a directory that appears between the look and the mkdir (EEXIST) is never recorded as made', () => {
    const layout = fakeHierarchies();
    // Someone else creates memory/raced (and its parent) just before runts' mkdir of it.
    const racing = {
      mkdir(d: string) {
        if (d.startsWith(path.join(dir, 'memory'))) {
          mkdirSync(d);
          return false;
        }
        mkdirSync(d);
        return true;
      },
    };
    const created = createCgroups(placeContainer(layout, '/outer/raced', 'x'), racing);
    expect(created).toEqual([
      { path: path.join(dir, 'cpuset/outer/raced'), created: true },
      { path: path.join(dir, 'memory/outer/raced'), created: false },
    ]);
    removeCgroups(created);
    expect(existsSync(path.join(dir, 'cpuset/outer/raced'))).toBe(false);
    expect(existsSync(path.join(dir, 'memory/outer/raced'))).toBe(true);
  });

  it('a raced leaf that already holds processes is refused like any existing one', () => {
    const layout = fakeHierarchies();
    const racing = {
      mkdir(d: string) {
        mkdirSync(d);
        if (!d.endsWith('/memory/busy')) return true;
        writeFileSync(path.join(d, 'cgroup.procs'), '4321\n');
        return false;
      },
    };
    expect(() => createCgroups(placeContainer(layout, '/busy', 'x'), racing)).toThrow(/memory\/busy already has processes \(4321\)/);
    // What runts made is undone; what the racer made stays.
    expect(existsSync(path.join(dir, 'cpuset/busy'))).toBe(false);
    expect(existsSync(path.join(dir, 'memory/busy'))).toBe(true);
  });

  it('the real mkdir reports EEXIST as "not made"', () => {
    fakeHierarchies();
    const d = path.join(dir, 'memory', 'x');
    expect(realCgroupFs.mkdir(d)).toBe(true);
    expect(realCgroupFs.mkdir(d)).toBe(false);
    expect(() => realCgroupFs.mkdir(path.join(dir, 'nope', 'x'))).toThrow(/ENOENT/);
  });

  it('keeps a pre-existing empty cgroup and never removes it', () => {
    const layout = fakeHierarchies();
    mkdirSync(path.join(dir, 'memory/shared'), { recursive: true });
    const placement = placeContainer(layout, '/shared', 'x');
    const created = createCgroups(placement);
    expect(created[1]).toEqual({ path: path.join(dir, 'memory/shared'), created: false });
    removeCgroups(created);
    expect(existsSync(path.join(dir, 'memory/shared'))).toBe(true);
  });
});
