// A malicious rootfs must not be able to redirect what runts mounts or
// creates to the host: every path resolves inside the rootfs, with openat2
// (RESOLVE_IN_ROOT) and with the user-space walk used where it is missing.
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import * as lib from '../../src/index';
import type { OciConfig } from '../../src/config/types';
import { CGROUP_PARENT, isRoot, ROOT, useSandbox, traces } from '../helpers/sandbox';

describe.skipIf(!isRoot)('path safety', () => {
  const sb = useSandbox();
  let hostTarget: string;
  beforeEach(() => {
    hostTarget = path.join(sb.dir, 'host-target');
    mkdirSync(hostTarget);
    writeFileSync(path.join(hostTarget, 'secret'), 'host secret');
  });

  function hostileBundle(id: string, args: string[]): string {
    const bundle = sb.bundle(id, args, (c: OciConfig) => {
      c.root!.readonly = false;
      c.mounts!.push(
        { destination: '/up/mnt1', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/abs/mnt2', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/file-link', type: 'bind', source: '/etc/hostname', options: ['bind', 'ro'] },
      );
      c.linux!.maskedPaths = ['/masked-link'];
      c.linux!.devices = [{ type: 'c', path: '/devlink/null2', major: 1, minor: 3 }];
    });
    const rootfs = path.join(bundle, 'rootfs');
    const depth = rootfs.split('/').length;
    // Relative links that climb out of the rootfs, absolute links to host paths.
    symlinkSync(`${'../'.repeat(depth)}${hostTarget.slice(1)}`, path.join(rootfs, 'up'));
    symlinkSync(hostTarget, path.join(rootfs, 'abs'));
    symlinkSync(path.join(hostTarget, 'secret'), path.join(rootfs, 'file-link'));
    symlinkSync(path.join(hostTarget, 'secret'), path.join(rootfs, 'masked-link'));
    symlinkSync(hostTarget, path.join(rootfs, 'devlink'));
    return bundle;
  }

  for (const forceSafeWalk of [false, true]) {
    it(`keeps mounts, devices and masks inside the rootfs (${forceSafeWalk ? 'user-space walk' : 'openat2'})`, async () => {
      const id = sb.id(forceSafeWalk ? 'walk' : 'openat2');
      const bundle = hostileBundle(id, ['sh', '-c', 'test -c /devlink/null2 && test -c /masked-link && test "$(cat /file-link)" = "$(cat /etc/hostname)"']);
      // The library API, with its test-only switch to the fallback walk.
      const result = await lib.run({ id, bundle, root: ROOT, forceSafeWalk });
      expect(result.exitCode).toBe(0);
      // Nothing was created or mounted on the host target.
      expect(readFileSync(path.join(hostTarget, 'secret'), 'utf8')).toBe('host secret');
      expect(existsSync(path.join(hostTarget, 'mnt1'))).toBe(false);
      expect(existsSync(path.join(hostTarget, 'mnt2'))).toBe(false);
      expect(existsSync(path.join(hostTarget, 'null2'))).toBe(false);
      // They landed inside the rootfs, where the links resolve when "/" is the rootfs.
      const rootfs = path.join(bundle, 'rootfs');
      expect(existsSync(path.join(rootfs, hostTarget, 'mnt1'))).toBe(true);
      expect(existsSync(path.join(rootfs, hostTarget, 'mnt2'))).toBe(true);
      expect(existsSync(path.join(rootfs, hostTarget, 'null2'))).toBe(true);
      expect(traces(id)).toEqual([]);
      rmSync(path.join(rootfs, 'tmp'), { recursive: true, force: true });
    });
  }
});

describe.skipIf(!isRoot)('library API', () => {
  const sb = useSandbox();

  it('creates, starts, inspects, signals and deletes a container from a typed config', async () => {
    const id = sb.id('lib');
    const bundle = sb.bundle(id, ['true']);
    const config: lib.OciConfig = lib.defaultConfig();
    config.process!.terminal = false;
    config.process!.args = ['sleep', '60'];
    config.linux!.cgroupsPath = `${CGROUP_PARENT}/${id}`;
    const created = await lib.create({ id, bundle, config, root: ROOT });
    expect(created.state).toMatchObject({ id, status: 'created', bundle });
    await lib.start(id, { root: ROOT });
    expect((await lib.state(id, { root: ROOT })).status).toBe('running');
    expect((await lib.list({ root: ROOT })).map((s) => s.id)).toContain(id);
    await lib.kill(id, 'SIGKILL', { root: ROOT });
    for (let i = 0; i < 100 && (await lib.state(id, { root: ROOT })).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 10));
    await lib.delete(id, { root: ROOT });
    expect(traces(id)).toEqual([]);
    await expect(lib.state(id, { root: ROOT })).rejects.toThrow(lib.RuntsError);
  });

  it('reports every config problem in a ConfigError', async () => {
    const id = sb.id('lib');
    const config = lib.defaultConfig();
    (config.process as unknown as Record<string, unknown>).args = 'sh';
    config.ociVersion = '0.1.0';
    const err = await lib.create({ id, bundle: sb.dir, config, root: ROOT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(lib.ConfigError);
    expect((err as lib.ConfigError).problems).toEqual(
      expect.arrayContaining([
        { path: 'process.args', message: 'must be an array (got "sh")' },
        { path: 'ociVersion', message: 'version "0.1.0" is not supported: runts implements runtime-spec 1.0.0 to 1.3.x' },
      ]),
    );
    expect(lib.validateConfig(config).problems.length).toBeGreaterThanOrEqual(2);
  });

  it('run resolves with the exit code', async () => {
    const id = sb.id('lib');
    const bundle = sb.bundle(id, ['sh', '-c', 'exit 9']);
    await expect(lib.run({ id, bundle, root: ROOT })).resolves.toMatchObject({ exitCode: 9 });
  });
});
