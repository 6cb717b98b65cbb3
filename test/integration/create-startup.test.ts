// What a create costs before it does anything: every create is a new Node
// process, so each built-in module it loads and each function V8 compiles
// again is paid at every container start (and 100 times when an engine
// starts 100 containers at once). These tests keep the create path on what it
// needs: start.cjs's vm and the built-ins Node has loaded anyway; the CLI's
// code cache accepted by the node binary the launcher runs.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRoot, ROOT, useSandbox } from '../helpers/sandbox';

const pkg = path.resolve(__dirname, '../..');
const dist = path.join(pkg, 'dist');

/** The launcher's environment for Node: no NODE_OPTIONS, no certificate bundle. */
function nodeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

describe('the CLI bundle at start', () => {
  it('is compiled from the code cache made at build time (a fresh node accepts it)', () => {
    const script = `const { loadBundle } = require(${JSON.stringify(path.join(dist, 'start.cjs'))});
      const fs = require('fs');
      const { script } = loadBundle(${JSON.stringify(dist)}, fs.readFileSync(${JSON.stringify(path.join(dist, 'runts.cjs.cache'))}));
      process.stdout.write(String(script.cachedDataRejected));`;
    const r = spawnSync(process.execPath, ['-e', script], { env: nodeEnv(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('false');
  });
});

describe.skipIf(!isRoot)('a create under Node', () => {
  const sb = useSandbox();

  it('loads no built-in module beyond vm (no child_process, os, perf_hooks, net...)', () => {
    const id = sb.id('startup');
    // Resources and seccomp too: their steps run in every engine's create.
    const bundle = sb.bundle(id, ['true'], (c) => {
      c.linux!.resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 100 }, cpu: { shares: 512 } };
      c.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ names: ['swapon'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
    });
    const preload = path.join(sb.dir, 'modules.cjs');
    const report = path.join(sb.dir, 'modules.json');
    writeFileSync(
      preload,
      `const before = new Set(process.moduleLoadList);
       process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)},
         JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')))));`,
    );
    const r = spawnSync(process.execPath, ['-r', preload, path.join(dist, 'start.cjs'), '--root', ROOT, 'create', '--bundle', bundle, id], {
      env: nodeEnv(),
      encoding: 'utf8',
      // The created container inherits stdio: no pipes that it would hold open.
      stdio: ['ignore', 'ignore', 'ignore'],
      timeout: 20_000,
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(report, 'utf8'))).toEqual(['NativeModule vm']);
  });
});
