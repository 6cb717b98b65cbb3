// Logging in the formats engines read: with --log-format json each line is
// {"level":"error","msg":"...","time":"..."} (containerd's shim reads the
// last one); text lines follow logrus' layout, as runc's do. An error with
// a problems list (EBADCONFIG) keeps its whole text in "msg", the summary on
// its first line, and adds "problems": [{"path": ..., "message": ...}], so
// that a program need not split "msg" to find them.
//
// Where lines go (docs/logging.md), as runc's logrus setup and its fatal():
// - without --log, everything goes to stderr: errors and warnings in plain
//   words ("runts: ...", which Podman shows verbatim), or as JSON lines with
//   --log-format json;
// - with --log, every line goes to the file only, and nothing of runts'
//   own goes to stderr, except one plain line per error: under containerd's
//   runc shim and conmon, runts' stderr is the container's stderr (a warning
//   there would land in the container's logs), but go-runc builds the errors
//   of kill, start and delete from the runtime's stderr (the shim takes a
//   kill error as "already gone" by its text), and runc prints each fatal
//   error there as well. Not for create, run and exec, whose stdio is the
//   container's: their errors go to the file only (the engines read them
//   there). A log file that cannot be written sends its line to stderr
//   instead.
import { appendFileSync } from 'node:fs';
import type { ConfigProblem } from './errors';
import { writeStderr } from './output';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface LogOptions {
  /** --log: a file to append to (stderr gets only the errors then); stderr when absent. */
  file?: string;
  format?: LogFormat;
  debug?: boolean;
  /**
   * The verb's stdio is the container's (create, run, exec under a shim or
   * conmon): with --log, errors go to the file only, as warnings do, so
   * that nothing of runts' own lands in the container's output. The engines
   * read those verbs' errors from the log file.
   */
  stdioIsContainers?: boolean;
}

/**
 * Text from outside (an id, a path, a value from config.json) is part of
 * many messages: its control characters (C0, DEL, C1) are escaped, so that it
 * can neither start a forged line in a log nor send escape sequences to a
 * terminal. The newlines runts puts between an error and its details are
 * added after this.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class Logger {
  private readonly file: string | undefined;
  private readonly format: LogFormat;
  readonly debugEnabled: boolean;
  private readonly errorsToStderr: boolean;

  /** True when lines go to a --log file, not to stderr. */
  get logsToFile(): boolean {
    return this.file !== undefined;
  }

  constructor(options: LogOptions = {}) {
    this.file = options.file;
    this.format = options.format ?? 'text';
    this.debugEnabled = options.debug ?? false;
    this.errorsToStderr = !(options.stdioIsContainers ?? false);
  }

  /** A logger that writes nothing (library default). */
  static silent(): Logger {
    return new SilentLogger();
  }

  formatLine(level: LogLevel, msg: string, problems: readonly ConfigProblem[] = []): string {
    if (this.format === 'json') {
      const listed = problems.length ? { problems: problems.map((p) => ({ path: printable(p.path), message: printable(p.message) })) } : {};
      return `${JSON.stringify({ level, msg, ...listed, time: timestamp() })}\n`;
    }
    return `time="${timestamp()}" level=${level} msg=${JSON.stringify(msg)}\n`;
  }

  protected emit(level: LogLevel, msg: string, plain: string | undefined, problems: readonly ConfigProblem[] = []): void {
    const line = this.formatLine(level, msg, problems);
    if (this.file) {
      let logged = true;
      try {
        appendFileSync(this.file, line);
      } catch {
        logged = false; // a log file that cannot be written must not hide the line
      }
      if ((level === 'error' && this.errorsToStderr) || !logged) writeStderr(plain ?? line);
    } else if (this.format === 'json') {
      writeStderr(line);
    } else if (plain !== undefined) {
      writeStderr(plain);
    } else {
      writeStderr(line);
    }
  }

  debug(msg: string): void {
    if (this.debugEnabled) this.emit('debug', msg, undefined);
  }

  warn(msg: string): void {
    const safe = printable(msg);
    this.emit('warning', safe, `runts: warning: ${safe}\n`);
  }

  /** problems: an EBADCONFIG error's list, a JSON line's "problems" (details holds their text). */
  error(msg: string, details: readonly string[] = [], problems: readonly ConfigProblem[] = []): void {
    const safe = printable(msg);
    const full = details.length ? `${safe}\n${details.map((d) => `  ${printable(d)}`).join('\n')}` : safe;
    this.emit('error', full, `runts: ${full}\n`, problems);
  }
}

class SilentLogger extends Logger {
  protected override emit(): void {}
}
