// config.md: root, mounts and their options, process, user, hostname,
// domainname, annotations, extensibility.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OciConfig } from '../../src/config/types';
import { HOST, parseMountinfo, statusField, type ConformanceTest, type MountEntry, type Report, type StatResult, type TestContext } from '../harness';
import { processTest } from './process-test';

function mount(report: Report, point: string): MountEntry | undefined {
  return parseMountinfo(report.mountinfo)
    .filter((m) => m.mountPoint === point)
    .pop();
}

function mustMount(t: TestContext, report: Report, point: string): MountEntry {
  const m = mount(report, point);
  if (!m) t.ok(false, `${point} is not a mount point in the container`);
  return m!;
}

/** A test that an option string shows in the mount's options (or superblock options). */
function optionTest(option: string, shows: string, where: 'options' | 'superOptions' = 'options', level: 'MUST' | 'SHOULD' = 'MUST'): ConformanceTest {
  return {
    id: `config.mounts.option.${option}`,
    section: 'config.md#linux-mount-options',
    level,
    requirement: `Runtimes ${level} implement the option string "${option}".`,
    run(t) {
      const r = t.check((c) => c.mounts!.push({ destination: '/opt-test', type: 'tmpfs', source: 'tmpfs', options: [option] }));
      const m = mustMount(t, r, '/opt-test');
      t.ok(m[where].includes(shows), `${option}: /opt-test has "${shows}" in its ${where} (${m[where].join(',')})`);
    },
  };
}

/** A recursive option: the bind mount and a mount below it both show it. */
function recursiveTest(option: string, shows: string): ConformanceTest {
  return {
    id: `config.mounts.option.${option}`,
    section: 'config.md#linux-mount-options',
    level: 'SHOULD',
    requirement: `Runtimes SHOULD implement "${option}" (recursive, with mount_setattr AT_RECURSIVE).`,
    run(t) {
      const tree = t.treeWithSubmount();
      const r = t.check((c) => c.mounts!.push({ destination: '/rec2', type: 'bind', source: tree, options: ['rbind', option] }));
      const top = mount(r, '/rec2');
      const sub = mount(r, '/rec2/sub');
      t.ok(top?.options.includes(shows) && sub?.options.includes(shows), `${option}: /rec2 and /rec2/sub show "${shows}" (${top?.options.join(',')} / ${sub?.options.join(',')})`);
    },
  };
}

function propagationTest(option: string, expect: (m: MountEntry) => boolean, what: string): ConformanceTest {
  return {
    id: `config.mounts.option.${option}`,
    section: 'config.md#linux-mount-options',
    level: 'MUST',
    requirement: `Runtimes MUST implement the bind mount propagation option "${option}".`,
    run(t) {
      const src = t.scratch();
      const r = t.check((c) => c.mounts!.push({ destination: '/prop', type: 'bind', source: src, options: ['rbind', option] }));
      const m = mustMount(t, r, '/prop');
      t.ok(expect(m), `${option}: /prop is ${what} (optional fields: ${m.optional.join(' ') || 'none'})`);
    },
  };
}

const isShared = (m: MountEntry) => m.optional.some((o) => o.startsWith('shared:'));
const isSlave = (m: MountEntry) => m.optional.some((o) => o.startsWith('master:'));
const isUnbindable = (m: MountEntry) => m.optional.includes('unbindable');
const isPrivate = (m: MountEntry) => !isShared(m) && !isSlave(m) && !isUnbindable(m);

export const configTests: ConformanceTest[] = [
  {
    id: 'config.root.path-relative',
    section: 'config.md#root',
    level: 'MUST',
    requirement: 'On POSIX platforms, path is either an absolute path or a relative path to the bundle.',
    run(t) {
      const r = t.check((c) => (c.root!.path = 'rootfs'), ['stat:/checker']);
      t.equal((r['stat:/checker'] as StatResult).type, 'file', 'the rootfs is the bundle\'s rootfs');
    },
  },
  {
    id: 'config.root.path-absolute',
    section: 'config.md#root',
    level: 'MUST',
    requirement: 'On POSIX platforms, path is either an absolute path or a relative path to the bundle.',
    run(t) {
      const r = t.check((c, dir) => (c.root!.path = path.join(dir, 'rootfs')), ['stat:/checker']);
      t.equal((r['stat:/checker'] as StatResult).type, 'file', 'the rootfs');
    },
  },
  {
    id: 'config.root.readonly',
    section: 'config.md#root',
    level: 'MUST',
    requirement: 'readonly (bool, OPTIONAL) If true then the root filesystem MUST be read-only inside the container.',
    run(t) {
      const r = t.check((c) => (c.root!.readonly = true), ['mkdir:/newdir']);
      t.equal((r['mkdir:/newdir'] as { errno?: number }).errno, 30, 'mkdir in / fails with EROFS');
      t.ok(mustMount(t, r, '/').options.includes('ro'), '/ is mounted ro');
    },
  },
  {
    id: 'config.root.readwrite',
    section: 'config.md#root',
    level: 'MUST',
    requirement: 'readonly defaults to false.',
    run(t) {
      const r = t.check((c) => delete c.root!.readonly, ['mkdir:/newdir']);
      t.equal(r['mkdir:/newdir'], { ok: true }, 'mkdir in / works');
    },
  },
  {
    id: 'config.mounts.order',
    section: 'config.md#mounts',
    level: 'MUST',
    requirement: 'The runtime MUST mount entries in the listed order.',
    run(t) {
      const r = t.check((c) =>
        c.mounts!.push(
          { destination: '/ordered', type: 'tmpfs', source: 'first', options: ['size=1m'] },
          { destination: '/ordered', type: 'tmpfs', source: 'second', options: ['size=2m'] },
        ),
      );
      t.equal(mustMount(t, r, '/ordered').source, 'second', 'the last listed mount is on top');
    },
  },
  {
    id: 'config.mounts.bind-relative-source',
    section: 'config.md#mounts',
    level: 'MUST',
    requirement: 'Path values for bind mounts are either absolute or relative to the bundle.',
    run(t) {
      const r = t.check((c, dir) => {
        mkdirSync(path.join(dir, 'data'));
        writeFileSync(path.join(dir, 'data', 'hello'), 'from the bundle');
        c.mounts!.push({ destination: '/data', source: 'data', options: ['bind'] });
      }, ['read:/data/hello']);
      t.equal(r['read:/data/hello'], { content: 'from the bundle' }, '/data/hello');
    },
  },
  {
    id: 'config.mounts.bind-file',
    section: 'config.md#mounts',
    level: 'MUST',
    requirement: 'source: a file or directory name for bind mounts.',
    run(t) {
      const src = path.join(t.scratch(), 'file.txt');
      writeFileSync(src, 'a file');
      const r = t.check((c) => c.mounts!.push({ destination: '/etc/bound.txt', type: 'bind', source: src, options: ['bind', 'ro'] }), ['read:/etc/bound.txt']);
      t.equal(r['read:/etc/bound.txt'], { content: 'a file' }, 'the bound file');
    },
  },
  {
    id: 'config.mounts.data-options',
    section: 'config.md#linux-mount-options',
    level: 'SHOULD',
    requirement: 'Runtimes SHOULD treat unknown options as filesystem-specific ones and pass those as a comma-separated string to the fifth (const void *data) argument of mount(2).',
    run(t) {
      const r = t.check((c) => c.mounts!.push({ destination: '/data-opts', type: 'tmpfs', source: 'tmpfs', options: ['size=512k', 'mode=700'] }));
      const m = mustMount(t, r, '/data-opts');
      t.ok(m.superOptions.includes('size=512k') && m.superOptions.includes('mode=700'), `size and mode reached tmpfs (${m.superOptions.join(',')})`);
    },
  },
  optionTest('ro', 'ro'),
  optionTest('nosuid', 'nosuid'),
  optionTest('nodev', 'nodev'),
  optionTest('noexec', 'noexec'),
  optionTest('noatime', 'noatime'),
  optionTest('strictatime', 'rw'),
  optionTest('relatime', 'relatime'),
  optionTest('nodiratime', 'nodiratime'),
  optionTest('sync', 'sync', 'superOptions'),
  optionTest('dirsync', 'dirsync', 'superOptions'),
  optionTest('nosymfollow', 'nosymfollow', 'options', 'SHOULD'),
  {
    id: 'config.mounts.option.rw',
    section: 'config.md#linux-mount-options',
    level: 'MUST',
    requirement: 'Runtimes MUST implement the option string "rw".',
    run(t) {
      const r = t.check((c) => c.mounts!.push({ destination: '/rw-test', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'rw'] }));
      t.ok(mustMount(t, r, '/rw-test').options.includes('rw'), 'a later rw wins over ro');
    },
  },
  {
    id: 'config.mounts.option.bind',
    section: 'config.md#linux-mount-options',
    level: 'MUST',
    requirement: 'Runtimes MUST implement the option string "bind" (a mount is a bind mount if it has bind or rbind in the options).',
    run(t) {
      const src = t.scratch();
      mkdirSync(path.join(src, 'sub'));
      writeFileSync(path.join(src, 'sub', 'f'), 'x');
      const r = t.check((c) => c.mounts!.push({ destination: '/b', type: 'none', source: src, options: ['bind'] }), ['read:/b/sub/f']);
      t.equal(r['read:/b/sub/f'], { content: 'x' }, 'the bound directory');
    },
  },
  {
    id: 'config.mounts.option.rbind',
    section: 'config.md#linux-mount-options',
    level: 'MUST',
    requirement: 'Runtimes MUST implement the option string "rbind" (recursive bind mount).',
    run(t) {
      const tree = t.treeWithSubmount();
      const r = t.check((c) =>
        c.mounts!.push(
          { destination: '/copy', type: 'bind', source: tree, options: ['rbind'] },
          { destination: '/flat', type: 'bind', source: tree, options: ['bind'] },
        ),
      );
      t.ok(mount(r, '/copy/sub') !== undefined, 'rbind brings the submount');
      t.ok(mount(r, '/flat/sub') === undefined, 'bind does not');
    },
  },
  optionTest('rro', 'ro', 'options', 'SHOULD'),
  recursiveTest('rnosuid', 'nosuid'),
  recursiveTest('rnodev', 'nodev'),
  recursiveTest('rnoexec', 'noexec'),
  recursiveTest('rnoatime', 'noatime'),
  propagationTest('private', isPrivate, 'private'),
  propagationTest('rprivate', isPrivate, 'private'),
  propagationTest('shared', isShared, 'shared'),
  propagationTest('rshared', isShared, 'shared'),
  propagationTest('slave', (m) => isSlave(m) || isPrivate(m), 'a slave (or private, with a private parent)'),
  propagationTest('rslave', (m) => isSlave(m) || isPrivate(m), 'a slave (or private, with a private parent)'),
  propagationTest('unbindable', isUnbindable, 'unbindable'),
  propagationTest('runbindable', isUnbindable, 'unbindable'),
  {
    id: 'config.process.terminal',
    section: 'config.md#process',
    level: 'MUST',
    requirement: 'terminal: if set to true on Linux a pseudoterminal pair is allocated for the process and the pseudoterminal pty is duplicated on the process\'s standard streams.',
    requires: [HOST.python3],
    async run(t) {
      const report = await t.checkOnConsole();
      t.equal(report.isatty, [true, true, true], 'stdin, stdout and stderr are the pty');
    },
  },
  {
    id: 'config.process.consoleSize',
    section: 'config.md#process',
    level: 'MUST',
    requirement: 'consoleSize (object, OPTIONAL) specifies the console size in characters of the terminal.',
    requires: [HOST.python3],
    async run(t) {
      const report = await t.checkOnConsole((c) => (c.process!.consoleSize = { height: 33, width: 101 }));
      t.equal(report.winsize, [33, 101], 'rows and columns');
    },
  },
  processTest('config.process.cwd', 'config.md#process', 'cwd (string, REQUIRED) is the working directory that will be set for the executable.', (c) => (c.process!.cwd = '/tmp'), (t, r) => t.equal(r.cwd, '/tmp', 'cwd')),
  processTest(
    'config.process.env',
    'config.md#process',
    'env (array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008\'s environ.',
    (c) => (c.process!.env = ['PATH=/bin:/usr/bin', 'A=1', 'B=two words']),
    (t, r) => t.equal(r.env, ['PATH=/bin:/usr/bin', 'A=1', 'B=two words'], 'env'),
  ),
  processTest(
    'config.process.args',
    'config.md#process',
    'args (array of strings, OPTIONAL) with similar semantics to IEEE Std 1003.1-2008 execvp\'s argv.',
    (c) => (c.process!.args = ['/checker', 'uname']),
    (t, r) => t.equal(r.args, ['/checker', 'uname'], 'argv'),
  ),
  processTest(
    'config.process.args-path-lookup',
    'config.md#process',
    'That entry is used with the same semantics as execvp\'s file: looked up in PATH when it has no slash.',
    (c) => {
      c.process!.args = ['checker'];
      c.process!.env = ['PATH=/nowhere:/'];
    },
    (t, r) => t.equal(r.args[0], 'checker', 'args[0] found in PATH'),
  ),
  processTest('config.process.user.uid', 'config.md#posix-platform-user', 'uid (int, REQUIRED) specifies the user ID in the container namespace.', (c) => (c.process!.user = { uid: 1234, gid: 0 }), (t, r) => t.equal(r.uid, [1234, 1234, 1234], 'real, effective and saved uid')),
  processTest('config.process.user.gid', 'config.md#posix-platform-user', 'gid (int, REQUIRED) specifies the group ID in the container namespace.', (c) => (c.process!.user = { uid: 0, gid: 4321 }), (t, r) => t.equal(r.gid, [4321, 4321, 4321], 'real, effective and saved gid')),
  processTest('config.process.user.additionalGids', 'config.md#posix-platform-user', 'additionalGids (array of ints, OPTIONAL) specifies additional group IDs in the container namespace to be added to the process.', (c) => (c.process!.user = { uid: 0, gid: 0, additionalGids: [5, 6, 7] }), (t, r) => t.equal([...r.groups].sort(), [5, 6, 7], 'supplementary groups')),
  processTest('config.process.user.umask', 'config.md#posix-platform-user', 'umask (int, OPTIONAL) specifies the umask of the user.', (c) => (c.process!.user = { uid: 0, gid: 0, umask: 0o077 }), (t, r) => t.equal(r.umask, 0o077, 'umask')),
  processTest(
    'config.process.rlimits',
    'config.md#posix-process',
    'soft: rlim.rlim_cur MUST match the configured value. hard: rlim.rlim_max MUST match the configured value.',
    (c) => (c.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1000, hard: 2000 }, { type: 'RLIMIT_CORE', soft: 0, hard: 4096 }]),
    (t, r) => t.equal([r.rlimits.RLIMIT_NOFILE, r.rlimits.RLIMIT_CORE], [['1000', '2000'], ['0', '4096']], 'RLIMIT_NOFILE and RLIMIT_CORE'),
  ),
  {
    id: 'config.process.rlimits-duplicate',
    section: 'config.md#posix-process',
    level: 'MUST',
    requirement: 'If rlimits contains duplicated entries with same type, the runtime MUST generate an error.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => (c.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 100 }, { type: 'RLIMIT_NOFILE', soft: 200, hard: 200 }]));
      t.fails(t.create(dir, id), 'create with RLIMIT_NOFILE twice');
    },
  },
  {
    id: 'config.process.rlimits-unknown',
    section: 'config.md#posix-process',
    level: 'MUST',
    requirement: 'The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => (c.process!.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]));
      t.fails(t.create(dir, id), 'create with RLIMIT_BOGUS');
    },
  },
  {
    id: 'config.process.capabilities',
    section: 'config.md#linux-process',
    level: 'MUST',
    requirement: 'capabilities (object, OPTIONAL) is an object containing arrays that specifies the sets of capabilities for the process.',
    run(t) {
      const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
      const r = t.check((c) => {
        c.process!.user = { uid: 1000, gid: 1000 };
        c.process!.capabilities = { bounding: caps, permitted: caps, inheritable: caps, effective: caps, ambient: ['CAP_KILL'] };
      });
      t.equal(
        ['CapBnd', 'CapInh', 'CapPrm', 'CapEff', 'CapAmb'].map((f) => statusField(r, f)),
        ['0000000000000421', '0000000000000421', '0000000000000020', '0000000000000020', '0000000000000020'],
        'CapBnd, CapInh, CapPrm, CapEff, CapAmb of a non-root process (only ambient capabilities survive its execve)',
      );
    },
  },
  {
    id: 'config.process.capabilities-root',
    section: 'config.md#linux-process',
    level: 'MUST',
    requirement: 'bounding: the bounding field is an array of bounding capabilities that are kept for the process.',
    run(t) {
      const r = t.check((c) => (c.process!.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }));
      t.equal([statusField(r, 'CapBnd'), statusField(r, 'CapEff')], ['0000000000000020', '0000000000000020'], 'CapBnd and CapEff of root');
    },
  },
  {
    id: 'config.process.capabilities-unknown',
    section: 'config.md#linux-process',
    level: 'SHOULD',
    requirement: 'Any value which cannot be mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by the runtime. Runtimes SHOULD NOT fail.',
    run(t) {
      const r = t.check((c) => c.process!.capabilities!.bounding!.push('CAP_NOT_A_CAPABILITY'));
      t.ok(statusField(r, 'CapBnd') !== undefined, 'the container ran');
    },
  },
  processTest('config.process.noNewPrivileges', 'config.md#linux-process', 'noNewPrivileges (bool, OPTIONAL) setting noNewPrivileges to true prevents the process from gaining additional privileges.', (c) => (c.process!.noNewPrivileges = true), (t, r) => t.equal(statusField(r, 'NoNewPrivs'), '1', 'NoNewPrivs')),
  processTest('config.process.noNewPrivileges-false', 'config.md#linux-process', 'noNewPrivileges ... (not set: the process may gain privileges).', (c) => (c.process!.noNewPrivileges = false), (t, r) => t.equal(statusField(r, 'NoNewPrivs'), '0', 'NoNewPrivs')),
  processTest('config.process.oomScoreAdj', 'config.md#linux-process', 'If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given value.', (c) => (c.process!.oomScoreAdj = 321), (t, r) => t.equal(r.oomScoreAdj?.trim(), '321', 'oom_score_adj')),
  {
    id: 'config.process.oomScoreAdj-negative',
    section: 'config.md#linux-process',
    level: 'MUST',
    requirement: 'If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given value (a negative one).',
    requires: [HOST.negativeOomScoreAdj],
    run(t) {
      t.equal(t.check((c) => (c.process!.oomScoreAdj = -500)).oomScoreAdj?.trim(), '-500', 'oom_score_adj');
    },
  },
  {
    id: 'config.process.oomScoreAdj-unset',
    section: 'config.md#linux-process',
    level: 'MUST',
    requirement: 'If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj.',
    run(t) {
      const own = readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
      t.equal(t.check((c) => delete c.process!.oomScoreAdj).oomScoreAdj?.trim(), own, 'oom_score_adj (the value of the runtime\'s caller)');
    },
  },
  processTest('config.hostname', 'config.md#hostname', 'hostname (string, OPTIONAL) specifies the container\'s hostname as seen by processes running inside the container.', (c) => (c.hostname = 'conformance-host'), (t, r) => t.equal(r.hostname, 'conformance-host', 'hostname')),
  processTest('config.domainname', 'config.md#domainname', 'domainname (string, OPTIONAL) specifies the container\'s domainname as seen by processes running inside the container.', (c) => (c.domainname = 'conformance.test'), (t, r) => t.equal(r.domainname, 'conformance.test', 'domainname')),
  {
    id: 'config.extensibility',
    section: 'config.md#extensibility',
    level: 'MUST',
    requirement: 'Runtimes MAY log unknown properties but MUST otherwise ignore them. That includes not generating errors if they encounter an unknown property.',
    run(t) {
      const r = t.check((c) => {
        (c as Record<string, unknown>).org_example_unknown = { nested: [1, 2] };
        (c.process as unknown as Record<string, unknown>).unknownField = true;
        (c.linux as unknown as Record<string, unknown>).unknownField = 'x';
      });
      t.ok(r.pid === 1, 'the container ran');
    },
  },
  {
    id: 'config.annotations-unknown-keys',
    section: 'config.md#annotations',
    level: 'MUST',
    requirement: 'Runtimes MUST handle unknown annotation keys like any other unknown property.',
    run(t) {
      const r = t.check((c) => (c.annotations = { 'com.example.whatever': 'x', 'org.opencontainers.image.os': 'linux' }));
      t.ok(r.pid === 1, 'the container ran');
    },
  },
  processTest(
    'config.process.ioPriority',
    'config.md#linux-process',
    'ioPriority (object, OPTIONAL) configures the I/O priority settings for the container\'s processes within the process group.',
    (c) => {
      c.ociVersion = '1.2.0';
      c.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 4 };
    },
    (t, r) => t.equal(r.ioprio, { class: 3, priority: 4 }, 'ioprio class and priority'),
    ['ioprio'],
  ),
  processTest(
    'config.process.scheduler',
    'config.md#linux-process',
    'scheduler (object, OPTIONAL) is an object describing the scheduler properties for the process.',
    (c) => {
      c.ociVersion = '1.2.0';
      c.process!.scheduler = { policy: 'SCHED_BATCH', nice: 5 };
    },
    (t, r) => t.equal(r.sched, { policy: 3, nice: 5 }, 'policy SCHED_BATCH, nice 5'),
    ['sched'],
  ),
  {
    id: 'config.valid-values.ociVersion',
    section: 'config.md#valid-values',
    level: 'MUST',
    requirement: 'ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format. Runtimes MUST generate an error when invalid or unsupported values are encountered.',
    run(t) {
      const { dir } = t.bundle((c) => (c.ociVersion = 'not-a-version'));
      t.fails(t.create(dir, t.newId()), 'create with ociVersion "not-a-version"');
    },
  },
  {
    id: 'config.valid-values.cwd-relative',
    section: 'config.md#process',
    level: 'MUST',
    requirement: 'cwd (string, REQUIRED) ... This value MUST be an absolute path.',
    run(t) {
      const { dir } = t.bundle((c) => (c.process!.cwd = 'relative/dir'));
      t.fails(t.create(dir, t.newId()), 'create with a relative cwd');
    },
  },
  {
    id: 'config.root.required',
    section: 'config.md#root',
    level: 'MUST',
    requirement: 'root (object, OPTIONAL) ... On all other platforms [than Windows], this field is REQUIRED.',
    run(t) {
      const { dir } = t.bundle((c) => delete c.root);
      t.fails(t.create(dir, t.newId()), 'create without root');
    },
  },
  {
    id: 'config.process.required-at-start',
    section: 'config.md#process',
    level: 'MUST',
    requirement: 'process (object, OPTIONAL) specifies the container process. This property is REQUIRED when start is called.',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => delete c.process);
      if (t.create(dir, id).code === 0) t.fails(t.rt(['start', id]), 'start of a container without process');
    },
  },
  {
    id: 'config.process.args-required',
    section: 'config.md#process',
    level: 'MUST',
    requirement: 'args ... This specification extends the IEEE standard in that at least one entry is REQUIRED (non-Windows).',
    run(t) {
      const id = t.newId();
      const { dir } = t.bundle((c) => (c.process!.args = []));
      if (t.create(dir, id).code === 0) t.fails(t.rt(['start', id]), 'start of a container with empty args');
    },
  },
  {
    id: 'config.mounts.destination-relative',
    section: 'config.md#mounts',
    level: 'MAY',
    requirement: 'For compatibility with old tools and configurations, it MAY be a relative path, in which case it MUST be interpreted as relative to "/".',
    run(t) {
      const r = t.check((c) => c.mounts!.push({ destination: 'relative-mnt', type: 'tmpfs', source: 'tmpfs' }));
      t.ok(mount(r, '/relative-mnt')?.fstype === 'tmpfs', 'the tmpfs is at /relative-mnt');
    },
  },
  {
    id: 'config.process.user.additionalGids-none',
    section: 'config.md#posix-platform-user',
    level: 'MUST',
    requirement: 'additionalGids (array of ints, OPTIONAL) specifies additional group IDs ... (none given: the process has no supplementary groups of the runtime).',
    run(t) {
      const r = t.check((c) => (c.process!.user = { uid: 1000, gid: 1000 }));
      t.ok(r.groups.every((g) => g === 1000), `no supplementary group leaks from the runtime (${r.groups.join(',')})`);
    },
  },
];
