// The reference command-line parser, built with yargs from the grammar
// table. Bundled on its own (dist/yargs-cli.cjs) and loaded only when the
// fast parser declines a command line: help, --version, usage errors.
import type { Argv } from 'yargs';
// The CommonJS build, by require: its cliui wraps at word boundaries with
// wrap-ansi; the ES module build's stand-in cuts words at the column width
// ("compatible with ru / nc.").
import yargs = require('yargs');
import { SPEC_VERSION } from '../config/version';
import { VERSION } from '../version';
import { completionScript, SHELLS, type Shell } from './completion';
import {
  CLI_COMMANDS,
  defaultGlobals,
  GLOBAL_OPTIONS,
  VERBS,
  type Globals,
  type OptionSpec,
  type ParsedCommand,
  type Verb,
  type VerbSpec,
} from './grammar';

/** A command, or what to print: help on stdout, or a usage error (its message for the log, the usage text for stderr). */
export type YargsOutcome = { command: ParsedCommand } | { exitCode: number; stdout?: string; error?: string; usage?: string };

/**
 * `runts --version`, in crun's layout: runc's first line and its "commit:"
 * and "spec:" lines (what Docker's and Podman's `info` read: the word
 * "version" and "commit:"), crun's "rundir:" and its line of build features
 * ("+SECCOMP ..."), which crun's test suite reads to skip what a build lacks.
 * runts has no systemd driver and no checkpoint (no +SYSTEMD, no +CRIU).
 */
export function versionText(): string {
  return [`runts version ${VERSION}`, 'commit: unknown', 'rundir: /run/runts', `spec: ${SPEC_VERSION}`, '+CAP +SECCOMP +APPARMOR +SELINUX +EBPF'].join('\n');
}

function addOption(y: Argv, o: OptionSpec, global: boolean): Argv {
  return y.option(o.name, {
    // A repeatable string: one value per occurrence (exec --env).
    ...(o.type === 'strings' ? { type: 'string', array: true, nargs: 1 } : { type: o.type }),
    describe: o.describe,
    global,
    ...(o.alias ? { alias: o.alias } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
    ...(o.choices ? { choices: [...o.choices] } : {}),
  });
}

function commandString(spec: VerbSpec): string {
  const rest = spec.rest ? [`[${spec.rest.name}..]`] : [];
  return [spec.name, ...spec.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)), ...rest].join(' ');
}

const TOP_USAGE = 'runts [global options] <command> [options] <arguments>';
const GLOBAL_GROUP = 'Global options:';
/** The options every command takes, listed after a verb's own. */
const GLOBAL_KEYS = [...GLOBAL_OPTIONS.map((o) => o.name), 'help', 'version'];
const HELP_WIDTH = 100;

function build(): Argv {
  let y = yargs()
    .scriptName('runts')
    .parserConfiguration({
      // runc's flags are literally --no-pivot and --no-new-keyring.
      'boolean-negation': false,
      'camel-case-expansion': false,
      'dot-notation': false,
      'duplicate-arguments-array': false,
    })
    .usage(`${TOP_USAGE}\n\nAn OCI container runtime, compatible with runc.`)
    .epilog("`runts help <command>` (or `runts <command> --help`) shows a command's options and an example.")
    .version(versionText())
    .alias('version', 'v')
    .help('help')
    .alias('help', 'h')
    .strict()
    .demandCommand(1, `a command is required: one of ${Object.keys(VERBS).join(', ')}`)
    // A usage error is a few lines (usageLines), not the whole help.
    .showHelpOnFail(false)
    .wrap(Math.min(HELP_WIDTH, process.stdout.columns || HELP_WIDTH));
  for (const o of GLOBAL_OPTIONS) y = addOption(y, o, true);
  y = y.group(GLOBAL_KEYS, GLOBAL_GROUP);
  for (const spec of Object.values(VERBS)) {
    y = y.command(commandString(spec), spec.describe, (cy) => {
      let c = cy;
      for (const p of spec.positionals) c = c.positional(p.name, { type: 'string', describe: p.describe });
      if (spec.rest) c = c.positional(spec.rest.name, { type: 'string', array: true, describe: spec.rest.describe });
      for (const o of spec.options) c = addOption(c, o, false);
      // The verb's own options first, then the global ones under their heading.
      if (spec.options.length) c = c.group(spec.options.map((o) => o.name), 'Options:');
      c = c.group(GLOBAL_KEYS, GLOBAL_GROUP);
      if (spec.example) c = c.example(spec.example.command, spec.example.describe);
      c = c.epilog(spec.epilog ?? '');
      return c;
    });
  }
  for (const cli of CLI_COMMANDS) {
    y = y.command(cli.usage, cli.describe, (cy) =>
      cli.name === 'completion'
        ? cy.positional('shell', { type: 'string', choices: [...SHELLS], describe: 'the shell to complete in' }).group(GLOBAL_KEYS, GLOBAL_GROUP).example('source <(runts completion bash)', 'complete runts in this bash')
        : cy.positional('command', { type: 'string', describe: 'the command to show the help of' }).group(GLOBAL_KEYS, GLOBAL_GROUP).example('runts help create', "create's options and an example"),
    );
  }
  return y;
}

function globalOption(arg: string): OptionSpec | undefined {
  const name = arg.startsWith('--') ? arg.slice(2).split('=')[0] : undefined;
  return GLOBAL_OPTIONS.find((o) => o.name === name);
}

/** Where the command word is: the first argument that is neither a global option nor its value. */
function commandIndex(args: readonly string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return undefined;
    if (!arg.startsWith('-')) return i;
    const o = globalOption(arg);
    if (o && o.type !== 'boolean' && !arg.includes('=')) i++;
  }
  return undefined;
}

/** Optimal string alignment distance: a swap of two letters ("strat") counts once. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((d[i - 1]?.[j] ?? 0) + 1, (d[i]?.[j - 1] ?? 0) + 1, (d[i - 1]?.[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (d[i - 2]?.[j - 2] ?? 0) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return d[a.length]?.[b.length] ?? 0;
}

/** The nearest candidate, if it is near enough to be what was meant (at most 2 edits, fewer than the word's length). */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d <= 2 && d < word.length && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

const COMMAND_NAMES: readonly string[] = [...Object.keys(VERBS), ...CLI_COMMANDS.map((c) => c.name)];

/**
 * What follows a usage error's message on stderr: a "Did you mean" hint
 * when a word is near a command or an option, the usage line of the verb
 * (or of runts) and where the full help is.
 */
export function usageLines(message: string, args: readonly string[]): string[] {
  const at = commandIndex(args);
  const word = at === undefined ? undefined : args[at];
  const spec = word !== undefined && Object.hasOwn(VERBS, word) ? VERBS[word as Verb] : undefined;
  const cli = CLI_COMMANDS.find((c) => c.name === word);
  const lines: string[] = [];
  const unknown = /^Unknown arguments?: (.*)$/.exec(message)?.[1]?.split(', ') ?? [];
  const optionNames = [...(spec?.options ?? []), ...GLOBAL_OPTIONS].map((o) => o.name);
  for (const u of unknown) {
    const hint = u === word && !spec && !cli ? nearest(u, COMMAND_NAMES) : u !== word ? nearest(u, optionNames) : undefined;
    if (hint) {
      lines.push(`Did you mean ${u === word ? hint : `--${hint}`}?`);
      break;
    }
  }
  if (spec) {
    const usage = commandString(spec).replace(spec.name, spec.options.length ? `${spec.name} [options]` : spec.name);
    lines.push(`Usage: runts [global options] ${usage}`, `Run \`runts ${spec.name} --help\` for its options and an example, \`runts help\` for all commands.`);
  } else if (cli) {
    lines.push(`Usage: runts ${cli.usage}`, `Run \`runts ${cli.name} --help\` for more, \`runts help\` for all commands.`);
  } else {
    lines.push(`Usage: ${TOP_USAGE}`, "Run `runts help` for the commands, `runts <command> --help` for a command's options.");
  }
  return lines;
}

function usageError(message: string, args: readonly string[]): YargsOutcome {
  return { exitCode: 1, error: message, usage: usageLines(message, args).join('\n') };
}

function toCommand(argv: Record<string, unknown>): ParsedCommand {
  const verb = String((argv._ as unknown[])[0]) as Verb;
  const spec = VERBS[verb];
  const globals: Globals = { ...defaultGlobals() };
  globals.root = String(argv.root);
  if (argv.log !== undefined) globals.log = String(argv.log);
  globals.logFormat = argv['log-format'] === 'json' ? 'json' : 'text';
  globals.debug = argv.debug === true;
  globals.systemdCgroup = argv['systemd-cgroup'] === true;
  globals.rootless = String(argv.rootless);
  const manager = argv['cgroup-manager'];
  globals.cgroupManager = manager === 'systemd' || manager === 'disabled' ? manager : 'cgroupfs';
  const positionals: Record<string, string | undefined> = {};
  for (const p of spec.positionals) positionals[p.name] = argv[p.name] === undefined ? undefined : String(argv[p.name]);
  const options: ParsedCommand['options'] = {};
  // A repeatable option's list is under its alias too when the alias was used.
  for (const o of spec.options) options[o.name] = (o.type === 'strings' && o.alias && Array.isArray(argv[o.alias]) ? argv[o.alias] : argv[o.name]) as ParsedCommand['options'][string];
  // What follows "--" is left in argv._ after the verb.
  const rest = spec.rest ? [...((argv[spec.rest.name] as unknown[] | undefined) ?? []), ...(argv._ as unknown[]).slice(1)].map(String) : undefined;
  return { verb, globals, positionals, options, ...(rest ? { rest } : {}) };
}

function parseArgs(args: readonly string[]): Promise<YargsOutcome> {
  return new Promise((resolve) => {
    build().parse([...args], {}, (err: Error | undefined, argv: Record<string, unknown>, output: string) => {
      if (err) {
        resolve(usageError(err.message, args));
      } else if (argv.help || argv.version) {
        resolve({ exitCode: 0, stdout: `${output}\n` });
      } else if (output) {
        resolve({ exitCode: 1, error: output });
      } else if ((argv._ as unknown[])[0] === 'completion') {
        resolve({ exitCode: 0, stdout: completionScript(argv.shell as Shell) });
      } else {
        resolve({ command: toCommand(argv) });
      }
    });
  });
}

/** `runts help [command]`, as runc's: the help of runts, or the command's (its --help). */
function help(args: readonly string[], at: number): Promise<YargsOutcome> {
  const globals = args.slice(0, at);
  const words = args.slice(at + 1).filter((a) => a !== '--help' && a !== '-h');
  const [topic, ...extra] = words;
  if (topic === undefined) return parseArgs([...globals, '--help']);
  if (topic.startsWith('-')) return Promise.resolve(usageError(`Unknown argument: ${topic.replace(/^-+/, '')}`, args));
  if (!COMMAND_NAMES.includes(topic)) {
    const hint = nearest(topic, COMMAND_NAMES);
    return Promise.resolve({
      exitCode: 1,
      error: `Unknown command: ${topic}`,
      usage: [...(hint ? [`Did you mean ${hint}?`] : []), ...usageLines('', args)].join('\n'),
    });
  }
  if (extra.length) return Promise.resolve(usageError(`Too many arguments for help: ${extra.join(', ')}`, args));
  return parseArgs([...globals, topic, '--help']);
}

export async function parseWithYargs(args: readonly string[]): Promise<YargsOutcome> {
  const at = commandIndex(args);
  if (at !== undefined && args[at] === 'help') return help(args, at);
  return parseArgs(args);
}
