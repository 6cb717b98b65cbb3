// Runs the hooks of the runtime's namespaces (prestart, createRuntime,
// poststart, poststop) through the addon's runner: argv and envp exactly as
// resolved, the state on stdin, stdout and stderr captured (never the
// runtime's or the container's stdio), killed at their timeout.
import { RuntsError } from '../errors';
import type { Logger } from '../log';
import { native } from '../native/binding';
import type { ResolvedHook } from './plan';

export interface HookRunOptions {
  /**
   * The hooks' working directory: the bundle at create (runc's create runs
   * in it); the caller's otherwise (runc's start and delete do not move).
   */
  cwd?: string;
  logger?: Logger;
}

function runOne(hook: ResolvedHook, state: string, opts: HookRunOptions): string {
  const outcome = native().runHook({ ...hook, cwd: opts.cwd ?? '' }, state);
  opts.logger?.debug(
    `hook hooks.${hook.kind}[${hook.index}] (${hook.path}): ${outcome.ok ? 'ok' : outcome.message}` +
      (outcome.ok && outcome.stderr ? `; stderr: ${outcome.stderr.trimEnd()}` : ''),
  );
  return outcome.ok ? '' : outcome.message;
}

/** In order; the first failure stops the list and is thrown (create-time kinds). */
export function runHooksOrFail(hooks: readonly ResolvedHook[], state: string, opts: HookRunOptions): void {
  for (const hook of hooks) {
    const failed = runOne(hook, state, opts);
    if (failed) throw new RuntsError(failed, { code: 'EHOOK' });
  }
}

/**
 * Every hook, a failure being a warning (poststart, poststop: the spec says
 * the remaining hooks and the lifecycle go on as if it had succeeded).
 */
export function runHooksWarning(hooks: readonly ResolvedHook[], state: string, opts: HookRunOptions): void {
  for (const hook of hooks) {
    const failed = runOne(hook, state, opts);
    if (failed) opts.logger?.warn(failed);
  }
}
