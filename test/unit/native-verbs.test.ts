// The C++ side without root: the JSON reader/writer, signal names, ids, and
// the state/start/kill/delete verbs against a temporary --root holding
// records written the way create writes them.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { hostLayout } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import { stateSchemaProblems } from '../../src/config/validate-documents';
import { native } from '../../src/native/binding';
import { useTempStateRoot } from '../helpers/temp-state-root';

describe('native JSON', () => {
  it.each([
    '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
    '{"s":"quote \\" backslash \\\\ newline \\n tab \\t ctl \\u0001"}',
    '{"unicode":"héllo \\u2603 \\ud83d\\ude00 日本"}',
    '[]',
    '{"big":18446744073709551615,"neg":-9223372036854775808,"frac":1.5e-3}',
  ])('reads and writes %s like JSON.parse/stringify', (text) => {
    const out = native().jsonReformat(text);
    expect(JSON.parse(out)).toEqual(JSON.parse(text));
  });

  it('keeps 64-bit integers exact', () => {
    expect(native().jsonReformat('{"n":18446744073709551615}')).toBe('{"n":18446744073709551615}');
  });

  it.each(['{', '{"a":}', '[1,]', '"\\x"', '{"a":1} x', 'nul'])('rejects %s', (text) => {
    expect(() => native().jsonReformat(text)).toThrow();
  });
});

describe('native signal names', () => {
  it.each([
    ['SIGTERM', 15], ['TERM', 15], ['term', 15], ['15', 15], ['9', 9], ['0', 0], ['KILL', 9], ['sigkill', 9],
    ['SIGRTMIN', 34], ['RTMIN+3', 37], ['SIGRTMAX', 64], ['SIGRTMAX-2', 62], ['CLD', 17], ['IOT', 6],
  ])('%s is %d', (text, n) => expect(native().parseSignal(text)).toBe(n));

  it.each(['', 'SIGFOO', 'SIG0', '65', 'RTMIN-1', 'RTMAX+1', '-9', '9x'])('%s is no signal', (text) => {
    expect(native().parseSignal(text)).toBe(-1);
  });
});

describe('container ids', () => {
  it.each(['c1', 'a.b', 'A_b-c+d', 'f'.repeat(64)])('accepts %s', (id) => expect(native().validateContainerId(id)).toBeNull());
  it.each([
    ['', /must not be empty/],
    ['a/b', /no '\/'/],
    ['..', /'\.\.'/],
    ['a..b', /'\.\.'/],
    ['.', /'\.'/],
    ['with space', /letters, digits/],
    ['x'.repeat(1025), /longer than 1024/],
  ])('refuses %j', (id, message) => expect(native().validateContainerId(id)).toMatch(message));
});

describe('native verbs on a temporary root', () => {
  const state = useTempStateRoot('runts-unit-state-');
  const { record, sleeper } = state;
  let root = '';
  beforeEach(() => {
    root = state.root;
  });

  it('derives the status from the pid, its start time and the exec fifo', async () => {
    const { pid, startTime } = await sleeper();
    const dir = record('c1', pid, startTime, { annotations: { 'com.example': 'x' } });
    writeFileSync(path.join(dir, 'exec.fifo'), '');
    const created = JSON.parse(native().state(root, 'c1'));
    expect(created).toEqual({
      ociVersion: '1.3.0',
      id: 'c1',
      pid,
      status: 'created',
      bundle: '/some/bundle',
      rootfs: '/some/bundle/rootfs',
      created: '2026-01-02T03:04:05.000Z',
      owner: '',
      annotations: { 'com.example': 'x' },
    });
    expect(stateSchemaProblems(created)).toEqual([]);
    rmSync(path.join(dir, 'exec.fifo'));
    expect(JSON.parse(native().state(root, 'c1')).status).toBe('running');
    // The same pid with another start time is another process: a recycled pid.
    record('c2', pid, String(BigInt(startTime) + 1n));
    expect(JSON.parse(native().state(root, 'c2'))).toMatchObject({ status: 'stopped', pid: 0 });
  });

  it('prints state the way runc does (two-space JSON)', async () => {
    const { pid, startTime } = await sleeper();
    record('c1', pid, startTime);
    expect(native().state(root, 'c1')).toMatch(/^\{\n  "ociVersion": "1\.3\.0",\n  "id": "c1",\n  "pid": \d+,\n/);
  });

  it('reports a creating container while its creator lives, and stopped after', () => {
    record('c1', 0, '0', { status: 'creating', runts: { version: 1, creatorPid: process.pid, creatorStartTime: native().procStartTime(process.pid)!, cgroups: [], needsNodeFor: [] } });
    expect(JSON.parse(native().state(root, 'c1')).status).toBe('creating');
    record('c2', 0, '0', { status: 'creating', runts: { version: 1, creatorPid: process.pid, creatorStartTime: '1', cgroups: [], needsNodeFor: [] } });
    expect(JSON.parse(native().state(root, 'c2')).status).toBe('stopped');
  });

  it('fails clearly for unknown, invalid and half-created containers', () => {
    expect(() => native().state(root, 'nope')).toThrow('container "nope" does not exist');
    expect(() => native().state(root, '../etc')).toThrow(/invalid container id/);
    mkdirSync(path.join(root, 'half'));
    expect(() => native().state(root, 'half')).toThrow(/has no state yet.*delete --force half/);
    writeFileSync(path.join(root, 'half', 'state.json'), '{bad');
    expect(() => native().state(root, 'half')).toThrow(/is damaged: it is not valid JSON/);
  });

  it('kills the process behind a verified pid, and refuses a stopped container', async () => {
    const { pid, startTime, child } = await sleeper();
    record('c1', pid, startTime);
    const exited = new Promise((r) => child.once('exit', (_code, sig) => r(sig)));
    native().kill(root, 'c1', 'SIGUSR1', false);
    expect(await exited).toBe('SIGUSR1');
    expect(() => native().kill(root, 'c1', 'KILL', false)).toThrow('container not running: "c1" is stopped');
    expect(() => native().kill(root, 'c1', 'SIGBOGUS', false)).toThrow(/unknown signal "SIGBOGUS"/);
  });

  it('start refuses a container that is not created', async () => {
    const { pid, startTime } = await sleeper();
    record('c1', pid, startTime);
    expect(() => native().start(root, 'c1')).toThrow('cannot start an already running container "c1"');
    record('c2', pid, '1');
    expect(() => native().start(root, 'c2')).toThrow('cannot start a container that has stopped: "c2"');
  });

  it('deletes a stopped container, refuses a running one, and --force kills it first', async () => {
    const { pid, startTime, child } = await sleeper();
    record('dead', pid, '1');
    native().delete(root, 'dead', false);
    expect(existsSync(path.join(root, 'dead'))).toBe(false);
    record('live', pid, startTime);
    expect(() => native().delete(root, 'live', false)).toThrow(/cannot delete container "live" that is not stopped: running/);
    expect(existsSync(path.join(root, 'live'))).toBe(true);
    const exited = new Promise((r) => child.once('exit', (_code, sig) => r(sig)));
    native().delete(root, 'live', true);
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(path.join(root, 'live'))).toBe(false);
    expect(() => native().delete(root, 'live', false)).toThrow('container "live" does not exist');
    // --force of a container that is not there succeeds, as with runc and crun.
    expect(() => native().delete(root, 'live', true)).not.toThrow();
  });

  it('deletes the directory a killed create left without a record', () => {
    mkdirSync(path.join(root, 'half'));
    native().delete(root, 'half', true);
    expect(existsSync(path.join(root, 'half'))).toBe(false);
  });
});

// create (src/cgroups/placement.ts) and the native verbs' confinement
// (addon/common/cgroupfs.cc) must agree: a cgroup create may make is one
// delete may act on, and a placement create refuses (runts' own cgroup or
// above it) is one delete refuses too. Checked on this host's own layout.
describe('placement and native confinement agree', () => {
  const state = useTempStateRoot('runts-unit-agree-');
  let root = '';
  beforeEach(() => {
    root = state.root;
  });

  function recordWith(id: string, cgroups: string[]): void {
    state.record(id, 0, '1', {
      bundle: '/b',
      rootfs: '/b/rootfs',
      runts: { version: 1, pidStartTime: '1', creatorPid: 1, creatorStartTime: '0', cgroups: cgroups.map((p) => ({ path: p, created: true })), needsNodeFor: [] },
    });
  }

  const layout = hostLayout();
  it.each(['runts-unit-agree/rel', '/runts-unit-agree/abs', undefined])('what create places (%s) delete acts on', (cgroupsPath) => {
    const dirs = placeContainer(layout, cgroupsPath, 'agree').dirs.map((d) => d.dir);
    expect(dirs.length).toBe(layout.hierarchies.length);
    for (const d of dirs) expect(existsSync(d)).toBe(false);
    recordWith('agree', dirs);
    expect(() => native().delete(root, 'agree', false)).not.toThrow();
    expect(existsSync(path.join(root, 'agree'))).toBe(false);
  });

  it("runts' own cgroup and its ancestors: create refuses them, and so does delete", () => {
    const h = layout.hierarchies.find((x) => x.ownPath !== '/' && x.mountRoot === '/');
    if (!h) return; // runts runs in the root cgroup of every hierarchy here
    const top = `/${h.ownPath.split('/')[1]!}`;
    for (const cgroupsPath of [h.ownPath, top]) {
      expect(() => placeContainer(layout, cgroupsPath, 'agree')).toThrow(/runts' own cgroup .* or above it/);
      recordWith('agree', [path.join(h.mountPoint, cgroupsPath)]);
      expect(() => native().delete(root, 'agree', false)).toThrow(/holds runts' own process/);
      native().delete(root, 'agree', true);
    }
  });
});
