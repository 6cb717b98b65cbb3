// Entry of dist/runts.cjs: the `runts` launcher executes it (without
// NODE_OPTIONS or NODE_EXTRA_CA_CERTS) for every command it does not run
// natively.
import { RuntsError } from '../errors';
import { Logger } from '../log';
import { writeStderr, writeStdout } from '../output';
import { execute } from './commands';
import { parseFast } from './fast-parse';
import type { ParsedCommand } from './grammar';
import type { YargsOutcome } from './yargs-cli';

async function parse(args: readonly string[]): Promise<ParsedCommand | number> {
  const fast = parseFast(args);
  if (fast) return fast;
  // A separate bundle: required only here, so that well-formed commands
  // never load yargs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseWithYargs } = require('./yargs-cli.cjs') as { parseWithYargs: (a: readonly string[]) => Promise<YargsOutcome> };
  const outcome = await parseWithYargs(args);
  if ('command' in outcome) return outcome.command;
  if (outcome.stdout) writeStdout(outcome.stdout);
  if (outcome.stderr) writeStderr(outcome.stderr);
  return outcome.exitCode;
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = await parse(args);
  if (typeof parsed === 'number') return parsed;
  const g = parsed.globals;
  const logger = new Logger({ file: g.log, format: g.logFormat, debug: g.debug });
  try {
    return await execute(parsed, logger);
  } catch (e) {
    if (e instanceof RuntsError) {
      logger.error(e.message, e.details);
      return e.exitCode;
    }
    logger.error(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    writeStderr(`runts: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
