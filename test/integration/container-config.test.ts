// Every config.json field issue #2 names, checked from inside a real
// container: what the process sees must be what the config asked for.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { isRoot, runts, useSandbox } from '../helpers/sandbox';

/** Parses "Key:\tvalue" lines of /proc/<pid>/status. */
function statusFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** mountinfo of the container: mount point -> {options, fstype, superOptions}. */
function mounts(text: string): Map<string, { options: string[]; fstype: string; superOptions: string[]; root: string }> {
  const out = new Map();
  for (const line of text.trim().split('\n')) {
    const [before, after] = line.split(' - ');
    const f = before!.split(' ');
    const a = after!.split(' ');
    out.set(f[4], { root: f[3], options: f[5]!.split(','), fstype: a[0], superOptions: a[2]!.split(',') });
  }
  return out;
}

describe.skipIf(!isRoot)('the container, seen from inside', () => {
  const sb = useSandbox();

  it('sets hostname and domainname in its own UTS namespace', () => {
    const out = sb.sh('hostname; cat /proc/sys/kernel/domainname', (c) => {
      c.hostname = 'box1';
      c.domainname = 'example.test';
    });
    expect(out).toBe('box1\nexample.test\n');
    expect(execFileSync('hostname', { encoding: 'utf8' }).trim()).not.toBe('box1');
  });

  it('creates each namespace type it lists, and shares the ones it does not list', () => {
    const host = (ns: string) => readlinkSync(`/proc/self/ns/${ns}`);
    const out = sb.sh('for n in pid net mnt ipc uts cgroup time user; do echo "$n $(readlink /proc/self/ns/$n)"; done; echo pid=$$', (c) => {
      c.linux!.namespaces = [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'cgroup' }, { type: 'time' }];
    });
    const seen = Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ')));
    for (const ns of ['pid', 'net', 'mnt', 'ipc', 'uts', 'cgroup', 'time']) expect(seen[ns]).not.toBe(host(ns));
    expect(seen.user).toBe(host('user'));
    expect(seen.pid).toMatch(/^pid:/);
    expect(out).toContain('pid=1\n');
  });

  it('joins a namespace given by path', () => {
    const id = sb.id('ns');
    const bundle = sb.bundle(id, ['sleep', '60'], (c) => (c.hostname = 'shared-uts'));
    expect(runts(['run', '-d', '-b', bundle, id]).code).toBe(0);
    const pid = JSON.parse(runts(['state', id]).stdout).pid as number;
    const out = sb.sh('hostname; readlink /proc/self/ns/net', (c) => {
      delete c.hostname;
      c.linux!.namespaces = c.linux!.namespaces!.map((n) =>
        n.type === 'uts' || n.type === 'network' ? { type: n.type, path: `/proc/${pid}/ns/${n.type === 'uts' ? 'uts' : 'net'}` } : n,
      );
    });
    expect(out).toBe(`shared-uts\n${readlinkSync(`/proc/${pid}/ns/net`)}\n`);
  });

  it('refuses a namespace path of the wrong type', () => {
    const r = sb.run(['true'], (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/self/ns/uts' } : n));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/join network namespace \/proc\/self\/ns\/uts: Invalid argument: the path is not a network namespace/);
  });

  it('maps users in a new user namespace', () => {
    const out = sb.sh('cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin/busybox', (c) => {
      c.linux!.namespaces!.push({ type: 'user' });
      c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      // sysfs and cgroups cannot be mounted from a user namespace without a network
      // namespace of its own and a cgroup namespace; keep the test to what matters.
      c.mounts = c.mounts!.filter((m) => !['/sys', '/sys/fs/cgroup'].includes(m.destination));
    });
    const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(lines).toEqual(['0 100000 65536', '0 100000 65536', '0', '65534']);
  });

  it('applies user, groups, umask, cwd and env', () => {
    // /proc/1/environ: the environment the container process (sh) was started with.
    const out = sb.sh('id -u; id -g; id -G; umask; pwd; echo "$FOO"; cat /proc/1/environ | tr "\\0" "\\n"', (c) => {
      c.process!.user = { uid: 1000, gid: 1001, additionalGids: [20, 30], umask: 0o027 };
      c.process!.cwd = '/tmp/work/dir';
      c.process!.env = ['PATH=/bin', 'FOO=bar baz'];
    });
    // HOME: uid 1000 has no /etc/passwd entry, so "/", as runc and crun give.
    expect(out).toBe('1000\n1001\n1001 20 30\n0027\n/tmp/work/dir\nbar baz\nPATH=/bin\nFOO=bar baz\nHOME=/\n');
  });

  it('sets rlimits', () => {
    const out = sb.sh('ulimit -Sn; ulimit -Hn; grep "Max core" /proc/self/limits', (c) => {
      c.process!.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 2048 },
        { type: 'RLIMIT_CORE', soft: 4096, hard: 8192 },
      ];
    });
    expect(out).toMatch(/^512\n2048\nMax core file size\s+4096\s+8192\s+bytes/);
  });

  it('fails clearly when a hard rlimit is above what this host allows', () => {
    const r = sb.run(['true'], (c) => (c.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/set rlimit RLIMIT_NOFILE \(soft 1048576, hard 1048576\): Operation not permitted: the hard limit 1048576 is above this host's \d+/);
  });

  it('sets all five capability sets and no_new_privs', () => {
    const status = statusFields(
      sb.sh('cat /proc/self/status', (c) => {
        c.process!.user = { uid: 1000, gid: 1000 };
        c.process!.capabilities = {
          bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
          permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          ambient: ['CAP_NET_BIND_SERVICE'],
        };
        c.process!.noNewPrivileges = true;
      }),
    );
    // CAP_CHOWN=0, CAP_KILL=5, CAP_NET_BIND_SERVICE=10. A non-root program
    // keeps only its ambient capabilities across execve.
    expect(status).toMatchObject({
      CapBnd: '0000000000000421',
      CapInh: '0000000000000420',
      CapPrm: '0000000000000400',
      CapEff: '0000000000000400',
      CapAmb: '0000000000000400',
      NoNewPrivs: '1',
    });
  });

  it('keeps root within the bounding set and leaves no_new_privs off unless asked', () => {
    const status = statusFields(sb.sh('cat /proc/self/status', (c) => (c.process!.noNewPrivileges = false)));
    expect(status).toMatchObject({ CapBnd: '0000000020000420', CapEff: '0000000020000420', NoNewPrivs: '0' });
  });

  it('starts the program with every signal at its default and none blocked', () => {
    const r = sb.run(['cat', '/proc/self/status']);
    expect(statusFields(r.stdout)).toMatchObject({ SigIgn: '0000000000000000', SigBlk: '0000000000000000', SigCgt: '0000000000000000' });
  });

  it('warns about capabilities this host cannot grant and runs without them', () => {
    const r = sb.run(['sh', '-c', 'grep CapBnd /proc/self/status'], (c) => c.process!.capabilities!.bounding!.push('CAP_SYS_RESOURCE'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('CapBnd:\t0000000020000420\n');
    expect(r.stderr).toContain('warning: capabilities CAP_SYS_RESOURCE cannot be granted on this host');
  });

  it('sets oom_score_adj, and says why a negative one fails here', () => {
    expect(sb.sh('cat /proc/self/oom_score_adj', (c) => (c.process!.oomScoreAdj = 500))).toBe('500\n');
    const r = sb.run(['true'], (c) => (c.process!.oomScoreAdj = -998));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/set oom_score_adj to -998 .*lowering oom_score_adj needs CAP_SYS_RESOURCE/);
  });

  it('mounts the default filesystems with their options', () => {
    const m = mounts(sb.sh('cat /proc/self/mountinfo'));
    expect(m.get('/')?.options).toContain('ro');
    expect(m.get('/proc')?.fstype).toBe('proc');
    expect(m.get('/dev')).toMatchObject({ fstype: 'tmpfs' });
    expect(m.get('/dev')?.options).toEqual(expect.arrayContaining(['rw', 'nosuid']));
    expect(m.get('/dev')?.superOptions).toEqual(expect.arrayContaining(['size=65536k', 'mode=755']));
    expect(m.get('/dev/pts')?.superOptions).toEqual(expect.arrayContaining(['gid=5', 'mode=620', 'ptmxmode=666']));
    expect(m.get('/dev/shm')?.options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    expect(m.get('/dev/mqueue')?.fstype).toBe('mqueue');
    expect(m.get('/sys')?.options).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    expect(m.get('/sys/fs/cgroup')?.fstype).toBe('tmpfs');
    expect(m.get('/sys/fs/cgroup/memory')).toMatchObject({ fstype: 'cgroup' });
    expect(m.get('/sys/fs/cgroup/memory')?.options).toContain('ro');
  });

  it('honours the mount option strings', () => {
    const data = path.join(sb.dir, 'data');
    mkdirSync(path.join(data, 'sub'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(data, 'sub')]);
    try {
      writeFileSync(path.join(data, 'file.txt'), 'hello');
      const m = mounts(
        sb.sh('cat /proc/self/mountinfo', (c) => {
          c.mounts!.push(
            { destination: '/t1', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'noexec', 'nodev', 'nosuid', 'noatime', 'size=1m', 'mode=700'] },
            { destination: '/t2', type: 'tmpfs', source: 'tmpfs', options: ['strictatime', 'nodiratime', 'sync', 'dirsync'] },
            { destination: '/b1', type: 'bind', source: data, options: ['bind', 'ro', 'nosuid', 'private'] },
            { destination: '/b2', type: 'none', source: data, options: ['rbind', 'rro', 'rnoexec', 'rslave'] },
            { destination: '/b3', source: data, options: ['rbind', 'shared'] },
            { destination: '/f1', type: 'bind', source: path.join(data, 'file.txt'), options: ['bind', 'ro'] },
            { destination: '/nosym', type: 'tmpfs', source: 'tmpfs', options: ['nosymfollow'] },
          );
        }),
      );
      expect(m.get('/t1')?.options).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec', 'noatime']));
      expect(m.get('/t1')?.superOptions).toEqual(expect.arrayContaining(['size=1024k', 'mode=700']));
      expect(m.get('/t2')?.options).toContain('nodiratime');
      expect(m.get('/t2')?.superOptions).toEqual(expect.arrayContaining(['sync', 'dirsync']));
      expect(m.get('/b1')?.options).toEqual(expect.arrayContaining(['ro', 'nosuid']));
      expect(m.get('/b1/sub')).toBeUndefined();
      expect(m.get('/b2')?.options).toEqual(expect.arrayContaining(['ro', 'noexec']));
      expect(m.get('/b2/sub')?.options).toEqual(expect.arrayContaining(['ro', 'noexec']));
      expect(m.get('/b3/sub')).toBeDefined();
      expect(m.get('/f1')?.options).toContain('ro');
      expect(m.get('/nosym')?.options).toContain('nosymfollow');
      const propagation = (point: string) => sb.sh(`grep " ${point} " /proc/self/mountinfo | sed "s/ - .*//"`, (c) => {
        c.mounts!.push({ destination: point, source: data, options: ['rbind', point === '/s' ? 'rshared' : 'rprivate'] });
      });
      expect(propagation('/s')).toMatch(/shared:\d+/);
      expect(propagation('/p')).not.toMatch(/shared:|master:/);
    } finally {
      execFileSync('umount', [path.join(data, 'sub')]);
    }
  });

  it('creates the default devices and links, and linux.devices', () => {
    const out = sb.sh(
      'for d in null zero full random urandom tty fuse; do stat -c "%n %F %t:%T %a %u:%g" /dev/$d; done; for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done; echo x > /dev/null && head -c 3 /dev/zero | od -An -tx1',
      (c) => (c.linux!.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o640, uid: 0, gid: 5 }]),
    );
    expect(out).toBe(
      [
        '/dev/null character special file 1:3 666 0:0',
        '/dev/zero character special file 1:5 666 0:0',
        '/dev/full character special file 1:7 666 0:0',
        '/dev/random character special file 1:8 666 0:0',
        '/dev/urandom character special file 1:9 666 0:0',
        '/dev/tty character special file 5:0 666 0:0',
        '/dev/fuse character special file a:e5 640 0:5',
        'pts/ptmx',
        '/proc/self/fd',
        '/proc/self/fd/0',
        '/proc/self/fd/1',
        '/proc/self/fd/2',
        ' 00 00 00',
        '',
      ].join('\n'),
    );
  });

  it('masks paths and makes paths read-only', () => {
    const out = sb.sh(
      'cat /proc/kcore | wc -c; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/panic 2>/dev/null && echo writable || echo read-only; grep -c " /proc/sys " /proc/self/mountinfo',
    );
    expect(out).toBe('0\n0\nread-only\n1\n');
  });

  it('writes namespaced sysctls', () => {
    expect(sb.sh('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni', (c) => {
      c.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmni': '1234' };
    })).toBe('1\n1234\n');
  });

  it('makes the rootfs writable when root.readonly is false, and propagates as asked', () => {
    expect(sb.sh('touch /newfile && echo ok', (c) => (c.root!.readonly = false))).toBe('ok\n');
    expect(sb.run(['touch', '/newfile']).stderr).toMatch(/Read-only file system/);
    expect(sb.sh('awk \'$5 == "/"\' /proc/self/mountinfo', (c) => (c.linux!.rootfsPropagation = 'shared'))).toMatch(/shared:\d+/);
  });

  it('works with --no-pivot', () => {
    const id = sb.id('nopivot');
    const r = runts(['run', '--no-pivot', '-b', sb.bundle(id, ['sh', '-c', 'ls / | head -3; cat /proc/self/mountinfo | head -1']), id]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/^bin\ndev\netc\n/);
  });

  it('looks args[0] up in the container PATH', () => {
    expect(sb.sh('echo found', (c) => (c.process!.env = ['PATH=/nowhere:/bin']))).toBe('found\n');
  });

  it('puts the container in its cgroup, seen from inside through its cgroup namespace', () => {
    const out = sb.sh('cat /proc/self/cgroup; ls /sys/fs/cgroup/pids/cgroup.procs');
    expect(out).toMatch(/^\d+:[^:]+:\/$/m);
    expect(out).toContain('/sys/fs/cgroup/pids/cgroup.procs');
  });

  it('honours time namespace offsets', () => {
    const out = sb.sh('cut -d. -f1 /proc/uptime', (c) => {
      c.linux!.namespaces!.push({ type: 'time' });
      c.linux!.timeOffsets = { boottime: { secs: 86400 * 365 } };
    });
    const hostUptime = Number(readFileSync('/proc/uptime', 'utf8').split('.')[0]);
    expect(Number(out) - hostUptime).toBeGreaterThanOrEqual(86400 * 365 - 5);
  });

  it('passes --preserve-fds and nothing else', async () => {
    const id = sb.id('fds');
    // ls (exec'd by sh as its last command) lists its own fds: stdio, the
    // preserved fd 3 and the directory it reads (4). Nothing else may leak in.
    const bundle = sb.bundle(id, ['sh', '-c', 'cat <&3; echo; ls /proc/self/fd | tr "\\n" " "']);
    const extra = path.join(sb.dir, 'extra.txt');
    writeFileSync(extra, 'from fd 3');
    const fd = openSync(extra, 'r');
    const child = spawn(path.resolve('bin/runts'), ['--root', '/run/runts-test', 'run', '--preserve-fds', '1', '-b', bundle, id], {
      stdio: ['ignore', 'pipe', 'inherit', fd],
    });
    closeSync(fd);
    const text = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout!.on('data', (d) => (buf += d));
      child.on('close', () => resolve(buf));
    });
    expect(text).toBe('from fd 3\n0 1 2 3 4 ');
  });
  it('mounts overlay filesystems', () => {
    const lower = path.join(sb.dir, 'lower');
    const upper = path.join(sb.dir, 'upper');
    const work = path.join(sb.dir, 'work');
    for (const d of [lower, upper, work]) mkdirSync(d);
    writeFileSync(path.join(lower, 'from-lower'), 'lower\n');
    const out = sb.sh('cat /ov/from-lower; echo new > /ov/from-container; grep " /ov " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1', (c) => {
      c.mounts!.push({ destination: '/ov', type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${work}`] });
    });
    expect(out).toBe('lower\noverlay\n');
    expect(readFileSync(path.join(upper, 'from-container'), 'utf8')).toBe('new\n');
  });

  it('joins a session keyring of its own unless --no-new-keyring', () => {
    // /proc/keys also lists other containers' keyrings (root may view them),
    // so each check looks for this container's own keyring name only.
    const unmask = (c: OciConfig) => (c.linux!.maskedPaths = []);
    const ownId = sb.id('keyring-own');
    const own = sb.bundle(ownId, ['sh', '-c', `grep -c " _ses\\.${ownId}: " /proc/keys`], unmask);
    expect(runts(['run', '-b', own, ownId]).stdout).toBe('1\n');
    const id = sb.id('keyring');
    const bundle = sb.bundle(id, ['sh', '-c', `grep -c " _ses\\.${id}: " /proc/keys`], unmask);
    expect(runts(['run', '--no-new-keyring', '-b', bundle, id]).stdout).toBe('0\n');
  });
});
