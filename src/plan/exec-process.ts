// A runtime-spec process object on its own (`runts exec --process FILE`, and
// the process saved in exec.json), checked by the very schema and semantic
// checks config.json's process goes through, so that it gets the same
// messages. Paths are relative to the process object ("args", "user.uid").
import { schemaProblems } from '../config/validate';
import { semanticProblems } from '../config/semantic';
import { SPEC_VERSION } from '../config/version';
import type { ConfigProblem } from '../errors';
import { realHost, type HostProbe } from './host';

/** Strips the "process" prefix of a config path; undefined for a path outside the process. */
function processPath(p: string): string | undefined {
  if (p === 'process') return '';
  if (p.startsWith('process.')) return p.slice('process.'.length);
  if (p.startsWith('process[')) return p.slice('process'.length);
  return undefined;
}

export function processDocumentProblems(process: unknown, host: HostProbe = realHost): ConfigProblem[] {
  if (process === null || typeof process !== 'object' || Array.isArray(process)) {
    return [{ path: '', message: 'must be a JSON object (a runtime-spec process, as config.json\'s "process")' }];
  }
  // A config around it: the schema and the checks of config.json's process,
  // with nothing else to complain about.
  const config = { ociVersion: SPEC_VERSION, root: { path: '/' }, process };
  const semantic = semanticProblems(config, { bundle: '/', host, terminalHandled: true, consoleSocket: false });
  const all = [...schemaProblems(config), ...semantic.problems];
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const q of all) {
    const p = processPath(q.path);
    if (p === undefined || seen.has(`${p}\0${q.message}`)) continue;
    seen.add(`${p}\0${q.message}`);
    out.push({ path: p, message: q.message });
  }
  return out;
}
