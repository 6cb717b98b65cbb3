// validate: create's own validation and planning (prepare() in create.ts),
// stopped before create's first system call that changes anything: no state
// directory, lock, cgroup or process. Every problem is the one create would
// report, because it is create's code that finds it.
import path from 'node:path';
import type { OciConfig } from '../config/types';
import { ConfigError, RuntsError, type ConfigProblem } from '../errors';
import { Logger } from '../log';
import type { HostProbe } from '../plan/host';
import { describePlan, formatPlan, type PlanDescription } from '../plan/describe';
import { writeStdout } from '../output';
import type { LaunchPlan } from '../plan/types';
import { prepare } from './create';

export interface ValidateOptions {
  /** The bundle directory. Default: the current directory. */
  bundle?: string;
  /** A config file other than <bundle>/config.json, relative to the bundle (as create's --config). */
  configFile?: string;
  /** A config object instead of a file. */
  config?: OciConfig;
  /** The id the plan is made for (the default cgroup path is /runts/<id>). */
  id?: string;
  cgroupManager?: 'cgroupfs' | 'disabled';
  noPivot?: boolean;
  /** Overrides for tests. */
  host?: HostProbe;
}

export interface ValidationReport {
  valid: boolean;
  /** The config file read ("config" for a config object). */
  file: string;
  problems: ConfigProblem[];
  /** What create would log as warnings (for a valid config). */
  warnings: string[];
  /** The plan, for a valid config. */
  plan?: LaunchPlan;
  description?: PlanDescription;
}

/** Used when no id is given: it shows where the id goes in the cgroup paths. */
export const PLACEHOLDER_ID = 'container-id';

/** Keeps create's warnings instead of printing them: validate reports them itself. */
class CollectingLogger extends Logger {
  readonly warnings: string[] = [];
  override warn(msg: string): void {
    this.warnings.push(msg);
  }
  override debug(): void {}
}

function configFileName(opts: ValidateOptions, bundle: string): string {
  if (opts.config) return 'config';
  return path.resolve(bundle, opts.configFile ?? 'config.json');
}

export function validateBundle(opts: ValidateOptions = {}): ValidationReport {
  const bundle = path.resolve(opts.bundle ?? '.');
  const logger = new CollectingLogger();
  const file = configFileName(opts, bundle);
  try {
    // A terminal is taken as handled: validate cannot know whether create
    // will get a --console-socket, and says nothing it cannot know.
    const p = prepare(
      { id: opts.id ?? PLACEHOLDER_ID, bundle, config: opts.config, configFile: opts.configFile, cgroupManager: opts.cgroupManager, noPivot: opts.noPivot, host: opts.host },
      { attachTerminal: true },
      logger,
    );
    const description = describePlan({
      config: p.config,
      plan: p.plan,
      uidMap: p.uidMap,
      gidMap: p.gidMap,
      deviceRules: p.deviceRules,
      placement: p.placement,
      noCgroups: p.noCgroups,
      hooks: p.hooks,
    });
    return { valid: true, file: p.file, problems: [], warnings: logger.warnings, plan: p.plan, description };
  } catch (e) {
    if (e instanceof ConfigError) return { valid: false, file, problems: [...e.problems], warnings: logger.warnings };
    // A config that cannot be read or parsed, or an id create would refuse:
    // one problem of the whole document.
    if (e instanceof RuntsError) return { valid: false, file, problems: [{ path: '', message: e.message }], warnings: logger.warnings };
    throw e;
  }
}

export interface PrintOptions {
  plan: boolean;
  json: boolean;
}

/**
 * The CLI's output. Text: problems are reported as create reports them (the
 * same ConfigError, to stderr or --log); a valid config gets one line on
 * stdout, and the plan with --plan. JSON: one document on stdout, whatever
 * the outcome. Returns the exit code: 0 valid, 1 not.
 */
export function printValidation(opts: ValidateOptions, how: PrintOptions, logger: Logger): number {
  const report = validateBundle(opts);
  if (how.json) {
    const doc = {
      valid: report.valid,
      file: report.file,
      problems: report.problems,
      warnings: report.warnings,
      ...(how.plan && report.description ? { plan: report.description } : {}),
    };
    writeStdout(`${JSON.stringify(doc, null, 2)}\n`);
    return report.valid ? 0 : 1;
  }
  for (const w of report.warnings) logger.warn(w);
  if (!report.valid) {
    const only = report.problems.length === 1 ? report.problems[0] : undefined;
    if (only && only.path === '') logger.error(only.message);
    else {
      const e = new ConfigError(report.file, report.problems);
      logger.error(e.message, e.details);
    }
    return 1;
  }
  writeStdout(`${report.file} is valid\n`);
  if (how.plan && report.description) writeStdout(formatPlan(report.description));
  return 0;
}
