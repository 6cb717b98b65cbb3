// The CLI: parse (fast parser, else yargs), run the verb, report errors in
// the formats engines read. dist/start.cjs (src/cli/start.ts) runs it.
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { errnoText, RuntsError } from '../errors';
import { Logger, printable } from '../log';
import { writeStderr, writeStdout } from '../output';
import { execute } from './commands';
import { logGlobals, parseFast } from './fast-parse';
import type { ParsedCommand } from './grammar';
import { takeSpecRootless } from './spec-rootless';
import type { YargsOutcome } from './yargs-cli';

async function parse(args: readonly string[], distDir: string): Promise<ParsedCommand | number> {
  const fast = parseFast(args);
  if (fast) return fast;
  // A separate bundle, loaded only here so that well-formed commands never
  // pay for yargs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseWithYargs } = require(path.join(distDir, 'yargs-cli.cjs')) as {
    parseWithYargs: (a: readonly string[]) => Promise<YargsOutcome>;
  };
  const outcome = await parseWithYargs(args);
  if ('command' in outcome) return outcome.command;
  if (outcome.stdout) writeStdout(outcome.stdout);
  if (outcome.error !== undefined) {
    // A usage error is an error like any other: logged to --log (where
    // containerd's shim and Podman read it); the usage text is for people
    // and goes to stderr only when nothing asked for a log file.
    const g = logGlobals(args);
    const logger = new Logger({ file: g.log, format: g.logFormat });
    logger.error(outcome.error);
    if (outcome.usage && !logger.logsToFile) writeStderr(`${outcome.usage}\n`);
  }
  return outcome.exitCode;
}

/** Verbs whose stdout and stderr are the container's process's (under a shim or conmon). */
const CONTAINER_STDIO_VERBS = ['create', 'run', 'exec'] as const;

/**
 * As runc, whose logging set-up fails the command: a --log that cannot be
 * opened is an error at once, not lines lost later (crun's test suite
 * checks that `--log=invalid:/path list` fails).
 */
function logFileProblem(file: string): string | undefined {
  try {
    closeSync(openSync(file, 'a', 0o644));
    return undefined;
  } catch (e) {
    return `open log file ${printable(file)}: ${errnoText(e)}`;
  }
}

export async function runCli(argv: readonly string[], distDir: string): Promise<number> {
  const { args, rootless } = takeSpecRootless(argv);
  const parsed = await parse(args, distDir);
  if (typeof parsed === 'number') return parsed;
  if (rootless !== undefined) parsed.options.rootless = rootless;
  const g = parsed.globals;
  const unopenable = g.log === undefined ? undefined : logFileProblem(g.log);
  if (unopenable) {
    writeStderr(`runts: ${unopenable}\n`);
    return 1;
  }
  const stdioIsContainers = (CONTAINER_STDIO_VERBS as readonly string[]).includes(parsed.verb);
  const logger = new Logger({ file: g.log, format: g.logFormat, debug: g.debug, stdioIsContainers });
  try {
    return await execute(parsed, logger);
  } catch (e) {
    if (e instanceof RuntsError) {
      logger.error(e.message, e.details, e.problems);
      return e.exitCode;
    }
    logger.error(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

/** Runs the CLI and exits with its code. */
export function runCliAndExit(args: readonly string[], distDir: string): void {
  runCli(args, distDir).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const g = logGlobals(args);
      new Logger({ file: g.log, format: g.logFormat }).error(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
