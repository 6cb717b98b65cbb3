// Errors users see. Every error says what failed and where (a JSON path, a
// mount destination, a cgroup file) and, where it can, what to do.

/** One problem in config.json, reported with its JSON path. */
export interface ConfigProblem {
  /** JSON path in config.json, e.g. "process.args[0]" ("" for the whole document). */
  path: string;
  message: string;
}

/**
 * What kind of failure a {@link RuntsError} is: stable, for programs to tell
 * errors apart without reading their messages (the messages are for people
 * and may be reworded). The README's "Error codes" table says what to do
 * about each.
 */
export type ErrorCode =
  /** The container does not exist (no state directory under the root). */
  | 'ENOTFOUND'
  /** Something to be created exists already: a container with that id, the config.json `spec` would write. */
  | 'EEXISTS'
  /** The container is still being created (or its create was interrupted): it has no state yet. */
  | 'ECREATING'
  /** start needs a created container: this one is running or has stopped. */
  | 'ENOTCREATED'
  /** The verb needs a stopped container (delete without force): this one is running or paused. */
  | 'ENOTSTOPPED'
  /** The verb needs a live container (kill, pause, exec, update, events): this one has stopped. */
  | 'ENOTRUNNING'
  /** The container is paused and the verb does not act on a paused container (start, exec without --ignore-paused). */
  | 'EPAUSED'
  /** resume of a container that is not paused. */
  | 'ENOTPAUSED'
  /** config.json, process.json or the resources given are invalid, or process.args[0] cannot be run: `problems` lists each, with its JSON path. */
  | 'EBADCONFIG'
  /** The container's state (state.json, exec.json, the hook record) is damaged: `runts delete --force` removes it. */
  | 'EBADSTATE'
  /** runts does not do what was asked (systemd cgroups, rootless, a missing cgroup controller, a host without a freezer). */
  | 'EUNSUPPORTED'
  /** A system call failed: `system` has the step, the path and the errno where the native side gives them. */
  | 'ESYSTEM'
  /** The call itself is wrong: an invalid id, an unknown signal, flags that do not go together. */
  | 'EUSAGE'
  /** A hook failed (prestart, createRuntime, createContainer, startContainer) or the container did not start because of one. */
  | 'EHOOK'
  /** A bug in runts, or a failure it has no better word for. */
  | 'EINTERNAL';

/** Every {@link ErrorCode}, for checks and documentation. */
export const ERROR_CODES: readonly ErrorCode[] = [
  'ENOTFOUND', 'EEXISTS', 'ECREATING', 'ENOTCREATED', 'ENOTSTOPPED', 'ENOTRUNNING', 'EPAUSED', 'ENOTPAUSED',
  'EBADCONFIG', 'EBADSTATE', 'EUNSUPPORTED', 'ESYSTEM', 'EUSAGE', 'EHOOK', 'EINTERNAL',
];

/** The system call behind an ESYSTEM error, as the native side reports it. */
export interface SystemFailure {
  /** What runts was doing, e.g. "open exec fifo", "freeze cgroup". */
  step: string;
  /** The file, cgroup or mount it concerns ("" when none). */
  path: string;
  /** errno (0 when not known). */
  errno: number;
  /** errno's name, e.g. "EBUSY" ("" when not known). */
  errnoName: string;
}

export interface RuntsErrorOptions {
  /** What kind of failure (default EINTERNAL). */
  code?: ErrorCode;
  exitCode?: number;
  details?: readonly string[];
  /** The structured problems of an EBADCONFIG error. */
  problems?: readonly ConfigProblem[];
  /** The system call of an ESYSTEM error. */
  system?: SystemFailure;
  cause?: unknown;
}

export class RuntsError extends Error {
  /** What kind of failure, stable across releases (see {@link ErrorCode}). */
  readonly code: ErrorCode;
  /** Process exit code for the CLI (runc uses 1 for every runtime error). */
  readonly exitCode: number;
  /** Extra lines shown under the message. */
  readonly details: readonly string[];
  /** EBADCONFIG: each problem with its JSON path ([] for other codes). */
  readonly problems: readonly ConfigProblem[];
  /** ESYSTEM: the failed system call, where the native side names it. */
  readonly system: SystemFailure | undefined;

  constructor(message: string, options: RuntsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RuntsError';
    this.code = options.code ?? 'EINTERNAL';
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details ?? [];
    this.problems = options.problems ?? [];
    this.system = options.system;
  }
}

/** The detail lines of a problems list: "path: message". */
export function problemLines(problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
}

/** config.json failed validation: every problem is listed, none was acted on. */
export class ConfigError extends RuntsError {
  constructor(file: string, problems: readonly ConfigProblem[]) {
    const n = problems.length;
    super(`invalid ${file}: ${n} problem${n === 1 ? '' : 's'} found, nothing was created`, {
      code: 'EBADCONFIG',
      details: problemLines(problems),
      problems,
    });
    this.name = 'ConfigError';
  }
}

/** Shape of the errors thrown by the native addon (addon/node/module.cc). */
export interface NativeFailure extends Error {
  native: true;
  step: string;
  path: string;
  errno: number;
  code: string;
  exitCode: number;
}

export function isNativeFailure(e: unknown): e is NativeFailure {
  return e instanceof Error && (e as Partial<NativeFailure>).native === true;
}

/**
 * The native verbs' plain failures (addon/common/verbs.cc, container.cc,
 * events.cc), by the words they are built from: those words are runc's and
 * are a contract already (engines match them, test/integration/errors.test.ts
 * pins them), so matching them here is as stable as a kind field would be.
 * First match wins: "does not exist" before the status words.
 */
/** runts-init's words (runc's) for a process.args[0] it cannot run: missing, not executable. */
const EXEC_FAILURE = /^exec: "(?:[^"\\]|\\.)*": /s;

const NATIVE_KINDS: readonly (readonly [RegExp, ErrorCode])[] = [
  [/^state file .* is damaged: /, 'EBADSTATE'],
  [/^container ".*" does not exist$/s, 'ENOTFOUND'],
  [/ has no state yet: it is being created/, 'ECREATING'],
  [/^container ".*" is still being created$/s, 'ECREATING'],
  [/^cannot start an already running container /, 'ENOTCREATED'],
  [/^cannot start a container that has stopped: /, 'ENOTCREATED'],
  [/^container ".*" cannot be started: its init process exited before start$/s, 'ENOTCREATED'],
  [/^cannot start a container in the paused state: /, 'EPAUSED'],
  [/^container not running: ".*" is paused already /s, 'EPAUSED'],
  [/^container not running: /, 'ENOTRUNNING'],
  [/^container with id .* is not running$/s, 'ENOTRUNNING'],
  [/^container process already exited: /, 'ENOTRUNNING'],
  [/^container not paused: /, 'ENOTPAUSED'],
  [/^cannot delete container ".*" that is not stopped: /s, 'ENOTSTOPPED'],
  [/^container id must not be empty$|^container id is longer than |^invalid container id /, 'EUSAGE'],
  [/^unknown signal /, 'EUSAGE'],
  [/^invalid value .* for --interval: |^duration interval must be greater than 0$/s, 'EUSAGE'],
  [/has no cgroup to list its processes|has no freezer cgroup|has no memory cgroup|has no memory controller/, 'EUNSUPPORTED'],
  [/hook hooks\.[A-Za-z]+\[\d+\] \(/, 'EHOOK'],
  [EXEC_FAILURE, 'EBADCONFIG'],
  [/^(seccomp|launch plan|runts-init|runtime sent)/, 'EINTERNAL'],
];

/** The code of a native failure: ESYSTEM for a system call's, else by its words. */
export function nativeCode(e: NativeFailure): ErrorCode {
  if (e.errno > 0) return 'ESYSTEM';
  for (const [re, code] of NATIVE_KINDS) if (re.test(e.message)) return code;
  return 'EINTERNAL';
}

/** Wraps a native failure, prefixing what runts was doing. */
export function fromNative(e: unknown, doing?: string): RuntsError {
  if (e instanceof RuntsError) return e;
  if (isNativeFailure(e)) {
    const message = doing ? `${doing}: ${e.message}` : e.message;
    const code = nativeCode(e);
    return new RuntsError(message, {
      code,
      exitCode: e.exitCode > 0 ? e.exitCode : 1,
      cause: e,
      ...(code === 'ESYSTEM' ? { system: { step: e.step, path: e.path, errno: e.errno, errnoName: e.code } } : {}),
      ...(code === 'EBADCONFIG' ? { problems: [{ path: 'process.args[0]', message: e.message }] } : {}),
    });
  }
  const text = e instanceof Error ? e.message : String(e);
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  // A Node fs call's error (ENOENT, EACCES...) is a failed system call too.
  const code: ErrorCode = typeof errno === 'string' && /^E[A-Z0-9]+$/.test(errno) ? 'ESYSTEM' : 'EINTERNAL';
  return new RuntsError(doing ? `${doing}: ${text}` : text, { code, cause: e });
}

// strerror(3)'s words, as the native side prints them.
const STRERROR: Readonly<Record<string, string>> = {
  EINVAL: 'Invalid argument',
  EBUSY: 'Device or resource busy',
  ENOENT: 'No such file or directory',
  EPERM: 'Operation not permitted',
  EACCES: 'Permission denied',
  ENOSPC: 'No space left on device',
  EOPNOTSUPP: 'Operation not supported',
  ENOTSUP: 'Operation not supported',
  ERANGE: 'Numerical result out of range',
  ENODEV: 'No such device',
  EROFS: 'Read-only file system',
  ENXIO: 'No such device or address',
  EAGAIN: 'Resource temporarily unavailable',
  ELOOP: 'Too many levels of symbolic links',
};

export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code && Object.hasOwn(STRERROR, code)) return STRERROR[code]!;
  return err instanceof Error ? err.message : String(e);
}
