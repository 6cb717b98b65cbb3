// Runs the code every create runs (parsing, schema validation and planning of
// the default config) when the V8 code cache is made at build time, so that
// the cache holds that code compiled instead of compiling it at every start.
import { defaultConfig } from '../config/defaults';
import { schemaProblems } from '../config/validate';
import { semanticProblems } from '../config/semantic';
import { buildPlan } from '../plan/build';
import { planResources } from '../cgroups/resources-plan';
import { resourceProblems } from '../config/resources';
import { parseFast } from './fast-parse';
import type { HostProbe } from '../plan/host';
import type { OciConfig } from '../config/types';

const FAKE_HOST: HostProbe = {
  kind: () => 'dir',
  realpath: (p) => p,
  exists: () => true,
  hasNamespaceType: () => true,
  selinuxEnabled: () => false,
  apparmorEnabled: () => false,
  isOwnNamespace: () => false,
  filesystemType: () => undefined,
};

/** Engines put a seccomp profile into every config: its checks and translation are warmed too. */
function withSeccomp(config: OciConfig): OciConfig {
  return {
    ...config,
    linux: {
      ...config.linux,
      seccomp: {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 38,
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [
          { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
          { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
          { names: ['swapon'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        ],
      },
    },
  };
}

export function warmUp(): void {
  for (let i = 0; i < 3; i++) {
    for (const config of [defaultConfig(), withSeccomp(defaultConfig())]) {
      schemaProblems(config);
      semanticProblems(config, { bundle: '/b', host: FAKE_HOST, terminalHandled: true, consoleSocket: false });
      buildPlan(config, {
        id: 'warm-up',
        bundle: '/b',
        host: FAKE_HOST,
        cgroups: { mode: 'v1', dirs: [], procsFile: undefined, freezerFile: undefined, killFile: undefined },
        // Not libseccomp: the warm-up runs at build time, without the addon.
        compileSeccomp: () => ({ program: new Uint8Array(8), skipped: [] }),
      });
    }
    // Engines send limits with every container: their checks and plans too.
    const limits = { memory: { limit: 1 << 28, swap: 1 << 29 }, cpu: { shares: 1024, quota: 50000, period: 100000 }, pids: { limit: 1024 } };
    for (const mode of ['hybrid', 'v2'] as const) {
      const checked = resourceProblems(limits, 'linux.resources', { mode, controllers: new Set(['memory', 'cpu', 'pids']) }, { types: false });
      planResources(checked.resources, mode === 'v2' ? 2 : 1, { base: 'linux.resources', probe: { exists: () => true, read: () => undefined } });
    }
    const config = defaultConfig();
    parseFast(['--root', '/r', 'create', '--bundle', '/b', '--pid-file', '/p', 'x']);
    JSON.stringify(config);
  }
}
