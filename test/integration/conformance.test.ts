// The conformance suite (conformance/) against this checkout's runts, as
// `npm run conformance` runs it: every test runts fails must be a difference
// that conformance/notes.ts explains (a deliberate choice or a capability
// not built yet), and nothing may be left behind.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NOTES } from '../../conformance/notes';
import type { TestOutcome } from '../../conformance/run';
import { isRoot, ROOT, RUNTS } from '../helpers/sandbox';

const runScript = path.resolve(__dirname, '../../dist/conformance/run.cjs');
const root = path.join(ROOT, 'conformance');

describe.skipIf(!isRoot)('conformance suite against runts', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'runts-test-conformance-'));
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    // Empty when every container was deleted; a leftover makes this throw.
    if (existsSync(root)) rmdirSync(root);
  });

  it('passes every test, except the differences notes.ts explains', { timeout: 600_000 }, () => {
    const json = path.join(work, 'runts.json');
    const tap = path.join(work, 'tap');
    const out = openSync(tap, 'w');
    const r = spawnSync(process.execPath, [runScript, '--runtime', RUNTS, '--name', 'runts', '--root', root, '--json', json], {
      stdio: ['ignore', out, out],
      timeout: 600_000,
    });
    closeSync(out);
    const output = readFileSync(tap, 'utf8');
    expect(existsSync(json), `no results; output:\n${output.slice(-2000)}`).toBe(true);
    const outcomes = (JSON.parse(readFileSync(json, 'utf8')) as { outcomes: TestOutcome[] }).outcomes;
    expect(outcomes.length).toBeGreaterThan(100);
    const unexplained = outcomes.filter((o) => o.result === 'fail' && !NOTES[o.id]).map((o) => `${o.id}: ${o.message}`);
    expect(unexplained).toEqual([]);
    expect(outcomes.filter((o) => o.leftovers?.length).map((o) => `${o.id}: ${o.leftovers!.join(', ')}`)).toEqual([]);
    // The exit status says whether anything failed, and TAP says the same.
    const failed = outcomes.filter((o) => o.result === 'fail').length;
    expect(r.status).toBe(failed > 0 ? 1 : 0);
    expect(output).toContain(`# runts: ${outcomes.filter((o) => o.result === 'pass').length} passed, ${failed} failed`);
    // The runner removes the root it made once every container is deleted.
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
    expect(existsSync(root)).toBe(false);
  });
});
