// A strict parser for well-formed command lines, driven by the same table as
// yargs. It returns undefined for anything it is not sure about (help,
// --version, unknown options, missing or extra arguments), and the caller
// then hands the command line to yargs, which prints the right message.
import { own } from '../lookup';
import {
  defaultGlobals,
  defaultOptions,
  GLOBAL_OPTIONS,
  VERBS,
  type Globals,
  type OptionSpec,
  type OptionValue,
  type ParsedCommand,
  type Verb,
} from './grammar';

function findOption(specs: readonly OptionSpec[], arg: string): { spec: OptionSpec; inline?: string } | undefined {
  let name: string;
  let inline: string | undefined;
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const spec = specs.find((s) => s.name === name);
    return spec ? { spec, inline } : undefined;
  }
  if (/^-[A-Za-z]$/.test(arg)) {
    const spec = specs.find((s) => s.alias === arg.slice(1));
    return spec ? { spec } : undefined;
  }
  return undefined;
}

/** Reads one option's value; undefined when the form is not the simple one. */
function readValue(spec: OptionSpec, inline: string | undefined, next: string | undefined): { value: OptionValue; used: number } | undefined {
  if (spec.type === 'boolean') return inline === undefined ? { value: true, used: 0 } : undefined;
  const text = inline ?? next;
  // "-" is a value (update --resources - reads stdin), not an option.
  if (text === undefined || (inline === undefined && text.startsWith('-') && text !== '-')) return undefined;
  const used = inline === undefined ? 1 : 0;
  if (spec.type === 'strings') return { value: [text], used };
  if (spec.type === 'number') {
    if (!/^\d+$/.test(text)) return undefined;
    return { value: Number(text), used };
  }
  if (spec.choices && !spec.choices.includes(text)) return undefined;
  return { value: text, used };
}

const GLOBAL_KEYS: Readonly<Record<string, keyof Globals>> = {
  root: 'root',
  log: 'log',
  'log-format': 'logFormat',
  debug: 'debug',
  'systemd-cgroup': 'systemdCgroup',
  rootless: 'rootless',
  'cgroup-manager': 'cgroupManager',
};

function setGlobal(globals: Globals, name: string, value: OptionValue): void {
  const key = own(GLOBAL_KEYS, name);
  if (key) (globals as unknown as Record<string, OptionValue>)[key] = value;
}

export function parseFast(argv: readonly string[]): ParsedCommand | undefined {
  const globals = defaultGlobals();
  let i = 0;
  for (; i < argv.length && argv[i]?.startsWith('-'); i++) {
    const found = findOption(GLOBAL_OPTIONS, argv[i] ?? '');
    if (!found) return undefined;
    const v = readValue(found.spec, found.inline, argv[i + 1]);
    if (!v) return undefined;
    setGlobal(globals, found.spec.name, v.value);
    i += v.used;
  }
  const verbName = argv[i++];
  if (!verbName || !Object.hasOwn(VERBS, verbName)) return undefined;
  const spec = VERBS[verbName as Verb];
  const options = defaultOptions(spec);
  const positionals: string[] = [];
  let rest: string[] | undefined;
  for (; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (spec.rest && positionals.length === spec.positionals.length) {
      rest = argv.slice(arg === '--' ? i + 1 : i);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const local = findOption(spec.options, arg);
    const found = local ?? findOption(GLOBAL_OPTIONS, arg);
    if (!found) return undefined;
    const v = readValue(found.spec, found.inline, argv[i + 1]);
    if (!v) return undefined;
    const prior = options[found.spec.name];
    if (local && Array.isArray(v.value) && Array.isArray(prior)) options[found.spec.name] = [...prior, ...v.value];
    else if (local) options[found.spec.name] = v.value;
    else setGlobal(globals, found.spec.name, v.value);
    i += v.used;
  }
  const required = spec.positionals.filter((p) => p.required).length;
  if (positionals.length < required || positionals.length > spec.positionals.length) return undefined;
  if (positionals.some((p) => p === '')) return undefined;
  const named: Record<string, string | undefined> = {};
  spec.positionals.forEach((p, n) => {
    named[p.name] = positionals[n];
  });
  return { verb: spec.name, globals, positionals: named, options, ...(spec.rest ? { rest: rest ?? [] } : {}) };
}

/**
 * --log and --log-format from a command line that may not parse, so that a
 * usage error is logged where the caller asked (containerd reads it from
 * --log). The last occurrence wins, as in both parsers.
 */
export function logGlobals(argv: readonly string[]): Pick<Globals, 'log' | 'logFormat'> {
  const out: Pick<Globals, 'log' | 'logFormat'> = { logFormat: 'text' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    const found = arg === '--log' || arg.startsWith('--log=') || arg === '--log-format' || arg.startsWith('--log-format=') ? findOption(GLOBAL_OPTIONS, arg) : undefined;
    if (!found) continue;
    const value = found.inline ?? argv[i + 1];
    if (found.inline === undefined) i++;
    if (value === undefined) continue;
    if (found.spec.name === 'log') out.log = value;
    else if (value === 'json' || value === 'text') out.logFormat = value;
  }
  return out;
}
