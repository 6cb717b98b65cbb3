// The mount and process details engines rely on: tmpcopyup (Podman's
// --read-only and --tmpfs), bind sources only the host's root can reach in a
// user-namespaced container, device nodes in a user namespace, HOME from the
// container's /etc/passwd, --preserve-fds and LISTEN_FDS passing exactly the
// caller's fds, and the 126/127 exit codes of a program that cannot run.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { isRoot, ROOT, RUNTS, runts, traces, useSandbox } from '../helpers/sandbox';

const inUserNamespace = (c: OciConfig): void => {
  c.linux!.namespaces!.push({ type: 'user' });
  c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  // sysfs and cgroups cannot be mounted from a user namespace without a
  // network and a cgroup namespace of its own.
  c.mounts = c.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
};

function waitStopped(id: string): void {
  for (let i = 0; i < 500; i++) {
    const r = runts(['state', id]);
    if (r.code !== 0 || (JSON.parse(r.stdout) as { status: string }).status === 'stopped') return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  throw new Error(`container ${id} did not stop`);
}

describe.skipIf(!isRoot)('tmpcopyup', () => {
  const sb = useSandbox();

  /** A rootfs directory /data with files, a subdirectory, links and a fifo. */
  function fillData(rootfs: string): void {
    const data = path.join(rootfs, 'data');
    mkdirSync(path.join(data, 'sub', 'deeper'), { recursive: true });
    writeFileSync(path.join(data, 'file'), 'from the image\n');
    chmodSync(path.join(data, 'file'), 0o604);
    chownSync(path.join(data, 'file'), 1000, 1001);
    writeFileSync(path.join(data, 'sub', 'deeper', 'nested'), 'nested\n');
    linkSync(path.join(data, 'file'), path.join(data, 'hardlink'));
    symlinkSync('sub/deeper/nested', path.join(data, 'rel-link'));
    // Followed, these would copy the host's /etc into the tmpfs.
    symlinkSync('/etc', path.join(data, 'abs-link'));
    symlinkSync('../../../../../../etc', path.join(data, 'dotdot-link'));
    spawnSync('mkfifo', ['-m', '0620', path.join(data, 'fifo')]);
    chmodSync(path.join(data, 'sub'), 0o755);
    // runc#3991: the runtime's umask must not narrow a copied mode.
    chmodSync(path.join(data, 'sub', 'deeper'), 0o777);
    chownSync(path.join(data, 'sub'), 7, 8);
    chmodSync(data, 0o755);
    chownSync(data, 1234, 4321);
  }

  const script = [
    'cd /data',
    'stat -c "%n %a %u:%g %F" . file sub sub/deeper sub/deeper/nested fifo',
    'cat file sub/deeper/nested rel-link',
    'readlink abs-link; readlink dotdot-link',
    '[ -L abs-link ] && [ -L dotdot-link ] && echo links-kept',
    '[ "$(stat -c %i file)" = "$(stat -c %i hardlink)" ] && echo hardlink-kept',
    'echo written > new && cat new && echo more >> file',
    'grep " /data " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1',
  ].join('; ');

  it('fills the tmpfs with the files the image has at its destination, writable', () => {
    const id = sb.id('copyup');
    const bundle = sb.bundle(id, ['sh', '-c', script], (c) => {
      // /data belongs to uid 1234: root writes there with CAP_DAC_OVERRIDE.
      for (const set of ['bounding', 'effective', 'permitted'] as const) c.process!.capabilities![set]!.push('CAP_DAC_OVERRIDE');
      c.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'tmpcopyup', 'size=1m'] });
    });
    fillData(path.join(bundle, 'rootfs'));
    const r = runts(['run', '-b', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '. 755 1234:4321 directory',
        'file 604 1000:1001 regular file',
        'sub 755 7:8 directory',
        'sub/deeper 777 0:0 directory',
        'sub/deeper/nested 644 0:0 regular file',
        'fifo 620 0:0 fifo',
        'from the image',
        'nested',
        'nested',
        '/etc',
        '../../../../../../etc',
        'links-kept',
        'hardlink-kept',
        'written',
        'tmpfs',
        '',
      ].join('\n'),
    );
    // The image's directory under the tmpfs is left as it was.
    expect(readFileSync(path.join(bundle, 'rootfs/data/file'), 'utf8')).toBe('from the image\n');
    expect(existsSync(path.join(bundle, 'rootfs/data/new'))).toBe(false);
  });

  it('without tmpcopyup the tmpfs is empty', () => {
    const id = sb.id('nocopyup');
    const bundle = sb.bundle(id, ['sh', '-c', 'ls -A /data | wc -l'], (c) => {
      c.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] });
    });
    fillData(path.join(bundle, 'rootfs'));
    const r = runts(['run', '-b', bundle, id]);
    expect(r.stdout.trim()).toBe('0');
    expect(r.code).toBe(0);
  });

  it('a read-only tmpfs is filled, then read-only', () => {
    const id = sb.id('copyup-ro');
    const bundle = sb.bundle(id, ['sh', '-c', 'cat /data/file; touch /data/x 2>/dev/null || echo refused'], (c) => {
      c.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'tmpcopyup'] });
    });
    fillData(path.join(bundle, 'rootfs'));
    const r = runts(['run', '-b', bundle, id]);
    expect(r.stdout).toBe('from the image\nrefused\n');
  });

  it('in a user namespace too', () => {
    const id = sb.id('copyup-userns');
    const bundle = sb.bundle(id, ['sh', '-c', 'stat -c "%a %u" /data /data/file; cat /data/file; echo w > /data/w && cat /data/w'], (c) => {
      inUserNamespace(c);
      c.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] });
    });
    const data = path.join(bundle, 'rootfs', 'data');
    mkdirSync(data);
    writeFileSync(path.join(data, 'file'), 'mapped\n');
    chownSync(path.join(data, 'file'), 101000, 101000);
    chownSync(data, 100000, 100000);
    chmodSync(data, 0o750);
    chownSync(path.join(bundle, 'rootfs'), 100000, 100000);
    const r = runts(['run', '-b', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('750 0\n644 1000\nmapped\nw\n');
  });
});

describe.skipIf(!isRoot)('bind sources the container root cannot reach', () => {
  const sb = useSandbox();

  it('binds a directory and a file below a 0700 root-only host directory in a user namespace', () => {
    const hostDir = mkdtempSync(path.join(tmpdir(), 'runts-test-mounts-private-'));
    try {
      chmodSync(hostDir, 0o700);
      mkdirSync(path.join(hostDir, 'shared'), { mode: 0o755 });
      writeFileSync(path.join(hostDir, 'shared', 'inside'), 'inside\n', { mode: 0o644 });
      writeFileSync(path.join(hostDir, 'single'), 'single\n', { mode: 0o644 });
      const id = sb.id('userns-bind');
      const bundle = sb.bundle(id, ['sh', '-c', 'cat /mnt/shared/inside /mnt/single; grep -c " /mnt/shared " /proc/self/mountinfo'], (c) => {
        inUserNamespace(c);
        c.mounts!.push(
          { destination: '/mnt/shared', type: 'bind', source: path.join(hostDir, 'shared'), options: ['rbind', 'ro'] },
          { destination: '/mnt/single', type: 'bind', source: path.join(hostDir, 'single'), options: ['bind'] },
        );
      });
      // The mount points exist: the container's root may not create them in
      // a rootfs that belongs to the host's root.
      mkdirSync(path.join(bundle, 'rootfs/mnt/shared'), { recursive: true });
      writeFileSync(path.join(bundle, 'rootfs/mnt/single'), '');
      const r = runts(['run', '-b', bundle, id]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('inside\nsingle\n1\n');
      expect(r.code).toBe(0);
    } finally {
      rmSync(hostDir, { recursive: true, force: true });
    }
  });

  it('a bind of a shared host mount is a slave: what the container mounts below it does not reach the host', () => {
    const hostDir = mkdtempSync(path.join(tmpdir(), 'runts-test-mounts-shared-'));
    // A shared mount of its own: a copy that stayed its peer would show the
    // container's mount here.
    expect(spawnSync('mount', ['--bind', hostDir, hostDir]).status).toBe(0);
    try {
      expect(spawnSync('mount', ['--make-shared', hostDir]).status).toBe(0);
      const id = sb.id('userns-bind-prop');
      const bundle = sb.bundle(id, ['sh', '-c', 'mount -t tmpfs none /mnt/src && touch /mnt/src/x && echo mounted'], (c) => {
        inUserNamespace(c);
        c.process!.capabilities!.effective!.push('CAP_SYS_ADMIN');
        c.process!.capabilities!.permitted!.push('CAP_SYS_ADMIN');
        c.process!.capabilities!.bounding!.push('CAP_SYS_ADMIN');
        c.mounts!.push({ destination: '/mnt/src', type: 'bind', source: hostDir, options: ['rbind'] });
      });
      mkdirSync(path.join(bundle, 'rootfs/mnt/src'), { recursive: true });
      const r = runts(['run', '-b', bundle, id]);
      expect(r.stdout).toBe('mounted\n');
      const mine = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(` ${hostDir} `));
      expect(mine).toHaveLength(1);
      expect(existsSync(path.join(hostDir, 'x'))).toBe(false);
    } finally {
      // One unmount per mount stacked there (the bind, and whatever reached it).
      for (let i = 0; i < 10 && readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${hostDir} `); i++) spawnSync('umount', ['-l', hostDir]);
      rmSync(hostDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!isRoot)('device nodes in a user namespace', () => {
  const sb = useSandbox();

  it('the default devices and linux.devices entries are usable', () => {
    const id = sb.id('userns-dev');
    const script = [
      'echo x > /dev/null && echo null-ok',
      'head -c 3 /dev/zero | od -An -tx1 | tr -d " "',
      'echo x > /dev/null2 && echo null2-ok',
      'stat -c "%n %F %t:%T" /dev/null2 /dev/fuse',
    ].join('; ');
    const bundle = sb.bundle(id, ['sh', '-c', script], (c) => {
      inUserNamespace(c);
      c.linux!.devices = [
        { path: '/dev/null2', type: 'c', major: 1, minor: 3, fileMode: 0o666 },
        { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 },
      ];
    });
    const r = runts(['run', '-b', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('null-ok\n000000\nnull2-ok\n/dev/null2 character special file 1:3\n/dev/fuse character special file a:e5\n');
  });

  it('a device the host has no node for is refused with what to do', () => {
    const id = sb.id('userns-dev-missing');
    const bundle = sb.bundle(id, ['true'], (c) => {
      inUserNamespace(c);
      c.linux!.devices = [{ path: '/dev/nothing', type: 'c', major: 250, minor: 250 }];
    });
    const r = runts(['run', '-b', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('create device /dev/nothing: Operation not permitted: mknod is not permitted in a user namespace and the host has no node 250:250 in /dev to bind instead');
    expect(traces(id)).toEqual([]);
  });
});

describe.skipIf(!isRoot)('HOME', () => {
  const sb = useSandbox();
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:User:/home/user:/bin/sh\nnohome:x:1001:1001:::/bin/sh\n';

  function home(uid: number, env: string[] = ['PATH=/bin']): string {
    const id = sb.id('home');
    const bundle = sb.bundle(id, ['sh', '-c', 'echo "$HOME"; env | grep -c "^HOME="'], (c) => {
      c.process!.user = { uid, gid: uid };
      c.process!.env = env;
    });
    writeFileSync(path.join(bundle, 'rootfs/etc/passwd'), passwd);
    const r = runts(['run', '-b', bundle, id]);
    expect(r.stderr).toBe('');
    return r.stdout;
  }

  it('comes from the container /etc/passwd entry of the process uid', () => {
    expect(home(1000)).toBe('/home/user\n1\n');
    expect(home(0)).toBe('/root\n1\n');
  });

  it('is / for a uid without an entry or an entry without a home', () => {
    expect(home(2000)).toBe('/\n1\n');
    expect(home(1001)).toBe('/\n1\n');
  });

  it('an empty HOME is filled, a set one is kept', () => {
    expect(home(1000, ['PATH=/bin', 'HOME='])).toBe('/home/user\n1\n');
    expect(home(1000, ['PATH=/bin', 'HOME=/elsewhere'])).toBe('/elsewhere\n1\n');
  });

  it('a fifo as /etc/passwd does not block the container', () => {
    const id = sb.id('home-fifo');
    const bundle = sb.bundle(id, ['sh', '-c', 'echo "$HOME"'], (c) => (c.process!.env = ['PATH=/bin']));
    rmSync(path.join(bundle, 'rootfs/etc/passwd'));
    spawnSync('mkfifo', [path.join(bundle, 'rootfs/etc/passwd')]);
    expect(runts(['run', '-b', bundle, id], { timeout: 10_000 }).stdout).toBe('/\n');
  });
});

/**
 * Runs bin/runts with exactly stdio and the given extra fds open (3, 4, ...),
 * each a file of its own; returns its exit code (null on a timeout).
 * LISTEN_PID "self" becomes runts' own pid (a shell that execs it).
 */
function runWithFds(args: string[], extraFds: number, env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'runts-test-mounts-fds-'));
  const fds: number[] = [];
  for (let i = 0; i < extraFds; i++) {
    const file = path.join(dir, `fd${i}`);
    writeFileSync(file, `fd ${3 + i}\n`);
    fds.push(openSync(file, 'r'));
  }
  const errFile = path.join(dir, 'err');
  const err = openSync(errFile, 'w');
  const self = env.LISTEN_PID === 'self';
  const command = self ? ['/bin/sh', '-c', 'export LISTEN_PID=$$; exec "$@"', 'sh', RUNTS] : [RUNTS];
  const child = spawn(command[0]!, [...command.slice(1), '--root', ROOT, ...args], {
    stdio: ['ignore', 'ignore', err, ...fds],
    env: { ...process.env, ...env },
  });
  for (const fd of [...fds, err]) closeSync(fd);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = readFileSync(errFile, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stderr });
    });
  });
}

describe.skipIf(!isRoot)('--preserve-fds and LISTEN_FDS pass the caller fds and nothing of runts', () => {
  const sb = useSandbox();
  // ls lists its own fds: stdio, what was passed, and (last) the directory
  // it reads, which is not shown.
  const writable = (c: OciConfig): void => void (c.root!.readonly = false);
  const lister = 'ls /proc/self/fd | sed "$ d" | tr "\\n" " " > /fds; cat <&3 >> /fds; cat <&4 >> /fds; env | grep ^LISTEN_ | sort >> /fds';

  it('N=30 with only fds 3 and 4 open: the container sees 0-4, create returns, delete works', async () => {
    const id = sb.id('fds30');
    const bundle = sb.bundle(id, ['sh', '-c', lister], writable);
    const created = await runWithFds(['create', '--preserve-fds', '30', '-b', bundle, id], 2);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(runts(['start', id]).code).toBe(0);
    waitStopped(id);
    expect(readFileSync(path.join(bundle, 'rootfs/fds'), 'utf8')).toBe('0 1 2 3 4 fd 3\nfd 4\n');
    const del = runts(['delete', '--force', id], { timeout: 10_000 });
    expect(del.code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('LISTEN_FDS=2 and --preserve-fds 10 with fds 3-5 open: the container sees 0-5', async () => {
    const id = sb.id('listenfds');
    const bundle = sb.bundle(id, ['sh', '-c', lister.replace('env |', 'cat <&5 >> /fds; env |')], writable);
    const created = await runWithFds(['create', '--preserve-fds', '10', '-b', bundle, id], 3, { LISTEN_FDS: '2', LISTEN_PID: 'self' });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(runts(['start', id]).code).toBe(0);
    waitStopped(id);
    expect(readFileSync(path.join(bundle, 'rootfs/fds'), 'utf8')).toBe('0 1 2 3 4 5 fd 3\nfd 4\nfd 5\nLISTEN_FDS=2\nLISTEN_PID=1\n');
    expect(runts(['delete', id]).code).toBe(0);
  });

  it('LISTEN_FDS for another process (LISTEN_PID is not runts) passes nothing, as runc', async () => {
    const id = sb.id('listenfds-other');
    const bundle = sb.bundle(id, ['sh', '-c', 'ls /proc/self/fd | sed "$ d" | tr "\\n" " " > /fds; env | grep ^LISTEN_ >> /fds'], writable);
    const created = await runWithFds(['create', '-b', bundle, id], 2, { LISTEN_FDS: '2', LISTEN_PID: '1' });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(runts(['start', id]).code).toBe(0);
    waitStopped(id);
    expect(readFileSync(path.join(bundle, 'rootfs/fds'), 'utf8')).toBe('0 1 2 ');
    expect(runts(['delete', id]).code).toBe(0);
  });
});

describe.skipIf(!isRoot)('exit codes of a program that cannot be run', () => {
  const sb = useSandbox();

  it('run and create exit 127 for a missing program', () => {
    const r = sb.run(['no-such-program']);
    expect(r.stderr).toContain('exec: "no-such-program": executable file not found in $PATH');
    expect(r.code).toBe(127);
    expect(traces(r.id)).toEqual([]);
    const id = sb.id('create-127');
    const bundle = sb.bundle(id, ['/bin/no-such-program']);
    const c = runts(['create', '-b', bundle, id]);
    expect(c.stderr).toContain('exec: "/bin/no-such-program": stat /bin/no-such-program: No such file or directory');
    expect(c.code).toBe(127);
    expect(traces(id)).toEqual([]);
  });

  it('run and create exit 126 for a program without execute permission', () => {
    const id = sb.id('run-126');
    const bundle = sb.bundle(id, ['/notexec']);
    writeFileSync(path.join(bundle, 'rootfs/notexec'), '#!/bin/sh\n', { mode: 0o644 });
    const r = runts(['run', '-b', bundle, id]);
    expect(r.stderr).toContain('exec: "/notexec": permission denied');
    expect(r.code).toBe(126);
    const cid = sb.id('create-126');
    const cbundle = sb.bundle(cid, ['notexec'], (c) => (c.process!.env = ['PATH=/']));
    writeFileSync(path.join(cbundle, 'rootfs/notexec'), '#!/bin/sh\n', { mode: 0o644 });
    const c = runts(['create', '-b', cbundle, cid]);
    expect(c.stderr).toContain('exec: "notexec": permission denied');
    expect(c.code).toBe(126);
    expect(traces(cid)).toEqual([]);
  });
});
