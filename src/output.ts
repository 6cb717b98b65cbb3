// Writes to stdout/stderr with writeSync on the raw fds. process.stdout and
// process.stderr are never touched: creating those streams can switch a
// shared pipe or tty to non-blocking mode, and the container inherits the
// very same file descriptions.
//
// A write that fails is dropped, whatever the reason: an engine may hand
// runts a stdout or stderr it cannot write (containerd's shim gives every
// container without I/O, so every Kubernetes pod sandbox, /dev/null opened
// read-only: EBADF), a closed pipe (EPIPE) or a full disk. runc ignores
// those writes' errors too; none of them may abort a verb half-way.
import { writeSync } from 'node:fs';

/** Writes all of text to fd; false when the fd refused it (the rest is dropped). */
function writeAll(fd: number, text: string): boolean {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      return false;
    }
  }
  return true;
}

export function writeStdout(text: string): boolean {
  return writeAll(1, text);
}

export function writeStderr(text: string): boolean {
  return writeAll(2, text);
}
