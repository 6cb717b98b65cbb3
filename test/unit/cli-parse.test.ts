import { describe, expect, it } from 'vitest';
import { parseFast } from '../../src/cli/fast-parse';
import { VERBS } from '../../src/cli/grammar';
import { parseWithYargs } from '../../src/cli/yargs-cli';
import { VERSION } from '../../src/version';
import pkg from '../../package.json';

// Command lines engines and people send (see the CLI contract), which the
// fast parser must read exactly as yargs does.
const ACCEPTED = [
  ['create', '--bundle', '/b', '--pid-file', '/b/pid', 'c1'],
  ['create', '-b', '/b', '--pid-file=/b/pid', '--console-socket', '/s.sock', 'c1'],
  ['--root', '/run/containerd/runc/k8s.io', '--log', '/s/log.json', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'c1'],
  ['create', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', 'c1'],
  ['create', 'c1', '--bundle', '/b'],
  ['--debug', 'create', 'c1'],
  ['start', 'c1'],
  ['state', 'c1'],
  ['kill', 'c1'],
  ['kill', 'c1', '15'],
  ['kill', '--all', 'c1', 'KILL'],
  ['kill', '-a', 'c1', 'SIGKILL'],
  ['delete', 'c1'],
  ['delete', '--force', 'c1'],
  ['delete', '-f', 'c1'],
  ['--root=/tmp/r', 'run', '-d', '-b', '/b', 'c1'],
  ['run', '--detach', 'c1'],
  ['list'],
  ['list', '--format', 'json'],
  ['list', '-q'],
  ['spec', '-b', '/b'],
  ['features'],
  ['--systemd-cgroup', 'start', 'c1'],
  ['--rootless', 'false', 'state', 'c1'],
  ['create', '--log-format', 'json', 'c1'],
  ['pause', 'c1'],
  ['resume', 'c1'],
  ['ps', 'c1'],
  ['ps', '--format', 'json', 'c1'],
  ['ps', '-f', 'table', 'c1'],
  ['ps', 'c1', 'aux'],
  ['ps', 'c1', '--', '-o', 'pid,comm'],
  // crun's test suite (tests_utils.py) and crun's dialect
  ['--cgroup-manager', 'cgroupfs', '--root', '/r', 'run', '--config', 'config.json', '--preserve-fds', '1', '--detach', '--pid-file', '/p', 'c1'],
  ['--cgroup-manager', 'disabled', 'create', '-f', 'sub/config.json', 'c1'],
  ['run', '--keep', 'c1'],
  ['delete', '--regex', 'test-.*'],
  ['delete', '-r', '-f', '^c'],
  ['exec', '--pid-file', '/b/exec_pid', '--process', '/b/p.json', '--detach', 'c1'],
  ['exec', '--pid-file', '/b/exec_pid', '--process', '/b/p.json', '--detach', '--tty', '--console-socket', '/s.sock', 'c1'],
  ['--root', '/r', '--log', '/l', '--log-format', 'json', 'exec', '--process', '/p', '--detach', '--pid-file', '/f', 'c1'],
  ['exec', '-t', 'c1', 'sh'],
  ['exec', '-e', 'A=1', '--env', 'B=2', 'c1', 'env'],
  ['exec', '--no-new-privs', '-u', '1:2', '-g', '5', '--cap', 'CAP_KILL', 'c1', 'id'],
  ['create', '--dry-run', '-b', '/b', 'c1'],
  ['validate'],
  ['validate', '--bundle', '/b'],
  ['validate', '-b', '/b', '--config', 'other.json', '--plan'],
  ['validate', '--format', 'json', '-f', 'c.json', 'c1'],
  ['--root', '/tmp/r', '--cgroup-manager', 'disabled', 'validate', '--plan', '--format=text'],
];

// Command lines the fast parser leaves to yargs.
const DECLINED = [
  [],
  ['--help'],
  ['-h'],
  ['create', '--help'],
  ['--version'],
  ['-v'],
  ['bogus'],
  ['create'],
  ['create', 'a', 'b'],
  ['create', '--bogus', 'c1'],
  ['create', '--preserve-fds', 'x', 'c1'],
  ['create', '--pid-file'],
  ['kill', 'c1', '9', 'extra'],
  ['list', '--format', 'yaml'],
  ['--log-format', 'xml', 'state', 'c1'],
  ['state', ''],
  ['create', '--no-pivot=false', 'c1'],
  ['pause'],
  ['pause', 'c1', 'c2'],
  ['resume', '--bogus', 'c1'],
  ['ps'],
  ['ps', '--format', 'xml', 'c1'],
  ['--cgroup-manager', 'bogus', 'state', 'c1'],
  ['validate', '--format', 'yaml'],
  ['validate', 'c1', 'c2'],
  ['validate', '--plan=false'],
];

describe('fast parser', () => {
  it.each(ACCEPTED)('reads %j exactly as yargs does', async (...argv) => {
    const fast = parseFast(argv);
    expect(fast).toBeDefined();
    const slow = await parseWithYargs(argv);
    expect(slow).toEqual({ command: fast });
  });

  it.each(DECLINED)('declines %j', (...argv) => {
    expect(parseFast(argv)).toBeUndefined();
  });

  it('fills defaults', () => {
    expect(parseFast(['create', 'c1'])).toEqual({
      verb: 'create',
      globals: { root: '/run/runts', logFormat: 'text', debug: false, systemdCgroup: false, rootless: 'auto', cgroupManager: 'cgroupfs' },
      positionals: { 'container-id': 'c1' },
      options: { bundle: '.', 'pid-file': undefined, 'console-socket': undefined, 'no-pivot': false, 'no-new-keyring': false, 'preserve-fds': 0, config: undefined, 'dry-run': false },
    });
  });
});

describe('fast parser: ps', () => {
  it('passes everything after the id to ps(1), as runc does, without a first "--"', () => {
    expect(parseFast(['ps', 'c1', '-o', 'pid,comm'])).toMatchObject({ verb: 'ps', positionals: { 'container-id': 'c1' }, rest: ['-o', 'pid,comm'] });
    expect(parseFast(['ps', 'c1', '--', '-o', 'pid'])).toMatchObject({ rest: ['-o', 'pid'] });
    // After the id even --format is ps's own option.
    expect(parseFast(['ps', 'c1', '--format', 'json'])).toMatchObject({ options: { format: 'table' }, rest: ['--format', 'json'] });
    expect(parseFast(['ps', '-f', 'json', 'c1'])).toMatchObject({ options: { format: 'json' }, rest: [] });
  });
});

describe('yargs parser', () => {
  it('prints help for runts and for each verb', async () => {
    const top = await parseWithYargs(['--help']);
    expect(top).toMatchObject({ exitCode: 0 });
    for (const verb of Object.keys(VERBS)) expect((top as { stdout: string }).stdout).toContain(`runts ${verb}`);
    const create = await parseWithYargs(['create', '--help']);
    expect((create as { stdout: string }).stdout).toMatch(/--console-socket[\s\S]*--preserve-fds/);
  });

  it('prints the version', async () => {
    expect(await parseWithYargs(['--version'])).toEqual({
      exitCode: 0,
      stdout: `runts version ${VERSION}\ncommit: unknown\nrundir: /run/runts\nspec: 1.3.0\n+CAP +SECCOMP +APPARMOR +SELINUX +EBPF\n`,
    });
    expect(VERSION).toBe(pkg.version);
  });

  it.each([
    [['bogus'], /Unknown argument: bogus/],
    // yargs reads "--bogus c1" as an option with a value: the id is then missing.
    [['create', '--bogus', 'c1'], /^Not enough non-option arguments/],
    [['create', 'c1', '--bogus'], /^Unknown argument: bogus/],
    [['create'], /Not enough non-option arguments/],
    [[], /a command is required/],
    [['list', '--format', 'yaml'], /Invalid values/],
  ])('refuses %j with a message and exit code 1', async (argv, message) => {
    const out = await parseWithYargs(argv);
    expect(out).toMatchObject({ exitCode: 1 });
    expect((out as { error: string }).error).toMatch(message);
  });
});

describe('fast parser: exec', () => {
  it('takes the command after the id verbatim, options included, and repeated options as lists', () => {
    expect(parseFast(['exec', 'c1', 'sh', '-c', 'echo -e x'])).toMatchObject({ verb: 'exec', positionals: { 'container-id': 'c1' }, rest: ['sh', '-c', 'echo -e x'] });
    expect(parseFast(['exec', 'c1', '--', 'ls', '-l'])).toMatchObject({ rest: ['ls', '-l'] });
    expect(parseFast(['exec', '-e', 'A=1', '-e', 'B=2', '--cap', 'CAP_KILL', '-g', '5', '-g', '6', 'c1', 'env'])).toMatchObject({
      options: { env: ['A=1', 'B=2'], cap: ['CAP_KILL'], 'additional-gids': ['5', '6'] },
    });
    // --no-new-privs is unset unless given (runc's IsSet).
    expect(parseFast(['exec', 'c1', 'true'])?.options['no-new-privs']).toBeUndefined();
    expect(parseFast(['exec', '-e'])).toBeUndefined();
  });
});
