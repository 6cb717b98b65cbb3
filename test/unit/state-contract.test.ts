// The state record contract (src/state/contract.ts) against the native
// verbs' reader (addon/common/container.cc): the record create writes is
// read as sound, and removing a required field, mistyping any field, or
// adding an unknown one makes the reader call the record damaged, naming
// the field. (A damaged record is acted on only by `delete --force`.)
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/binding';
import { STATE_RECORD } from '../../src/state/contract';
import type { StateRecord } from '../../src/state/record';
import { countFields, isRequired, sites, unexercised, wrongValue, type Json } from '../helpers/contract-mutations';

const ID = 'contract-c1';
// Confined like a real record: below a cgroup mount of this host, not above runts' own cgroup.
const mount = '/sys/fs/cgroup/memory';
const cgroup = `${mount}/runts-contract-test/${ID}`;

function fullRecord(): Record<string, Json> {
  const record: StateRecord = {
    ociVersion: '1.3.0',
    id: ID,
    status: 'created',
    pid: 4242,
    bundle: '/srv/bundle',
    rootfs: '/srv/bundle/rootfs',
    created: '2026-12-02T07:00:00.000Z',
    owner: '',
    annotations: { 'org.example/key': 'value' },
    runts: {
      version: 1,
      pidStartTime: '123456',
      creatorPid: 4000,
      creatorStartTime: '123400',
      cgroups: [{ path: cgroup, created: true }],
      procsFile: `${cgroup}/cgroup.procs`,
      killFile: `${cgroup}/cgroup.kill`,
      freezerFile: `${cgroup}/freezer.state`,
      needsNodeFor: ['delete'],
    },
  };
  return JSON.parse(JSON.stringify(record)) as Record<string, Json>;
}

const check = (record: unknown) => native().checkStateRecord(ID, JSON.stringify(record));

describe('state record contract', () => {
  const record = fullRecord();
  const all = sites(STATE_RECORD, record);

  it('the reader takes the record create writes', () => {
    expect(check(record)).toBeNull();
    const { annotations: _a, ...withoutOptional } = record;
    const runts = { ...(record.runts as Record<string, Json>) };
    for (const k of ['pidStartTime', 'procsFile', 'killFile', 'freezerFile']) delete runts[k];
    expect(check({ ...withoutOptional, status: 'creating', runts })).toBeNull();
  });

  it('calls a record of another container damaged', () => {
    expect(check({ ...record, id: 'someone-else' })).toContain('id "someone-else" is not the container\'s id');
  });

  it('the sample record exercises every field of the contract', () => {
    expect(unexercised(STATE_RECORD, record)).toEqual([]);
    expect(all.length).toBe(countFields(STATE_RECORD));
  });

  const required = all.filter((s) => isRequired(s.field));
  it.each(required.map((s) => [s.path, s] as const))('calls the record damaged without %s', (path, site) => {
    const saved = site.parent[site.key]!;
    delete site.parent[site.key];
    try {
      expect(check(record)).toContain(path);
    } finally {
      site.parent[site.key] = saved;
    }
  });

  it.each(all.map((s) => [s.path, s] as const))('calls the record damaged with a wrong type at %s', (path, site) => {
    const saved = site.parent[site.key]!;
    site.parent[site.key] = wrongValue(site.field);
    try {
      expect(check(record)).toContain(path.replace(/\[0\]$/, ''));
    } finally {
      site.parent[site.key] = saved;
    }
  });

  it.each([
    ['(top)', (r: Record<string, Json>) => r],
    ['runts', (r: Record<string, Json>) => r.runts as Record<string, Json>],
    ['runts.cgroups[0]', (r: Record<string, Json>) => (r.runts as { cgroups: Record<string, Json>[] }).cgroups[0]!],
  ] as const)('calls the record damaged with an unknown field in %s', (where, pick) => {
    const target = pick(record);
    target.bogus = 1;
    try {
      expect(check(record)).toContain(`${where === '(top)' ? '' : `${where}.`}"bogus" is not a field runts writes`);
    } finally {
      delete target.bogus;
    }
  });
});
