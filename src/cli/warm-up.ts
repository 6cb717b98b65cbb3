// Runs the code every create runs (parsing, schema validation and planning of
// the default config) when the V8 code cache is made at build time, so that
// the cache holds that code compiled instead of compiling it at every start.
import { defaultConfig } from '../config/defaults';
import { schemaProblems } from '../config/validate';
import { semanticProblems } from '../config/semantic';
import { buildPlan } from '../plan/build';
import { parseFast } from './fast-parse';
import type { HostProbe } from '../plan/host';

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

export function warmUp(): void {
  const config = defaultConfig();
  for (let i = 0; i < 3; i++) {
    schemaProblems(config);
    semanticProblems(config, { bundle: '/b', host: FAKE_HOST, terminalHandled: true, consoleSocket: false });
    buildPlan(config, {
      id: 'warm-up',
      bundle: '/b',
      host: FAKE_HOST,
      cgroups: { mode: 'v1', dirs: [], procsFile: undefined, freezerFile: undefined, killFile: undefined },
    });
    parseFast(['--root', '/r', 'create', '--bundle', '/b', '--pid-file', '/p', 'x']);
    JSON.stringify(config);
  }
}
