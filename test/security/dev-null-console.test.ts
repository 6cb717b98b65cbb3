// /dev nodes a malicious rootfs or volume can redirect.
//
// CVE-2025-31133 (runc GHSA-9493-h29p-rfm2): runc masked files by
// bind-mounting the *container's* /dev/null over them; with /dev/null a
// symlink (e.g. to /proc/sys/kernel/core_pattern) the "mask" became a
// writable bind of the symlink's target. runts must mask with the host's
// null device whatever the container's /dev/null is.
// CVE-2025-52565 (runc GHSA-qw9x-cqr3-wc7r): the same through the
// /dev/pts/$n -> /dev/console bind of containers with a terminal, done
// before masked and read-only paths. The console must be the container's
// pty, bound inside the rootfs, and /proc/sys and /proc/sysrq-trigger must
// still be read-only afterwards.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { consoleServer } from '../helpers/console-server';
import { isRoot, traces, useSandbox } from '../helpers/sandbox';
import { addBind, installTool, ok, runts, useSxtool } from './helpers';

/** The container's /dev is a volume (a host directory) the attacker filled. */
function evilDev(c: OciConfig, dir: string): void {
  c.mounts = c.mounts!.filter((m) => m.destination !== '/dev' && !m.destination.startsWith('/dev/'));
  c.mounts.splice(1, 0, { destination: '/dev', type: 'bind', source: dir, options: ['rbind', 'rw'] });
  c.mounts.splice(2, 0, { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] });
}

describe.skipIf(!isRoot)('CVE-2025-31133: masking through a container /dev/null that is a symlink', () => {
  const sb = useSandbox();
  const tool = useSxtool();

  it('masked paths get the host null device, not the symlink\'s target (a host file, or core_pattern)', () => {
    const secret = path.join(sb.dir, 'host-secret');
    writeFileSync(secret, 'host secret\n');
    for (const target of [secret, '/proc/sys/kernel/core_pattern', '../../../../../../proc/sysrq-trigger']) {
      const dev = path.join(sb.dir, `dev-${Math.random().toString(36).slice(2)}`);
      mkdirSync(dev);
      symlinkSync(target, path.join(dev, 'null'));
      const id = sb.id('sx-31133');
      const script = [
        // Masked files of the default config that every kernel has.
        'for f in /proc/keys /proc/timer_list; do stat -c "%n %F %t:%T" $f; done',
        'cat /proc/keys /proc/timer_list | wc -c',
        'echo pwned > /proc/timer_list',
        'sxtool open-write /proc/sys/kernel/core_pattern',
      ].join('; ');
      const bundle = sb.bundle(id, ['sh', '-c', script], (c) => evilDev(c, dev));
      installTool(tool.path, bundle);
      const r = ok(runts(['run', '-b', bundle, id]));
      expect(r.stdout).toBe(
        [
          '/proc/keys character special file 1:3',
          '/proc/timer_list character special file 1:3',
          '0',
          // The file the attack wanted a writable copy of stays read-only.
          'wronly=EROFS rdwr=EROFS trunc=EROFS ',
          '',
        ].join('\n'),
      );
      expect(readFileSync(secret, 'utf8')).toBe('host secret\n');
      expect(traces(id)).toEqual([]);
    }
  });
});

describe.skipIf(!isRoot)('CVE-2025-52565: the /dev/console bind with a hostile /dev', () => {
  const sb = useSandbox();
  const tool = useSxtool();

  for (const kind of ['host-file', 'relative-host-file', 'core_pattern'] as const) {
    it(`/dev/console a symlink to ${kind}: the pty is bound inside the rootfs, and /proc stays masked and read-only`, async () => {
      const secret = path.join(sb.dir, 'host-secret');
      writeFileSync(secret, 'host secret\n');
      const dev = path.join(sb.dir, 'dev');
      mkdirSync(dev);
      const target = { 'host-file': secret, 'relative-host-file': `${'../'.repeat(12)}${secret.slice(1)}`, core_pattern: '/proc/sys/kernel/core_pattern' }[kind];
      const corePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
      symlinkSync(target, path.join(dev, 'console'));
      // A fake pts node too: the runtime must use its own pty, not a path.
      mkdirSync(path.join(dev, 'pts'));
      symlinkSync('/proc/sys/kernel/core_pattern', path.join(dev, 'pts', '0'));
      const id = sb.id('sx-52565');
      const script = [
        'stat -L -c "%F %t" /dev/console',
        'tty',
        'sxtool open-write /proc/sys/kernel/core_pattern',
        'stat -c "%F %t:%T" /proc/keys',
      ].join('; ');
      const bundle = sb.bundle(id, ['sh', '-c', script], (c) => {
        evilDev(c, dev);
        c.process!.terminal = true;
      });
      installTool(tool.path, bundle);
      const sock = path.join(sb.dir, 'console.sock');
      const server = consoleServer(sock, { stderr: 'ignore' });
      await server.ready;
      const created = runts(['create', '--console-socket', sock, '-b', bundle, id]);
      if (created.code !== 0) {
        // Refusing the hostile /dev is fine too, with the step named.
        expect(created.code).toBe(1);
        expect(created.stderr).toMatch(/console/);
        expect(traces(id)).toEqual([]);
        await server.result.catch(() => undefined);
        return;
      }
      ok(runts(['start', id]));
      const { output } = await server.result;
      const lines = output.replace(/\r/g, '').split('\n');
      // The console is a pty (major 136) of the container's own devpts.
      expect(lines[0]).toBe('character special file 88');
      expect(lines[1]).toMatch(/^\/dev\/pts\/\d+$/);
      if (kind === 'core_pattern') {
        // The pty was bound over the container's core_pattern (the link
        // resolves inside the rootfs): what is written goes to the console
        // (the "X" echoed), never to the kernel's core_pattern.
        expect(lines[2]).toMatch(/^(wronly=EROFS rdwr=EROFS trunc=EROFS |Xwronly=ok write=ok rdwr=ok trunc=ok )$/);
      } else {
        expect(lines[2]).toBe('wronly=EROFS rdwr=EROFS trunc=EROFS ');
      }
      expect(lines[3]).toBe('character special file 1:3');
      expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(corePattern);
      // Nothing was bound on, or written to, the host file.
      expect(readFileSync(secret, 'utf8')).toBe('host secret\n');
      if (kind !== 'core_pattern') expect(existsSync(path.join(bundle, 'rootfs', secret))).toBe(true);
      runts(['delete', '--force', id]);
      expect(traces(id)).toEqual([]);
    });
  }
});
