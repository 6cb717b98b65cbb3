// Symlinks on mount destinations, static and raced.
//
// CVE-2019-19921 (runc GHSA-fh74-hm69-rqjw): mount destinations were
// resolved before mounting, so a destination whose path goes through a
// symlink (/dst -> /, ../../..) or a symlink swapped in by another container
// sharing a volume put a mount outside the rootfs.
// CVE-2021-30465 (runc GHSA-c3xm-pvg7-gh7r): the symlink-exchange race — a
// container sharing a volume swaps a directory for a symlink in a loop while
// another container mounts onto paths inside it; a mount that escapes onto a
// host path (in the new mount namespace) then changes what the *source* of a
// later bind mount is, giving the container the host's files.
// Every destination must resolve inside the rootfs at the moment of the
// mount: nothing appears on the host, and everything lands in the rootfs.
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import * as lib from '../../src/index';
import type { OciConfig } from '../../src/config/types';
import { isRoot, ROOT, traces, useSandbox } from '../helpers/sandbox';
import { addBind, hostMountsMatching, installTool, ok, runts, sleepMs, stateOf, useSxtool } from './helpers';

describe.skipIf(!isRoot)('CVE-2019-19921: mount destinations through symlinks out of the rootfs', () => {
  const sb = useSandbox();
  let marker: string;
  let hostTarget: string;
  beforeEach(() => {
    marker = path.join(sb.dir, 'marker');
    mkdirSync(marker);
    writeFileSync(path.join(marker, 'file'), 'from the bind source\n');
    hostTarget = path.join(sb.dir, 'host-target');
    mkdirSync(hostTarget);
  });

  function hostileBundle(id: string, tag: string): { bundle: string; names: string[] } {
    const names = [`sx-${tag}-abs`, `sx-${tag}-rel`, `sx-${tag}-host`, `sx-${tag}-bind`];
    const bundle = sb.bundle(id, ['sh', '-c', `cat /proc/self/mountinfo; cat /${names[3]}/file`], (c: OciConfig) => {
      c.mounts!.push(
        { destination: `/dst-root/${names[0]}`, type: 'tmpfs', source: names[0] },
        { destination: `/dst-up/${names[1]}`, type: 'tmpfs', source: names[1] },
        { destination: `/dst-host/${names[2]}`, type: 'tmpfs', source: names[2] },
        { destination: `/dst-up/${names[3]}`, type: 'bind', source: marker, options: ['rbind', 'ro'] },
      );
    });
    const rootfs = path.join(bundle, 'rootfs');
    symlinkSync('/', path.join(rootfs, 'dst-root'));
    symlinkSync('../'.repeat(rootfs.split('/').length + 2), path.join(rootfs, 'dst-up'));
    symlinkSync(hostTarget, path.join(rootfs, 'dst-host'));
    return { bundle, names };
  }

  function checkContained(bundle: string, names: string[], out: string): void {
    const rootfs = path.join(bundle, 'rootfs');
    // Nothing on the host: no directory at / or in the target, no mount.
    expect(existsSync(path.join('/', names[0]!))).toBe(false);
    expect(existsSync(path.join('/', names[1]!))).toBe(false);
    expect(existsSync(path.join('/', names[3]!))).toBe(false);
    expect(readdirSync(hostTarget)).toEqual([]);
    expect(hostMountsMatching(...names)).toEqual([]);
    // Everything inside the rootfs, where "/" is the rootfs.
    expect(existsSync(path.join(rootfs, names[0]!))).toBe(true);
    expect(existsSync(path.join(rootfs, names[1]!))).toBe(true);
    expect(existsSync(path.join(rootfs, hostTarget, names[2]!))).toBe(true);
    const points = out.split('\n').filter((l) => l.includes(' - tmpfs sx-')).map((l) => l.split(' ')[4]);
    expect(points.sort()).toEqual([`/${names[0]}`, `/${names[1]}`, `${hostTarget}/${names[2]}`].sort());
    expect(out).toContain('from the bind source\n');
  }

  it('tmpfs and bind mounts through /dst -> /, ../../.. and host-path links land inside the rootfs (runts CLI, openat2)', () => {
    const id = sb.id('sx-19921-cli');
    const { bundle, names } = hostileBundle(id, `cli${process.pid}`);
    try {
      const r = ok(runts(['run', '-b', bundle, id]));
      checkContained(bundle, names, r.stdout);
      expect(traces(id)).toEqual([]);
    } finally {
      for (const n of names) if (existsSync(path.join('/', n))) rmSync(path.join('/', n), { recursive: true });
    }
  });

  it('the same with the user-space walk used where openat2 is missing', async () => {
    const id = sb.id('sx-19921-walk');
    const { bundle, names } = hostileBundle(id, `walk${process.pid}`);
    // Outside the bundle: an rbind of a parent of the rootfs would copy its mounts.
    const outDir = path.join(sb.dir, 'out');
    mkdirSync(outDir);
    const out = path.join(outDir, 'walk-out');
    writeFileSync(out, '');
    try {
      // The library API has the test-only switch to the fallback walk; the
      // container's output goes to a host file through a bind mount.
      const config = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as OciConfig;
      config.process!.args = ['sh', '-c', `exec > /out/walk-out; cat /proc/self/mountinfo; cat /${names[3]}/file`];
      addBind(config, outDir, '/out');
      writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
      const result = await lib.run({ id, bundle, root: ROOT, forceSafeWalk: true });
      expect(result.exitCode).toBe(0);
      checkContained(bundle, names, readFileSync(out, 'utf8'));
      expect(traces(id)).toEqual([]);
    } finally {
      for (const n of names) if (existsSync(path.join('/', n))) rmSync(path.join('/', n), { recursive: true });
    }
  });

  it('mounts over procfs files (the remount of /proc/sys that the race redirected) are refused before anything is created', () => {
    for (const destination of ['/proc/sys', '/proc/self/attr', '/proc/sys/kernel/core_pattern', '/proc/../proc/sysrq-trigger']) {
      const id = sb.id('sx-19921-proc');
      const r = runts(['create', '-b', sb.bundle(id, ['true'], (c) => addBind(c, marker, destination)), id]);
      expect(r.code, destination).toBe(1);
      expect(r.stderr).toMatch(/mounts\[\d+\]\.destination: \/proc\/\S+ is inside \/proc: mounting over procfs files is refused/);
      expect(traces(id)).toEqual([]);
    }
  });
});

describe.skipIf(!isRoot)('CVE-2021-30465: symlink-exchange race on mount destinations in a shared volume', () => {
  const sb = useSandbox();
  const tool = useSxtool();

  it('a racing container cannot redirect another container\'s mounts out of its rootfs', () => {
    const vol = path.join(sb.dir, 'vol');
    const hostTarget = path.join(sb.dir, 'host-target');
    const source = path.join(sb.dir, 'bind-source');
    mkdirSync(path.join(vol, 'd'), { recursive: true });
    mkdirSync(hostTarget);
    mkdirSync(source);
    writeFileSync(path.join(source, 'file'), 'the real bind source\n');
    // d (a directory) and d.swap (a symlink to a host path) trade places.
    symlinkSync(hostTarget, path.join(vol, 'd.swap'));
    const tag = `sx-race${process.pid}`;
    const before = hostMountsMatching(tag);

    const racer = sb.id('sx-30465-racer');
    const racerBundle = sb.bundle(racer, ['sxtool', 'swap', '/vol', 'd', 'd.swap', '25'], (c) => addBind(c, vol, '/vol'));
    installTool(tool.path, racerBundle);
    ok(runts(['create', '-b', racerBundle, racer]));
    ok(runts(['start', racer]));
    sleepMs(100);
    expect(stateOf(racer).status).toBe('running');

    const seen = { dir: 0, link: 0 };
    let created = 0;
    const deadline = Date.now() + 8_000;
    try {
      for (let i = 0; i < 10 && Date.now() < deadline; i++) {
        const id = sb.id(`sx-30465-v${i}`);
        const bundle = sb.bundle(id, ['sh', '-c', 'cat /proc/self/mountinfo; echo ===; cat /from-source/file'], (c) => {
          addBind(c, vol, '/vol');
          for (let m = 0; m < 6; m++) c.mounts!.push({ destination: `/vol/d/m${m}`, type: 'tmpfs', source: `${tag}-${m}` });
          c.mounts!.push({ destination: '/vol/d', type: 'tmpfs', source: `${tag}-top` });
          // The second stage of the attack: a bind whose source is under the
          // host path an escaped mount would have covered.
          c.mounts!.push({ destination: '/from-source', type: 'bind', source, options: ['rbind', 'ro'] });
        });
        // The image has the symlink's target path too, so both sides of the
        // swap resolve without creating anything.
        for (let m = 0; m < 6; m++) mkdirSync(path.join(bundle, 'rootfs', hostTarget, `m${m}`), { recursive: true });
        const r = runts(['run', '-b', bundle, id]);
        expect(traces(id)).toEqual([]);
        if (r.code !== 0) {
          // A destination that changed under the walk may be refused, with the step named.
          expect(r.code, r.stderr).toBe(1);
          expect(r.stderr).toMatch(/create container ".*": \S.*: /);
          continue;
        }
        created++;
        const [mountinfo, rest] = r.stdout.split('===\n');
        const points = mountinfo!.split('\n').filter((l) => l.includes(` - tmpfs ${tag}-`)).map((l) => l.split(' ')[4]!);
        // Every mount is in the container's own tree: none went elsewhere.
        expect(points).toHaveLength(7);
        for (const p of points) {
          if (p.startsWith('/vol/d')) seen.dir++;
          else if (p.startsWith(hostTarget)) seen.link++;
          else throw new Error(`unexpected mount point ${p}`);
        }
        expect(rest).toBe('the real bind source\n');
        // Nothing on the host: no mount and no directory made in the target.
        expect(hostMountsMatching(tag)).toEqual(before);
        expect(readdirSync(hostTarget)).toEqual([]);
      }
    } finally {
      writeFileSync(path.join(vol, 'stop'), '');
      runts(['delete', '--force', racer]);
    }
    expect(traces(racer)).toEqual([]);
    expect(created).toBeGreaterThanOrEqual(3);
    // The race was real: destinations resolved through both the directory and the symlink.
    expect(seen.dir).toBeGreaterThan(0);
    expect(seen.link).toBeGreaterThan(0);
  });
});
