// Every error the library throws has a stable code (src/errors.ts ErrorCode).
// The codes of the native verbs' failures are checked twice: against the
// real verbs on a temporary root (so that a reworded native message that no
// longer maps shows up here), and against the native messages as verbs.cc
// words them, for the states a test cannot make without root and a freezer.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main';
import { ConfigError, ERROR_CODES, fromNative, RuntsError, type ErrorCode } from '../../src/errors';
import * as runts from '../../src/index';
import { Logger } from '../../src/log';
import { native } from '../../src/native/binding';
import { readBoundedFile } from '../../src/read-bounded';
import { claimStateDir } from '../../src/state/store';
import { useTempStateRoot } from '../helpers/temp-state-root';

const stderr: string[] = [];
vi.mock('../../src/output', () => ({
  writeStderr: (text: string) => {
    stderr.push(text);
    return true;
  },
  writeStdout: () => true,
}));

const state = useTempStateRoot('runts-test-errcodes-');
const { record, sleeper } = state;
let root = '';
beforeEach(() => {
  root = state.root;
  stderr.length = 0;
});

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<ErrorCode | string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof RuntsError) return e.code;
    return `not a RuntsError: ${String(e)}`;
  }
  return 'no error';
}

/** A failure shaped as addon/node/module.cc throwFailure makes it. */
function nativeFailure(message: string, f: { step?: string; path?: string; errno?: number; code?: string } = {}): Error {
  return Object.assign(new Error(message), { native: true, step: f.step ?? '', path: f.path ?? '', errno: f.errno ?? 0, code: f.code ?? '', exitCode: 1 });
}

describe('the library verbs, on a temporary root', () => {
  it('ENOTFOUND: a container that does not exist', async () => {
    for (const verb of [() => runts.state('nope', { root }), () => runts.start('nope', { root }), () => runts.kill('nope', 'KILL', { root })]) {
      expect(await codeOf(verb)).toBe('ENOTFOUND');
    }
    expect(await codeOf(() => runts.delete('nope', { root }))).toBe('ENOTFOUND');
  });

  it('EUSAGE: an invalid id, an unknown signal', async () => {
    expect(await codeOf(() => runts.state('../etc', { root }))).toBe('EUSAGE');
    const { pid, startTime } = await sleeper();
    record('c1', pid, startTime);
    expect(await codeOf(() => runts.kill('c1', 'SIGBOGUS', { root }))).toBe('EUSAGE');
  });

  it('ECREATING and EBADSTATE: no state yet, a damaged state.json', async () => {
    mkdirSync(path.join(root, 'half'));
    expect(await codeOf(() => runts.state('half', { root }))).toBe('ECREATING');
    writeFileSync(path.join(root, 'half', 'state.json'), '{bad');
    const e = await runts.state('half', { root }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RuntsError);
    expect((e as RuntsError).code).toBe('EBADSTATE');
    expect((e as RuntsError).message).toMatch(/state\.json is damaged/);
  });

  it('ENOTCREATED, ENOTRUNNING, ENOTSTOPPED, ENOTPAUSED, EUNSUPPORTED: verbs refused by the status', async () => {
    const { pid, startTime } = await sleeper();
    record('live', pid, startTime);
    record('dead', pid, '1');
    expect(await codeOf(() => runts.start('live', { root }))).toBe('ENOTCREATED');
    expect(await codeOf(() => runts.start('dead', { root }))).toBe('ENOTCREATED');
    expect(await codeOf(() => runts.kill('dead', 'KILL', { root }))).toBe('ENOTRUNNING');
    expect(await codeOf(() => runts.delete('live', { root }))).toBe('ENOTSTOPPED');
    expect(await codeOf(() => runts.resume('live', { root }))).toBe('ENOTPAUSED');
    // The record names no freezer cgroup: pause cannot be done here.
    expect(await codeOf(() => runts.pause('live', { root }))).toBe('EUNSUPPORTED');
    expect(await codeOf(() => runts.pause('dead', { root }))).toBe('ENOTRUNNING');
  });

  it('EEXISTS: a second container with the same id', () => {
    const { lockFd } = claimStateDir(root, 'twice');
    native().closeFd(lockFd);
    let e: unknown;
    try {
      claimStateDir(root, 'twice');
    } catch (x) {
      e = x;
    }
    expect((e as RuntsError).code).toBe('EEXISTS');
  });

  it('EBADCONFIG: create with an invalid config lists its problems, and makes nothing', async () => {
    const config = runts.defaultConfig();
    config.process!.args = [];
    (config as { ociVersion: unknown }).ociVersion = 7;
    const e = await runts.create({ id: 'errcodes-bad', bundle: root, config, root }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    const err = e as ConfigError;
    expect(err.code).toBe('EBADCONFIG');
    expect(err.problems.length).toBeGreaterThanOrEqual(2);
    expect(err.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['ociVersion', 'process.args']));
    for (const p of err.problems) expect(typeof p.message).toBe('string');
    expect(err.details).toEqual(err.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)));
    expect(() => readFileSync(path.join(root, 'errcodes-bad', 'state.json'))).toThrow();
  });

  it('EBADCONFIG: a bundle without config.json; ESYSTEM and EBADSTATE from the bounded reader', async () => {
    expect(await codeOf(() => runts.create({ id: 'errcodes-none', bundle: root, root }))).toBe('EBADCONFIG');
    expect(await codeOf(() => readBoundedFile(root))).toBe('EBADCONFIG'); // a directory
    expect(await codeOf(() => readBoundedFile(root, { refused: 'EBADSTATE' }))).toBe('EBADSTATE');
    expect(await codeOf(() => readBoundedFile(path.join(root, 'missing')))).toBe('ESYSTEM');
  });
});

describe('fromNative', () => {
  it.each<[string, ErrorCode]>([
    ['container "c" does not exist', 'ENOTFOUND'],
    ['container "c" has no state yet: it is being created, or its create was interrupted', 'ECREATING'],
    ['container "c" is still being created', 'ECREATING'],
    ['cannot start an already running container "c"', 'ENOTCREATED'],
    ['cannot start a container that has stopped: "c"', 'ENOTCREATED'],
    ['container "c" cannot be started: its init process exited before start', 'ENOTCREATED'],
    ['cannot start a container in the paused state: "c" (`runts resume c` first)', 'EPAUSED'],
    ['container not running: "c" is paused already (`runts resume c` resumes it)', 'EPAUSED'],
    ['container not running: "c" is stopped', 'ENOTRUNNING'],
    ['container with id c is not running', 'ENOTRUNNING'],
    ['container process already exited: "c" is stopped', 'ENOTRUNNING'],
    ['container not paused: "c" is running', 'ENOTPAUSED'],
    ['cannot delete container "c" that is not stopped: running (stop it with `runts kill`, or use `runts delete --force`)', 'ENOTSTOPPED'],
    ['state file /run/runts/c/state.json is damaged: it is not valid JSON; `runts delete --force c` removes the container', 'EBADSTATE'],
    ['invalid container id "a b": it may hold only letters, digits', 'EUSAGE'],
    ['container id must not be empty', 'EUSAGE'],
    ['unknown signal "SIGFOO": use a name such as SIGTERM or KILL, or a number', 'EUSAGE'],
    ['duration interval must be greater than 0', 'EUSAGE'],
    ['cannot pause container "c": it has no freezer cgroup (this host has neither)', 'EUNSUPPORTED'],
    ['container "c" has no cgroup to list its processes (ps needs one)', 'EUNSUPPORTED'],
    ['hook hooks.prestart[0] (/bin/false) exited with status 1', 'EHOOK'],
    ['exec: "/nonexistent": stat /nonexistent: No such file or directory', 'EBADCONFIG'],
    ['runts-init exited before the container was set up', 'EINTERNAL'],
    ['something nobody has words for', 'EINTERNAL'],
  ])('%s → %s', (message, code) => {
    const e = fromNative(nativeFailure(message), 'doing it');
    expect(e.code).toBe(code);
    expect(e.message).toBe(`doing it: ${message}`);
    expect(e.system).toBeUndefined();
    if (code === 'EBADCONFIG') expect(e.problems).toEqual([{ path: 'process.args[0]', message }]);
    else expect(e.problems).toEqual([]);
  });

  it('ESYSTEM: a system call failure keeps its step, path and errno', () => {
    const e = fromNative(nativeFailure('freeze cgroup /sys/fs/cgroup/freezer/x/freezer.state: Device or resource busy', {
      step: 'freeze cgroup', path: '/sys/fs/cgroup/freezer/x/freezer.state', errno: 16, code: 'EBUSY',
    }));
    expect(e.code).toBe('ESYSTEM');
    expect(e.system).toEqual({ step: 'freeze cgroup', path: '/sys/fs/cgroup/freezer/x/freezer.state', errno: 16, errnoName: 'EBUSY' });
    // Words that would map otherwise do not win over an errno.
    expect(fromNative(nativeFailure('container "c" does not exist', { errno: 2, code: 'ENOENT' })).code).toBe('ESYSTEM');
  });

  it('a Node system error is ESYSTEM, anything else EINTERNAL; a RuntsError keeps its code', () => {
    expect(fromNative(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })).code).toBe('ESYSTEM');
    expect(fromNative(new TypeError('x is undefined')).code).toBe('EINTERNAL');
    const own = new RuntsError('mine', { code: 'EHOOK' });
    expect(fromNative(own, 'doing')).toBe(own);
    expect(new RuntsError('plain').code).toBe('EINTERNAL');
  });

  it('ERROR_CODES lists each code once', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(ERROR_CODES).toContain('EBADCONFIG');
  });
});

describe('--log-format json: an error with problems lists them', () => {
  const problems = [
    { path: 'process.args', message: 'must not be empty' },
    { path: 'linux.sysctl.a\u001bb', message: 'bad key' },
  ];

  it('keeps msg (the summary first, the details after) and adds problems', () => {
    const file = path.join(root, 'log');
    const err = new ConfigError('config.json', problems);
    new Logger({ file, format: 'json' }).error(err.message, err.details, err.problems);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line.level).toBe('error');
    expect(line.msg.split('\n')[0]).toBe('invalid config.json: 2 problems found, nothing was created');
    expect(line.msg).toContain('  process.args: must not be empty');
    // Control characters are escaped, as in msg.
    expect(line.problems).toEqual([
      { path: 'process.args', message: 'must not be empty' },
      { path: 'linux.sysctl.a\\u001bb', message: 'bad key' },
    ]);
    expect(Object.keys(line)).toEqual(['level', 'msg', 'problems', 'time']);
  });

  it('an error without problems has no problems field; text lines are unchanged', () => {
    const file = path.join(root, 'log');
    new Logger({ file, format: 'json' }).error('plain failure', ['a detail']);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual(['level', 'msg', 'time']);
    const text = path.join(root, 'text');
    new Logger({ file: text }).error('invalid config.json', ['x: y'], problems);
    expect(readFileSync(text, 'utf8')).toMatch(/^time="[^"]+" level=error msg="invalid config.json\\n  x: y"\n$/);
  });

  it('the CLI logs a config error of create that way', async () => {
    const bundle = path.join(root, 'bundle');
    mkdirSync(bundle);
    const config = runts.defaultConfig();
    config.process!.args = [];
    (config as { ociVersion: unknown }).ociVersion = 7;
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    const log = path.join(root, 'cli-log');
    const state = path.join(root, 'state');
    const code = await runCli(['--root', state, '--log', log, '--log-format', 'json', 'create', '-b', bundle, 'errcodes-cli'], path.join(__dirname, '../../dist'));
    expect(code).toBe(1);
    const line = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1)!);
    expect(line.msg).toMatch(/^invalid .*config\.json: \d+ problems found, nothing was created\n/);
    expect(line.problems.map((p: { path: string }) => p.path)).toEqual(expect.arrayContaining(['ociVersion', 'process.args']));
  });
});
