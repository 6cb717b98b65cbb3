// The runts command line as engines and people use it. The launcher runs
// state/start/kill/delete natively; RUNTS_NATIVE_VERBS=0 sends every
// command through Node: both paths must behave the same.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults';
import { featuresSchemaProblems } from '../../src/config/validate-documents';
import { schemaProblems } from '../../src/config/validate';
import pkg from '../../package.json';
import { isRoot, runts, useSandbox, traces } from '../helpers/sandbox';

const viaNode = { env: { RUNTS_NATIVE_VERBS: '0' } };

describe.skipIf(!isRoot)('command line', () => {
  const sb = useSandbox();

  it('native and Node paths print the same state and the same errors', () => {
    const id = sb.id();
    expect(runts(['create', '-b', sb.bundle(id, ['sleep', '60'], (c) => (c.annotations = { a: 'b' })), id]).code).toBe(0);
    const native = runts(['state', id]);
    const node = runts(['state', id], viaNode);
    expect(node).toEqual(native);
    expect(JSON.parse(native.stdout).status).toBe('created');
    for (const args of [['state', 'nope'], ['kill', 'nope'], ['delete', 'nope'], ['start', 'nope'], ['kill', id, 'BOGUS']]) {
      const n = runts(args);
      expect(runts(args, viaNode), args.join(' ')).toEqual(n);
    }
    expect(runts(['start', id], viaNode).code).toBe(0);
    expect(JSON.parse(runts(['state', id]).stdout).status).toBe('running');
    expect(runts(['kill', id, 'KILL'], viaNode).code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(runts(['state', id]).stdout).status !== 'stopped'; i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
    expect(runts(['delete', id], viaNode).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });

  it('prints help for runts and for each verb', () => {
    const top = runts(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/runts create <container-id>[\s\S]*runts features/);
    expect(top.stdout).toMatch(/--root[\s\S]*--log-format[\s\S]*--systemd-cgroup[\s\S]*--rootless/);
    const kill = runts(['kill', '--help']);
    expect(kill.stdout).toMatch(/runts kill <container-id> \[signal\][\s\S]*--all/);
  });

  it('prints its version', () => {
    // crun's layout, which keeps runc's "version", "commit:" and "spec:" lines.
    expect(runts(['--version'])).toMatchObject({
      code: 0,
      stdout: `runts version ${pkg.version}\ncommit: unknown\nrundir: /run/runts\nspec: 1.3.0\n+CAP +SECCOMP +APPARMOR +SELINUX +EBPF\n`,
    });
  });

  it('refuses an unknown verb or option with a message', () => {
    const verb = runts(['frobnicate']);
    expect(verb.code).not.toBe(0);
    expect(verb.stderr).toMatch(/^runts: Unknown argument: frobnicate/);
    const option = runts(['state', 'x', '--frob']);
    expect(option.code).not.toBe(0);
    expect(option.stderr).toMatch(/Unknown argument: frob/);
  });

  it('spec writes a valid default config.json, and refuses to overwrite one', () => {
    const dir = path.join(sb.dir, 'specdir');
    mkdirSync(dir);
    expect(runts(['spec', '--bundle', dir]).code).toBe(0);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toEqual(defaultConfig());
    expect(schemaProblems(config)).toEqual([]);
    expect(runts(['spec', '-b', dir])).toMatchObject({ code: 1, stderr: `runts: ${path.join(dir, 'config.json')} exists: remove it first\n` });
  });

  it('features prints a valid, truthful features document', () => {
    const r = runts(['features']);
    expect(r.code).toBe(0);
    const f = JSON.parse(r.stdout);
    expect(featuresSchemaProblems(f)).toEqual([]);
    expect(f).toMatchObject({ ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] });
    expect(f.linux.seccomp).toMatchObject({ enabled: true, knownFlags: expect.arrayContaining(['SECCOMP_FILTER_FLAG_LOG']) });
    expect(f.linux.seccomp.actions).toContain('SCMP_ACT_NOTIFY');
    expect(f.linux.seccomp.archs).toContain('SCMP_ARCH_X86_64');
    expect(f.linux.cgroup).toEqual({ v1: true, v2: true, systemd: false, systemdUser: false, rdma: true });
    expect(f.mountOptions).toContain('rro');
    expect(f.mountOptions).not.toContain('idmap');
  });

  it('runs with NODE_OPTIONS and NODE_EXTRA_CA_CERTS set, without paying for or obeying them', () => {
    const r = runts(['features'], { env: { NODE_OPTIONS: '--require /nonexistent.js', NODE_EXTRA_CA_CERTS: '/nonexistent.pem' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('accepts global options after the verb too, like yargs', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['true']);
    const r = runts(['create', id, '--bundle', bundle, '--log-format', 'json']);
    expect(r.code).toBe(0);
    expect(existsSync(path.join('/run/runts-test', id))).toBe(true);
  });
});
