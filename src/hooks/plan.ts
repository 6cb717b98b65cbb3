// OCI hooks, planned: each hook of config.json resolved to exactly what is
// executed (argv, envp, timeout in ms), and who runs it where
// (docs/hooks.md):
//   prestart, createRuntime   the runtime (TypeScript), at the init's
//                             "createRuntime" stop, in the runtime's namespaces
//   createContainer           runts-init, in the container's namespaces, before pivot_root
//   startContainer            runts-init, after `start`, just before execve
//   poststart                 `start` (Node), after the process started
//   poststop                  `delete` (Node), after the container is removed
// Pure functions: the unit tests check them without root.
import type { Hook, OciConfig } from '../config/types';
import type { PlanHook, PlanHooks } from '../plan/types';

export const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookKind = (typeof HOOK_KINDS)[number];

/** A hook as it is executed; the same shape the init reads (PlanHook). */
export interface ResolvedHook extends PlanHook {
  kind: HookKind;
}

export type ResolvedHooks = Record<HookKind, ResolvedHook[]>;

/** The stop where the runtime runs prestart and createRuntime hooks (and sends the init its hook states). */
export const CREATE_RUNTIME_STAGE = 'createRuntime';

/**
 * The runtime's own environment as envp, for the runtime-namespace hooks
 * without `env`: runc and crun give such hooks their own environment (Go's
 * exec.Cmd with a nil Env, crun's environ).
 */
export function environmentOf(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([k, v]) => `${k}=${v}`);
}

/** The kinds runts-init runs, inside the container. */
const INIT_KINDS: ReadonlySet<HookKind> = new Set(['createContainer', 'startContainer']);

function resolveOne(kind: HookKind, index: number, hook: Hook, defaultEnv: string[]): ResolvedHook {
  return {
    kind,
    index,
    path: hook.path,
    // execv's argv: args[0] is argv[0]. Without args, argv is [path] (as
    // Go's exec.Cmd, which runc uses, does for an empty Args).
    args: hook.args && hook.args.length ? [...hook.args] : [hook.path],
    env: hook.env ? [...hook.env] : defaultEnv,
    timeoutMs: hook.timeout && hook.timeout > 0 ? hook.timeout * 1000 : 0,
  };
}

/**
 * Without `env`, a hook of the runtime's namespaces gets the runtime's
 * environment; one runts-init runs in the container gets the container
 * process's (process.env): runc's and crun's inits have set their
 * environment to it by then, and the runtime's own must not leak into the
 * container.
 */
export function resolveHooks(config: OciConfig, env: NodeJS.ProcessEnv): ResolvedHooks {
  const runtimeEnv = environmentOf(env);
  const processEnv = config.process?.env ?? [];
  const out = {} as ResolvedHooks;
  for (const kind of HOOK_KINDS) {
    const defaultEnv = INIT_KINDS.has(kind) ? processEnv : runtimeEnv;
    out[kind] = (config.hooks?.[kind] ?? []).map((h, i) => resolveOne(kind, i, h, defaultEnv));
  }
  return out;
}

function planHook(h: ResolvedHook): PlanHook {
  return { kind: h.kind, index: h.index, path: h.path, args: h.args, env: h.env, timeoutMs: h.timeoutMs };
}

/**
 * What the init needs: the createRuntime stop whenever a create- or
 * start-time hook exists (the runtime's hooks run there, and the reply
 * carries the state the init's own hooks read, with the pid as the host sees
 * it), and the hooks it runs itself. null: no stop, nothing to run.
 */
export function planHooks(hooks: ResolvedHooks): PlanHooks | null {
  const stop = hooks.prestart.length + hooks.createRuntime.length + hooks.createContainer.length + hooks.startContainer.length > 0;
  if (!stop) return null;
  return { stops: [CREATE_RUNTIME_STAGE], createContainer: hooks.createContainer.map(planHook), startContainer: hooks.startContainer.map(planHook) };
}

/**
 * The verbs the native launcher must hand to Node for this container
 * (runts.needsNodeFor): `start` when it has to wait for the
 * startContainer hooks' outcome or run poststart hooks, `delete` for
 * poststop hooks.
 */
export function verbsNeedingNode(hooks: ResolvedHooks): string[] {
  const verbs: string[] = [];
  if (hooks.startContainer.length || hooks.poststart.length) verbs.push('start');
  if (hooks.poststop.length) verbs.push('delete');
  return verbs;
}

/**
 * How long launch() waits for each message of the init: the usual 60 s, plus
 * the createContainer hooks' timeouts (they run in the init while the
 * runtime waits); -1 (no limit) when one of them has none, since such a
 * hook may run as long as it likes, as with runc.
 */
export function launchTimeoutMs(hooks: ResolvedHooks, base = 60_000): number {
  let total = base;
  for (const h of hooks.createContainer) {
    if (h.timeoutMs === 0) return -1;
    total += h.timeoutMs;
  }
  // The addon takes a C int.
  return Math.min(total, 2 ** 31 - 1);
}

/** The runtime-spec state a hook reads on stdin (runtime.md "State"). */
export interface HookState {
  ociVersion: string;
  id: string;
  status: string;
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export type HookStateBase = Omit<HookState, 'status' | 'pid'>;

export function hookStateBase(config: OciConfig, id: string, bundle: string): HookStateBase {
  const annotations = config.annotations && Object.keys(config.annotations).length ? { annotations: config.annotations } : {};
  return { ociVersion: config.ociVersion, id, bundle, ...annotations };
}

/** The state as JSON text, its members in the spec's order. */
export function hookState(base: HookStateBase, status: string, pid: number): string {
  const state: HookState = { ociVersion: base.ociVersion, id: base.id, status, pid, bundle: base.bundle };
  if (base.annotations) state.annotations = base.annotations;
  return JSON.stringify(state);
}

/** The longest timeout runts can keep in milliseconds (a C int): ~24.8 days. */
export const MAX_HOOK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * What the schema cannot say about hooks (it checks an absolute path and a
 * timeout of at least 1): written defensively, for a document the schema
 * may have refused.
 */
export function hookProblems(hooks: unknown): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (typeof hooks !== 'object' || hooks === null) return problems;
  for (const kind of HOOK_KINDS) {
    const list = (hooks as Record<string, unknown>)[kind];
    if (!Array.isArray(list)) continue;
    list.forEach((h: unknown, i) => {
      const timeout = typeof h === 'object' && h !== null ? (h as { timeout?: unknown }).timeout : undefined;
      if (typeof timeout === 'number' && timeout > MAX_HOOK_TIMEOUT_SECONDS) {
        problems.push({ path: `hooks.${kind}[${i}].timeout`, message: `must be at most ${MAX_HOOK_TIMEOUT_SECONDS} seconds` });
      }
    });
  }
  return problems;
}

/**
 * Whether `start` waits for the init to reach execve (start.fifo): with
 * startContainer hooks, to report their failure; with poststart hooks, so
 * that they run once the user's program really is executing.
 */
export function startReported(hooks: ResolvedHooks): boolean {
  return hooks.startContainer.length > 0 || hooks.poststart.length > 0;
}
