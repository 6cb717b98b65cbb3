// The reference command-line parser, built with yargs from the grammar
// table. Bundled on its own (dist/yargs-cli.cjs) and loaded only when the
// fast parser declines a command line: help, --version, usage errors.
import yargs, { type Argv } from 'yargs';
import { SPEC_VERSION } from '../config/version';
import { VERSION } from '../version';
import {
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
    .usage('runts [global options] <command> [options] <arguments>\n\nAn OCI container runtime, compatible with runc.')
    .version(versionText())
    .alias('version', 'v')
    .help('help')
    .alias('help', 'h')
    .strict()
    .demandCommand(1, 'a command is required: one of create, start, state, kill, delete, run, exec, list, spec, features, pause, resume, ps, events, update')
    .recommendCommands()
    .wrap(100);
  for (const o of GLOBAL_OPTIONS) y = addOption(y, o, true);
  for (const spec of Object.values(VERBS)) {
    y = y.command(commandString(spec), spec.describe, (cy) => {
      let c = cy;
      for (const p of spec.positionals) c = c.positional(p.name, { type: 'string', describe: p.describe });
      if (spec.rest) c = c.positional(spec.rest.name, { type: 'string', array: true, describe: spec.rest.describe });
      for (const o of spec.options) c = addOption(c, o, false);
      if (spec.epilog) c = c.epilog(spec.epilog);
      return c;
    });
  }
  return y;
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

export async function parseWithYargs(args: readonly string[]): Promise<YargsOutcome> {
  return new Promise((resolve) => {
    build().parse([...args], {}, (err: Error | undefined, argv: Record<string, unknown>, output: string) => {
      if (err) {
        // yargs ends its output with the message; say it first, then the usage.
        const usage = output.endsWith(err.message) ? output.slice(0, -err.message.length).trimEnd() : output;
        resolve({ exitCode: 1, error: err.message, ...(usage ? { usage } : {}) });
      } else if (argv.help || argv.version) {
        resolve({ exitCode: 0, stdout: `${output}\n` });
      } else if (output) {
        resolve({ exitCode: 1, error: output });
      } else {
        resolve({ command: toCommand(argv) });
      }
    });
  });
}
