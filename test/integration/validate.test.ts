// runts validate: create's checks, every problem at once, and nothing made:
// no state directory under --root, no cgroup, no lock.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { cgroupDirs, isRoot, RUNTS, runts, traces, useSandbox } from '../helpers/sandbox';

interface ValidateJson {
  valid: boolean;
  file: string;
  problems: { path: string; message: string }[];
  warnings: string[];
  plan?: { id: string; namespaces: { created: string[] }; mounts: { destination: string; flags: string[] }[]; cgroups: { dirs: { dir: string }[] } | null };
}

function breakConfig(c: OciConfig): void {
  c.process!.args = [];
  c.process!.cwd = 'relative';
  (c.mounts![0] as { destination: unknown }).destination = 5;
  c.linux!.namespaces!.push({ type: 'bogus' as 'pid' });
}

describe.skipIf(!isRoot)('validate', () => {
  const sb = useSandbox();
  let root: string;

  beforeEach(() => {
    // A fresh, empty state root: validate must leave it so.
    root = mkdtempSync(path.join(tmpdir(), 'runts-test-validate-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function nothingMade(id: string): void {
    expect(readdirSync(root)).toEqual([]);
    expect(traces(id, root)).toEqual([]);
    expect(cgroupDirs(id)).toEqual([]);
  }

  it('a good bundle: exit 0, "<bundle>/config.json is valid", nothing created', () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['true']);
    const r = runts(['validate', '--bundle', bundle, id], { root });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${bundle}/config.json is valid\n`);
    expect(r.code).toBe(0);
    nothingMade(id);
  });

  it('a bad bundle: every problem with its JSON path, exit 1, the same problems create reports', () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['true'], breakConfig);
    const r = runts(['validate', '-b', bundle], { root });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`runts: invalid ${bundle}/config.json: 4 problems found, nothing was created`);
    expect(lines.slice(1).sort()).toEqual(
      [
        '  mounts[0].destination: must be a string (got number 5)',
        '  linux.namespaces[6].type: must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" (got "bogus")',
        '  process.args: must have at least one entry (the program to run)',
        '  process.cwd: must be an absolute path (got "relative")',
      ].sort(),
    );
    nothingMade(id);
    // create finds exactly these, in the same words.
    const created = runts(['create', '--bundle', bundle, id], { root });
    expect(created.code).toBe(1);
    expect(created.stderr).toBe(r.stderr);
    nothingMade(id);
  });

  it('--format json: {valid, file, problems, warnings} for tools, exit 1 when invalid', () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['true'], breakConfig);
    const r = runts(['validate', '--format', 'json', '--bundle', bundle], { root });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as ValidateJson;
    expect(doc.valid).toBe(false);
    expect(doc.file).toBe(`${bundle}/config.json`);
    expect(doc.problems.map((p) => p.path).sort()).toEqual(['linux.namespaces[6].type', 'mounts[0].destination', 'process.args', 'process.cwd']);
    expect(doc.plan).toBeUndefined();
    nothingMade(id);
  });

  it('--plan: the launch plan in words, with this host\'s cgroup paths', () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['/bin/echo', 'hi'], (c) => {
      c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['kexec_load'], action: 'SCMP_ACT_ERRNO' }] };
    });
    const r = runts(['validate', '--plan', '--bundle', bundle, id], { root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(new RegExp(`^${bundle}/config.json is valid\nlaunch plan for container "${id}":\n`));
    expect(out).toMatch(/^ {2}created +mount, cgroup, uts, ipc, pid, network$/m);
    expect(out).toMatch(/^ {2}\/sys +sysfs from sysfs; flags MS_RDONLY\|MS_NOSUID\|MS_NODEV\|MS_NOEXEC$/m);
    expect(out).toMatch(new RegExp(`^ {2}memory +/sys/fs/cgroup/memory/runts-test/${id}$`, 'm'));
    expect(out).toMatch(/^ {2}bounding +CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE$/m);
    expect(out).toMatch(/^ {2}args +\["\/bin\/echo","hi"\]$/m);
    expect(out).toMatch(/^ {2}default action +SCMP_ACT_ALLOW$/m);
    expect(out).toMatch(/^ {2}rules +1 \(1 syscall names\)$/m);
    expect(out).toMatch(/^ {2}program +\d+ BPF instructions$/m);
    nothingMade(id);
  });

  it('--plan --format json: the described plan parsed as JSON', () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['true']);
    const r = runts(['validate', '--plan', '--format', 'json', '--bundle', bundle, id], { root });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as ValidateJson;
    expect(doc).toMatchObject({ valid: true, problems: [], file: `${bundle}/config.json` });
    expect(doc.plan?.id).toBe(id);
    expect(doc.plan?.namespaces.created).toContain('pid');
    expect(doc.plan?.mounts.find((m) => m.destination === '/proc')).toMatchObject({ flags: [] });
    expect(doc.plan?.cgroups?.dirs.map((d) => d.dir)).toContain(`/sys/fs/cgroup/memory/runts-test/${id}`);
    nothingMade(id);
  });

  it('--config FILE: another config of the bundle, its own problems', () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['true']);
    writeFileSync(path.join(bundle, 'other.json'), JSON.stringify({ ociVersion: '1.0.0', root: { path: 'rootfs' }, process: { cwd: '/', args: ['true'], user: { uid: 'x' } } }));
    const r = runts(['validate', '--bundle', bundle, '--config', 'other.json', '--format', 'json'], { root });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as ValidateJson;
    expect(doc.file).toBe(`${bundle}/other.json`);
    expect(doc.problems).toContainEqual({ path: 'process.user.uid', message: 'must be an integer (got "x")' });
    // The bundle's own config.json is still good.
    expect(runts(['validate', '--bundle', bundle], { root }).code).toBe(0);
    const missing = runts(['validate', '--bundle', bundle, '-f', 'nope.json'], { root });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`runts: no config file ${bundle}/nope.json (given with --config)\n`);
    nothingMade(id);
  });

  it('without any state root: a --root that does not exist is not made', () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['true']);
    const absent = path.join(root, 'absent');
    const r = runts(['validate', '--bundle', bundle, id], { root: absent });
    expect(r.code).toBe(0);
    nothingMade(id);
  });

  it("create's warnings: in the JSON document, and logged as create logs them", () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['true'], (c) => (c.linux!.resources = { memory: { limit: 64 << 20 } }));
    const warning = 'linux.resources is ignored: with --cgroup-manager disabled the container has no cgroup (no limits, no device cgroup)';
    const json = runts(['--cgroup-manager', 'disabled', 'validate', '--format', 'json', '--bundle', bundle, id], { root });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, warnings: [warning] });
    expect(json.stderr).toBe('');
    const text = runts(['--cgroup-manager', 'disabled', 'validate', '--plan', '--bundle', bundle, id], { root });
    expect(text.code).toBe(0);
    expect(text.stderr).toBe(`runts: warning: ${warning}\n`);
    expect(text.stdout).toMatch(/^ {2}mode {2}none \(--cgroup-manager disabled\)$/m);
    nothingMade(id);
  });

  it('needs no root: an unprivileged user validates a bundle it can read', () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['true']);
    const r = spawnSync(RUNTS, ['--root', root, 'validate', '--bundle', bundle, id], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${bundle}/config.json is valid\n`);
    expect(r.status).toBe(0);
    nothingMade(id);
  });

  it('create --dry-run: the same verdict and plan as validate --plan, nothing created', () => {
    const id = sb.id('validate');
    const bundle = sb.bundle(id, ['true']);
    const dry = runts(['create', '--dry-run', '--bundle', bundle, id], { root });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(runts(['validate', '--plan', '--bundle', bundle, id], { root }).stdout);
    expect(dry.stdout).toContain(`launch plan for container "${id}":`);
    nothingMade(id);
    const bad = sb.bundle(sb.id('validate'), ['true'], breakConfig);
    const failed = runts(['create', '--dry-run', '--bundle', bad, id], { root });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^runts: invalid .*config\.json: 4 problems found, nothing was created\n/);
    nothingMade(id);
  });

  it('a bundle without config.json: one problem of the whole document', () => {
    const empty = mkdtempSync(path.join(root, 'bundle-'));
    try {
      const r = runts(['validate', '--format', 'json', '--bundle', empty], { root });
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, problems: [{ path: '', message: `no config.json in bundle ${empty} (create one with \`runts spec\`)` }] });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect(readdirSync(root)).toEqual([]);
  });
});
