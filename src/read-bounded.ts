// Reading a file that comes from outside runts (config.json, process.json,
// a resources JSON): only a regular file, and only up to a limit. A
// config.json that is a symlink to /dev/zero would otherwise be read until
// memory runs out, and a FIFO would block create forever.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { type ErrorCode, RuntsError } from './errors';

/**
 * The largest document runts reads: 16 MiB. A runtime-spec config is a few
 * KiB; the largest seen in practice (a full seccomp profile, hundreds of
 * mounts, Kubernetes annotations) stay under 1 MiB, and Kubernetes itself
 * caps an object at 1.5 MiB (etcd's request limit), so nothing an engine
 * sends comes near this. Parsing 16 MiB costs well under a second and some
 * 100 MB of memory: a bound, not a budget. addon/common/fsutil.h has the
 * same limit for state.json (kMaxDocumentBytes).
 */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}

/**
 * A file that could not be read; `errnoName` is the errno name when a system
 * call failed (the error's code is ESYSTEM then, else the caller's code for a
 * file it refuses).
 */
export class FileReadError extends RuntsError {
  readonly errnoName: string | undefined;
  constructor(message: string, refused: ErrorCode, errnoName?: string, cause?: unknown) {
    super(message, { code: errnoName ? 'ESYSTEM' : refused, cause });
    this.name = 'FileReadError';
    this.errnoName = errnoName;
  }
}

export interface ReadBoundedOptions {
  /** What the file is, for messages ("config.json"); default: the path. */
  what?: string;
  limit?: number;
  /** The code of a file refused for its kind or size (default EBADCONFIG; EBADSTATE for runts' own state). */
  refused?: ErrorCode;
}

/**
 * Reads a regular file of at most `limit` bytes as UTF-8. The file is opened
 * with O_NONBLOCK, so that opening a FIFO returns at once, and checked with
 * fstat on the very fd that is read (no window for a swap). A file that grows
 * past the limit while being read is refused too. Errors are RuntsErrors
 * that name the file and the rule it broke; ENOENT keeps its code so callers
 * can say what to do about a missing file.
 */
export function readBoundedFile(file: string, options: ReadBoundedOptions = {}): string {
  const what = options.what ?? file;
  const limit = options.limit ?? MAX_DOCUMENT_BYTES;
  const refused = options.refused ?? 'EBADCONFIG';
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new FileReadError(`cannot read ${what}: ${err.message}`, refused, err.code, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new FileReadError(`${what} is ${kindOf(st)}, not a regular file: runts reads it only from a regular file`, refused);
    }
    if (st.size > limit) {
      throw new FileReadError(`${what} is ${mib(st.size)}, above runts' limit of ${mib(limit)} for a document it reads`, refused);
    }
    // One byte more than the limit tells a file that grew from one that fits.
    let chunk = Buffer.alloc(Math.min(limit + 1, Math.max(st.size + 1, 64 * 1024)));
    let used = 0;
    for (;;) {
      if (used === chunk.length) {
        if (chunk.length > limit) break;
        const bigger = Buffer.alloc(Math.min(limit + 1, chunk.length * 2));
        chunk.copy(bigger, 0, 0, used);
        chunk = bigger;
      }
      let n: number;
      try {
        n = readSync(fd, chunk, used, chunk.length - used, null);
      } catch (e) {
        throw new FileReadError(`cannot read ${what}: ${(e as Error).message}`, refused, (e as NodeJS.ErrnoException).code, e);
      }
      if (n === 0) break;
      used += n;
    }
    if (used > limit) {
      throw new FileReadError(`${what} is larger than runts' limit of ${mib(limit)} for a document it reads (it grew while being read)`, refused);
    }
    return chunk.toString('utf8', 0, used);
  } finally {
    closeSync(fd);
  }
}
