// Errors users see. Every error says what failed and where (a JSON path, a
// mount destination, a cgroup file) and, where it can, what to do.

/** One problem in config.json, reported with its JSON path. */
export interface ConfigProblem {
  /** JSON path in config.json, e.g. "process.args[0]" ("" for the whole document). */
  path: string;
  message: string;
}

export class RuntsError extends Error {
  /** Process exit code for the CLI (runc uses 1 for every runtime error). */
  readonly exitCode: number;
  /** Extra lines shown under the message. */
  readonly details: readonly string[];

  constructor(message: string, options: { exitCode?: number; details?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RuntsError';
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details ?? [];
  }
}

/** config.json failed validation: every problem is listed, none was acted on. */
export class ConfigError extends RuntsError {
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[]) {
    const n = problems.length;
    super(`invalid ${file}: ${n} problem${n === 1 ? '' : 's'} found, nothing was created`, {
      details: problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)),
    });
    this.name = 'ConfigError';
    this.problems = problems;
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

/** Wraps a native failure, prefixing what runts was doing. */
export function fromNative(e: unknown, doing?: string): RuntsError {
  if (e instanceof RuntsError) return e;
  if (isNativeFailure(e)) {
    const message = doing ? `${doing}: ${e.message}` : e.message;
    return new RuntsError(message, { exitCode: e.exitCode > 0 ? e.exitCode : 1, cause: e });
  }
  const text = e instanceof Error ? e.message : String(e);
  return new RuntsError(doing ? `${doing}: ${text}` : text, { cause: e });
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
