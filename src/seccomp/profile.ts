// linux.seccomp as config.json gives it (runtime-spec config-linux.md
// "Seccomp"), and the checks the JSON schema cannot express. Each problem
// carries its JSON path. The checks read the profile defensively, so that a
// profile the schema already faults still gets every other problem reported.
import type { ConfigProblem } from '../errors';
import { joinPath } from '../config/json-path';
import { ACTIONS, ACTIONS_WITH_ERRNO, ARCHITECTURES, flagProbeBit, FLAGS, NOTIFY_FORBIDDEN, OPERATORS } from './names';

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface LinuxSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompSyscall[];
}

/** What the host can do, for the checks that depend on it. */
export interface SeccompHost {
  /** SECCOMP_FILTER_FLAG_* bits this kernel accepts; undefined: not probed (unit tests). */
  supportedFlags?: number;
  /** libseccomp names of the architectures this libseccomp knows; undefined: all. */
  knownArchitectures?: ReadonlySet<string>;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The largest value a 16-bit SECCOMP_RET_DATA can carry. */
const MAX_RET_DATA = 0xffff;
/** struct sockaddr_un.sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;

class Problems {
  readonly list: ConfigProblem[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function checkAction(p: Problems, path: string, action: unknown): string | undefined {
  if (typeof action !== 'string') return undefined;
  if (!(action in ACTIONS)) {
    p.add(path, `unknown seccomp action "${action}" (known: ${Object.keys(ACTIONS).join(', ')})`);
    return undefined;
  }
  return action;
}

function checkErrno(p: Problems, path: string, action: string | undefined, errno: unknown): void {
  if (errno === undefined) return;
  if (!isUint(errno)) return; // the schema reports the type
  if (action && !ACTIONS_WITH_ERRNO.has(action as never)) {
    p.add(path, `is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not with ${action}`);
  } else if (errno > MAX_RET_DATA) {
    p.add(path, `${errno} does not fit in the 16 bits seccomp returns (at most ${MAX_RET_DATA})`);
  }
}

function checkArgs(p: Problems, path: string, args: unknown): void {
  arr(args).forEach((raw, j) => {
    const a = obj(raw);
    const ap = joinPath(path, j);
    if (!a) return;
    if (isUint(a.index) && a.index > 5) p.add(joinPath(ap, 'index'), `${a.index} is not an argument index: a syscall has arguments 0 to 5`);
    if (typeof a.op === 'string' && !(a.op in OPERATORS)) {
      p.add(joinPath(ap, 'op'), `unknown seccomp operator "${a.op}" (known: ${Object.keys(OPERATORS).join(', ')})`);
    }
    for (const key of ['value', 'valueTwo'] as const) {
      const v = a[key];
      if (typeof v === 'number' && (!Number.isSafeInteger(v) || v < 0)) {
        p.add(joinPath(ap, key), `${v} is not an unsigned integer that JSON numbers carry exactly (0 to 2^53-1)`);
      }
    }
  });
}

function checkSyscalls(p: Problems, syscalls: unknown): boolean {
  let notify = false;
  arr(syscalls).forEach((raw, i) => {
    const s = obj(raw);
    const sp = joinPath('linux.seccomp.syscalls', i);
    if (!s) return;
    const action = checkAction(p, joinPath(sp, 'action'), s.action);
    checkErrno(p, joinPath(sp, 'errnoRet'), action, s.errnoRet);
    const names = arr(s.names);
    if (Array.isArray(s.names) && names.length === 0) p.add(joinPath(sp, 'names'), 'must name at least one syscall');
    names.forEach((n, k) => {
      if (n === '') p.add(joinPath(joinPath(sp, 'names'), k), 'is empty: a syscall name is required');
    });
    if (action === 'SCMP_ACT_NOTIFY') {
      notify = true;
      for (const n of names) {
        if (typeof n === 'string' && NOTIFY_FORBIDDEN.has(n)) {
          p.add(joinPath(sp, 'names'), `SCMP_ACT_NOTIFY cannot be used for "${n}": runts-init needs it to hand the listener fd to the runtime`);
        }
      }
    }
    checkArgs(p, joinPath(sp, 'args'), s.args);
  });
  return notify;
}

function checkFlags(p: Problems, flags: unknown, notify: boolean, host: SeccompHost): void {
  arr(flags).forEach((f, i) => {
    const fp = joinPath('linux.seccomp.flags', i);
    if (typeof f !== 'string') return;
    if (!(f in FLAGS)) {
      p.add(fp, `unknown seccomp flag "${f}" (known: ${Object.keys(FLAGS).join(', ')})`);
      return;
    }
    if (f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && !notify) {
      p.add(fp, 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only applies to a filter with an SCMP_ACT_NOTIFY rule');
    }
    const bit = flagProbeBit(f);
    if (host.supportedFlags !== undefined && bit && !(host.supportedFlags & bit)) {
      p.add(fp, `${f} is not supported by this kernel`);
    }
  });
}

/** Every problem of linux.seccomp (raw, as read from config.json). */
export function seccompProblems(raw: unknown, host: SeccompHost = {}): { problems: ConfigProblem[]; warnings: string[] } {
  const p = new Problems();
  const warnings: string[] = [];
  const s = obj(raw);
  if (!s) return { problems: p.list, warnings };
  const defaultAction = checkAction(p, 'linux.seccomp.defaultAction', s.defaultAction);
  if (defaultAction === 'SCMP_ACT_NOTIFY') {
    // As runc: every syscall of runts-init after the load would wait for an
    // agent that has not received the listener fd yet.
    p.add('linux.seccomp.defaultAction', 'SCMP_ACT_NOTIFY cannot be the default action');
  }
  checkErrno(p, 'linux.seccomp.defaultErrnoRet', defaultAction, s.defaultErrnoRet);
  arr(s.architectures).forEach((a, i) => {
    if (typeof a !== 'string') return;
    const ap = joinPath('linux.seccomp.architectures', i);
    const name = ARCHITECTURES[a];
    if (!name) p.add(ap, `unknown seccomp architecture "${a}" (known: ${Object.keys(ARCHITECTURES).join(', ')})`);
    else if (host.knownArchitectures && !host.knownArchitectures.has(name)) p.add(ap, `${a} is not supported by this libseccomp`);
  });
  const notify = checkSyscalls(p, s.syscalls);
  checkFlags(p, s.flags, notify, host);
  const listenerPath = typeof s.listenerPath === 'string' ? s.listenerPath : undefined;
  if (notify && !listenerPath) {
    p.add('linux.seccomp.listenerPath', 'is required when a rule uses SCMP_ACT_NOTIFY: the listener fd is sent to the agent listening there');
  }
  if (listenerPath !== undefined) {
    if (!listenerPath.startsWith('/')) p.add('linux.seccomp.listenerPath', `must be an absolute path (got "${listenerPath}")`);
    else if (Buffer.byteLength(listenerPath) > MAX_SOCKET_PATH) {
      p.add('linux.seccomp.listenerPath', `is longer than the ${MAX_SOCKET_PATH} bytes a unix socket path can have`);
    }
    if (!notify) warnings.push('linux.seccomp.listenerPath is ignored: no rule uses SCMP_ACT_NOTIFY');
  }
  return { problems: p.list, warnings };
}
