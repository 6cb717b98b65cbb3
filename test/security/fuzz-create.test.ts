// The create fuzzer: mutated configs (test/helpers/config-fuzz.ts, a fixed
// seed, a bounded number) through the real `bin/runts create`. Each either
// creates a container (which is then deleted and must leave nothing) or is
// refused with exit 1 and a readable message — "runts: ...", no stack trace,
// no TypeError — and a refused create leaves nothing behind: no state
// directory, no cgroup, no process, no mount.
//
// Fields that would point the container set-up at the host itself are kept
// (root.path, linux.cgroupsPath) or dropped (linux.sysctl), so that a hole
// the fuzzer finds cannot damage the machine; the holes in those fields have
// their own tests (pending-fixes.test.ts).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { INTERNAL, knownBug, mutate, mutation } from '../helpers/config-fuzz';
import { CGROUP_PARENT, isRoot, traces, useSandbox } from '../helpers/sandbox';
import { alive, hostMountsMatching, runts } from './helpers';

const CASES = 40;

/** Live (not zombie) pids whose /proc/<pid>/cgroup names the container. */
function processesOf(id: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes(id) && alive(Number(entry))) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function protect(doc: unknown, id: string): unknown {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const c = doc as Record<string, unknown>;
  const root = c.root as Record<string, unknown> | undefined;
  if (root && typeof root === 'object' && typeof root.path === 'string') root.path = 'rootfs';
  const linux = c.linux as Record<string, unknown> | undefined;
  if (linux && typeof linux === 'object' && !Array.isArray(linux)) {
    if (typeof linux.cgroupsPath === 'string') linux.cgroupsPath = `${CGROUP_PARENT}/${id}`;
    delete linux.sysctl;
  }
  return doc;
}

describe.skipIf(!isRoot)('fuzz: mutated configs through bin/runts create', () => {
  const sb = useSandbox();

  it(`${CASES} mutated configs: created and deleted cleanly, or refused with a readable message and no traces`, () => {
    const samples = fc.sample(fc.array(mutation, { minLength: 1, maxLength: 3 }), { seed: 0x5eed0c4e, numRuns: CASES * 3 });
    const outcomes = { created: 0, refused: 0, skippedKnown: 0 };
    const crashes: string[] = [];
    let ran = 0;
    for (const muts of samples) {
      if (ran === CASES) break;
      const id = sb.id(`sx-fuzz${ran}`);
      const bundle = sb.bundle(id, ['true']);
      const file = path.join(bundle, 'config.json');
      const base = JSON.parse(readFileSync(file, 'utf8')) as OciConfig;
      const doc = protect(JSON.parse(JSON.stringify(mutate(base, muts))), id);
      if (knownBug(doc)) {
        outcomes.skippedKnown++;
        continue;
      }
      ran++;
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const r = runts(['create', '-b', bundle, id], { timeout: 15_000 });
      const where = `case ${ran} ${JSON.stringify(muts).slice(0, 300)}\n${r.stderr}`;
      if (r.code === 0) {
        outcomes.created++;
        expect(JSON.parse(runts(['state', id]).stdout).status, where).toBe('created');
        const del = runts(['delete', '--force', id]);
        expect(del.code, `${where}\ndelete: ${del.stderr}`).toBe(0);
      } else {
        outcomes.refused++;
        if (r.signal !== null || r.code !== 1 || !/^runts: /.test(r.stderr) || INTERNAL.test(r.stderr)) crashes.push(where);
      }
      // Nothing left, either way.
      expect(traces(id), where).toEqual([]);
      expect(processesOf(id), where).toEqual([]);
      expect(hostMountsMatching(bundle), where).toEqual([]);
    }
    expect(crashes).toEqual([]);
    expect(ran).toBe(CASES);
    // The fuzzer exercised both outcomes.
    expect(outcomes.created).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, 120_000);

  it('config.json `null` (K1 of the unit fuzzer) through the CLI', () => {
    // Not enabled as an assertion on the message (pending); it must at least
    // be refused with exit 1 and leave nothing.
    const id = sb.id('sx-fuzz-null');
    const bundle = sb.bundle(id, ['true']);
    writeFileSync(path.join(bundle, 'config.json'), 'null');
    const r = runts(['create', '-b', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^runts: /);
    expect(traces(id)).toEqual([]);
  });
});
