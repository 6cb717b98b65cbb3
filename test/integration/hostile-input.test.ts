// Hostile and damaged input, performed for real against the runts CLI (and,
// for the fd accounting, the library): each gets a clear failure and leaves
// no state directory, cgroup or process behind.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import type { OciConfig } from '../../src/config/types';
import { createContainer } from '../../src/container/create';
import { native, type LaunchResult, type NativeAddon } from '../../src/native/binding';
import { isRoot, ROOT, runts, useSandbox, traces, type RunOptions } from '../helpers/sandbox';

const viaNode: RunOptions = { env: { RUNTS_NATIVE_VERBS: '0' } };
const paths = [['native', {}], ['Node', viaNode]] as const;

/** The cgroups of a container at runts' default placement, /runts/<id>. */
function defaultCgroups(id: string): string[] {
  return placeContainer(hostLayout(), undefined, id).dirs.map((d) => d.dir);
}

function leftovers(id: string): string[] {
  return [...traces(id), ...defaultCgroups(id).filter((d) => existsSync(d))];
}

function alive(pid: number, startTime: string): boolean {
  return native().procStartTime(pid) === startTime && !/\) Z /.test(readProc(`/proc/${pid}/stat`));
}

function readProc(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The safety net when a test fails half-way: kill what is in the default cgroups, remove them. */
function sweep(id: string): void {
  for (const dir of defaultCgroups(id).reverse()) {
    if (!existsSync(dir)) continue;
    for (const pid of readProc(path.join(dir, 'cgroup.procs')).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    for (let i = 0; i < 100; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  }
  rmSync(path.join(ROOT, id), { recursive: true, force: true });
}

describe.skipIf(!isRoot)('hostile input', () => {
  // Before useSandbox(): the sweep then runs after the containers are deleted.
  const used: string[] = [];
  afterEach(() => {
    for (const id of used.splice(0)) sweep(id);
  });
  const sb = useSandbox();

  function id(tag: string): string {
    const i = sb.id(`ho-${tag}`);
    used.push(i);
    return i;
  }

  function createFails(i: string, bundle: string, message: RegExp | string, opts: RunOptions = {}, code = 1): string {
    const r = runts(['create', '--bundle', bundle, i], { timeout: 10_000, ...opts });
    expect(r.signal, 'create must not hang').toBeNull();
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/TypeError|internal error|    at /);
    expect(leftovers(i)).toEqual([]);
    return r.stderr;
  }

  describe('config.json that is not a regular file, or too big', () => {
    it('a symlink to /dev/zero: refused at once, not read', () => {
      const i = id('zero');
      const bundle = sb.bundle(i, ['true']);
      rmSync(path.join(bundle, 'config.json'));
      symlinkSync('/dev/zero', path.join(bundle, 'config.json'));
      const t0 = Date.now();
      createFails(i, bundle, /config\.json is a character device, not a regular file: runts reads it only from a regular file/);
      expect(Date.now() - t0).toBeLessThan(5000);
    });

    it('a FIFO: refused at once, create does not hang', () => {
      const i = id('fifo');
      const bundle = sb.bundle(i, ['true']);
      rmSync(path.join(bundle, 'config.json'));
      execFileSync('mkfifo', [path.join(bundle, 'config.json')]);
      createFails(i, bundle, /config\.json is a FIFO, not a regular file/);
    });

    it('a file above 16 MiB: the limit is named', () => {
      const i = id('big');
      const bundle = sb.bundle(i, ['true']);
      execFileSync('truncate', ['-s', '17M', path.join(bundle, 'config.json')]);
      createFails(i, bundle, /config\.json is 17 MiB, above runts' limit of 16 MiB for a document it reads/);
    });
  });

  it.each([
    ['null', 'null'],
    ['42', 'a number'],
    ['"x"', 'a string'],
    ['[]', 'an array'],
  ])('config.json of %s: a clear message, no leaked TypeError', (text, what) => {
    const i = id('notobj');
    const bundle = sb.bundle(i, ['true']);
    writeFileSync(path.join(bundle, 'config.json'), text);
    createFails(i, bundle, `config.json must hold a JSON object (the runtime-spec configuration, as \`runts spec\` writes it), not ${what}\n`);
  });

  it('a syntax error in a config.json that is a symlink to /etc/shadow quotes a position, not the content', () => {
    const i = id('shadow');
    const bundle = sb.bundle(i, ['true']);
    rmSync(path.join(bundle, 'config.json'));
    symlinkSync('/etc/shadow', path.join(bundle, 'config.json'));
    const firstLine = readFileSync('/etc/shadow', 'utf8').split('\n')[0]!;
    const stderr = createFails(i, bundle, /config\.json is not valid JSON at line 1, column 1: Unexpected character\n$/);
    expect(stderr).not.toContain(firstLine.slice(0, 4));
    const log = path.join(sb.dir, 'log.json');
    runts(['--log', log, '--log-format', 'json', 'create', '--bundle', bundle, i]);
    expect(readFileSync(log, 'utf8')).not.toContain(firstLine.slice(0, 4));
  });

  describe('ids with control characters', () => {
    it.each(paths)('are escaped in stderr and in the log, never a new line (%s path)', (_name, opts) => {
      const bundle = sb.bundle(id('ctl'), ['true']);
      const evil = 'ho-x\nlevel=error msg="forged"\u001b[2J';
      const log = path.join(sb.dir, `log-${_name}`);
      for (const args of [['create', '--bundle', bundle, evil], ['state', evil], ['delete', '--force', evil], ['kill', evil, 'KILL']]) {
        const r = runts(['--log', log, ...args], opts);
        expect(r.code, args[0]).toBe(1);
        // With --log, create's errors go to the log only: its stderr is the container's.
        const shown = args[0] === 'create' ? '' : `runts: invalid container id "ho-x\\nlevel=error msg=\\"forged\\"\\u001b[2J": use only letters, digits and _ + , - . (no '/' or spaces)\n`;
        expect(r.stderr, args[0]).toBe(shown);
      }
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(4);
      for (const line of lines) expect(line).toMatch(/^time="[^"]+" level=error msg=".*invalid container id/);
      const j = runts(['--log', log, '--log-format', 'json', 'state', evil], opts);
      expect(j.code).toBe(1);
      const last = readFileSync(log, 'utf8').trim().split('\n').pop()!;
      expect(JSON.parse(last).msg).toContain('invalid container id "ho-x\\nlevel');
    });

    it("accepts what runc accepts (',' included) and nothing else", () => {
      const i = `${id('comma')},b`;
      used.push(i);
      expect(runts(['create', '--bundle', sb.bundle(id('comma2'), ['true']), i]).code).toBe(0);
      expect(runts(['delete', '--force', i]).code).toBe(0);
      expect(leftovers(i)).toEqual([]);
    });
  });

  describe('delete --force of a container whose state.json is damaged or gone', () => {
    const damages: [string, (file: string) => void][] = [
      ['empty', (f) => writeFileSync(f, '')],
      ['garbage', (f) => writeFileSync(f, '\u0000\u0001 not json {')],
      ['wrong types', (f) => writeFileSync(f, JSON.stringify({ status: 7, pid: 'x', runts: { cgroups: 'no' } }))],
      ['deleted', (f) => rmSync(f)],
      ['a symlink to /dev/zero', (f) => (rmSync(f), symlinkSync('/dev/zero', f))],
    ];
    const cases = paths.flatMap(([name, opts]) => damages.map(([what, damage]) => [what, name, opts, damage] as const));

    it.each(cases)('%s (%s path): kills the process, removes the cgroups and the state directory', (what, _name, opts, damage) => {
      const i = id('dmg');
      // The default placement: the one delete can find without a record.
      const bundle = sb.bundle(i, ['sleep', '600'], (c) => delete c.linux!.cgroupsPath);
      expect(runts(['create', '--bundle', bundle, i]).code).toBe(0);
      const state = JSON.parse(runts(['state', i]).stdout) as { pid: number };
      const startTime = native().procStartTime(state.pid)!;
      expect(defaultCgroups(i).every((d) => existsSync(d))).toBe(true);
      if (what === 'garbage') expect(runts(['start', i]).code).toBe(0); // a running one too
      damage(path.join(ROOT, i, 'state.json'));
      if (what !== 'deleted') {
        const st = runts(['state', i], opts);
        expect(st.code).toBe(1);
        expect(st.stderr).toMatch(new RegExp(`state file .*/${i}/state\\.json is damaged: .*; \`runts delete --force ${i}\` removes the container\\n$`));
        // Plain delete refuses a damaged record; --force is what removes it.
        expect(runts(['delete', i], opts)).toMatchObject({ code: 1, stderr: st.stderr });
      } else {
        expect(runts(['delete', i], opts).stderr).toMatch(/that is not stopped: running .*delete --force/);
      }
      const del = runts(['delete', '--force', i], opts);
      expect(del).toMatchObject({ code: 0, stderr: '' });
      expect(alive(state.pid, startTime)).toBe(false);
      expect(leftovers(i)).toEqual([]);
    });

    it.each(paths)('a cgroup path edited to point elsewhere is never removed (%s path)', (_name, opts) => {
      const i = id('edit');
      const bundle = sb.bundle(i, ['sleep', '600'], (c) => delete c.linux!.cgroupsPath);
      expect(runts(['create', '--bundle', bundle, i]).code).toBe(0);
      const pid = (JSON.parse(runts(['state', i]).stdout) as { pid: number }).pid;
      const startTime = native().procStartTime(pid)!;
      const victim = path.join(sb.dir, 'victim');
      mkdirSync(victim);
      const file = path.join(ROOT, i, 'state.json');
      const record = JSON.parse(readFileSync(file, 'utf8'));
      const real = defaultCgroups(i)[0]!;
      for (const k of ['procsFile', 'killFile', 'freezerFile']) delete record.runts[k];
      record.runts.cgroups = [
        { path: victim, created: true },
        { path: `${real}/../../..${victim}`, created: true },
        { path: '/sys/fs/cgroup/unified', created: true },
      ];
      writeFileSync(file, JSON.stringify(record));
      // The first problem is named: the path with "..", found before any is checked against the mounts.
      expect(runts(['kill', i, 'KILL'], opts).stderr).toMatch(/runts\.cgroups\[1\]\.path ".*\/\.\.\/.*victim" is not a clean absolute path/);
      record.runts.cgroups.splice(1, 1);
      writeFileSync(file, JSON.stringify(record));
      expect(runts(['kill', i, 'KILL'], opts).stderr).toMatch(/runts\.cgroups\[0\]\.path ".*victim" is not below a cgroup mount of this host/);
      expect(runts(['delete', '--force', i], opts)).toMatchObject({ code: 0, stderr: '' });
      expect(existsSync(victim)).toBe(true);
      expect(existsSync('/sys/fs/cgroup/unified')).toBe(true);
      expect(alive(pid, startTime)).toBe(false);
      expect(leftovers(i)).toEqual([]);
    });
  });

  it('a cgroup path through a symlink (a filesystem mounted inside a hierarchy) is never followed', () => {
    const h = hostLayout().hierarchies.find((x) => x.mountRoot === '/')!;
    const base = path.join(h.mountPoint, `runts-test-ho-link-${process.pid}`);
    const victim = path.join(sb.dir, 'victim');
    mkdirSync(path.join(victim, 'child'), { recursive: true });
    mkdirSync(base);
    try {
      execFileSync('mount', ['-t', 'tmpfs', 'ho-link', base]);
      try {
        symlinkSync(victim, path.join(base, 'link'));
        const i = id('link');
        const bundle = sb.bundle(i, ['sleep', '600'], (c) => delete c.linux!.cgroupsPath);
        expect(runts(['create', '--bundle', bundle, i]).code).toBe(0);
        const file = path.join(ROOT, i, 'state.json');
        const record = JSON.parse(readFileSync(file, 'utf8'));
        for (const k of ['procsFile', 'killFile', 'freezerFile']) delete record.runts[k];
        record.runts.cgroups = [{ path: path.join(base, 'link', 'child'), created: true }];
        writeFileSync(file, JSON.stringify(record));
        expect(runts(['kill', i, 'KILL']).stderr).toMatch(/runts\.cgroups\[0\]\.path ".*\/link\/child" goes through a symlink/);
        expect(runts(['delete', '--force', i])).toMatchObject({ code: 0, stderr: '' });
        expect(existsSync(path.join(victim, 'child'))).toBe(true);
        expect(leftovers(i)).toEqual([]);
      } finally {
        execFileSync('umount', [base]);
      }
    } finally {
      rmdirSync(base);
    }
  });

  describe('names that every object inherits', () => {
    it('"constructor" as a namespace type, an rlimit and a mount option: clear refusals', () => {
      const i = id('ctor');
      const stderr = createFails(
        i,
        sb.bundle(i, ['true'], (c) => {
          (c.linux!.namespaces as unknown[]).push({ type: 'constructor' });
          c.process!.rlimits = [{ type: 'constructor' as never, soft: 1, hard: 1 }];
        }),
        /problems? found, nothing was created/,
      );
      expect(stderr).toMatch(/linux\.namespaces\[\d+\]\.type: must be one of/);
      expect(stderr).toMatch(/process\.rlimits\[0\]\.type: /);
      const j = id('ctor-mnt');
      createFails(
        j,
        sb.bundle(j, ['true'], (c) => c.mounts!.push({ destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['constructor'] })),
        /mount tmpfs on \/x: Invalid argument/,
      );
    });
  });

  describe('args[0] and PATH', () => {
    it('no PATH in process.env: not looked up in the cwd, the words engines map to 127', () => {
      const i = id('nopath');
      createFails(
        i,
        sb.bundle(i, ['sh'], (c) => {
          c.process!.env = ['TERM=xterm'];
          c.process!.cwd = '/bin';
        }),
        `runts: create container "${i}": exec: "sh": executable file not found in $PATH\n`,
        {},
        127,
      );
    });

    it('a relative PATH entry that finds it: refused as Go (and so runc) does', () => {
      const i = id('dotpath');
      createFails(
        i,
        sb.bundle(i, ['sh'], (c) => {
          c.process!.env = ['PATH=:/nonexistent'];
          c.process!.cwd = '/bin';
        }),
        `runts: create container "${i}": exec: "sh": cannot run executable found relative to current directory\n`,
        {},
        127,
      );
    });

    it('an absolute PATH still works', () => {
      const r = sb.run(['sh', '-c', 'echo ok'], (c) => (c.process!.env = ['PATH=/bin']));
      expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
    });
  });

  describe('validation refuses what can only be an attack or a mistake', () => {
    it('NUL bytes in strings that reach system calls, each with its JSON path', () => {
      const i = id('nul');
      const stderr = createFails(
        i,
        sb.bundle(i, ['sh', 'a\u0000b'], (c) => {
          c.process!.env!.push('X=1\u0000');
          c.mounts![0]!.destination = '/proc\u0000/../etc';
          c.mounts![1]!.options!.push('mode=755\u0000');
          c.hostname = 'h\u0000';
          c.linux!.sysctl = { 'kernel.shm_rmid_forced\u0000': '1' };
        }),
        /nothing was created/,
      );
      for (const p of ['process.args[1]', 'process.env[2]', 'mounts[0].destination', 'mounts[1].options[4]', 'hostname', 'linux.sysctl["kernel.shm_rmid_forced\\u0000"]']) {
        expect(stderr).toContain(`  ${p}: `);
      }
      expect(stderr).toContain('contains a NUL byte (\\u0000): no system call can take it; remove it');
      expect(stderr).not.toContain('\u0000');
    });

    it("a root.path that resolves to the host's /", () => {
      const i = id('slash');
      const bundle = sb.bundle(i, ['true'], (c) => (c.root!.path = 'hostroot'));
      symlinkSync('/', path.join(bundle, 'hostroot'));
      createFails(i, bundle, /root\.path: .*hostroot is the host's \/ : a container cannot have the host's root filesystem as its own/);
      const j = id('slash2');
      createFails(j, sb.bundle(j, ['true'], (c) => (c.root!.path = '/')), /root\.path: \/ is the host's \//);
    });
  });
});

describe.skipIf(!isRoot)('a create whose commit fails, through the library', () => {
  const sb = useSandbox();
  const addon = () => native() as NativeAddon & Record<string, unknown>;
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  function openFds(): Map<number, string> {
    const fds = new Map<number, string>();
    for (const name of readdirSync('/proc/self/fd')) {
      try {
        fds.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
      } catch {
        // the fd of the readdir itself
      }
    }
    return fds;
  }

  /** Opens /dev/null until it gets exactly this fd number (free, so the lowest free one in time). */
  function takeFd(n: number): number | undefined {
    const extra: number[] = [];
    let got: number | undefined;
    for (let i = 0; i < 256; i++) {
      const fd = openSync('/dev/null', 'r');
      if (fd === n) {
        got = fd;
        break;
      }
      extra.push(fd);
      if (fd > n) break;
    }
    for (const fd of extra) closeSync(fd);
    return got;
  }

  it('closes the sync fd once and the console fd, and leaves nothing behind', async () => {
    const id = sb.id('ho-commit');
    const bundle = sb.bundle(id, ['sleep', '600'], (c: OciConfig) => (c.process!.terminal = true));
    const a = addon();
    const realLaunch = a.launch;
    const realCommit = a.commitLaunch;
    let launched: LaunchResult | undefined;
    let syncFd = -1;
    let stolen: number | undefined;
    // Fault injection: the container process dies between launch and
    // commit, as when the machine kills it; commit then fails for real.
    a.launch = (req) => {
      launched = realLaunch.call(a, req);
      syncFd = launched.syncFd;
      process.kill(launched.pid, 'SIGKILL');
      return launched;
    };
    a.commitLaunch = (fd: number) => {
      try {
        realCommit.call(a, fd);
      } finally {
        // An embedding program that opens a file right now gets this very
        // number: a second close of the sync fd would take it away.
        stolen = takeFd(fd);
      }
    };
    restore = () => {
      a.launch = realLaunch;
      a.commitLaunch = realCommit;
    };
    const before = openFds();
    await expect(createContainer({ id, bundle, root: ROOT }, { attachTerminal: true })).rejects.toThrow(
      /runts-init exited while the container was being committed/,
    );
    restore();
    restore = undefined;
    expect(launched?.consoleFd).toBeGreaterThanOrEqual(0);
    expect(stolen, 'the freed sync fd number could be reused').toBe(syncFd);
    expect(() => fstatSync(stolen!)).not.toThrow();
    closeSync(stolen!);
    const after = openFds();
    const added = [...after].filter(([fd, link]) => before.get(fd) !== link);
    expect(added.filter(([, link]) => /ptmx|pts|socket:/.test(link))).toEqual([]);
    expect(traces(id)).toEqual([]);
  });
});
