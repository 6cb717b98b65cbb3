// A validated linux.seccomp -> the description the addon compiles with
// libseccomp (addon/node/seccomp.cc). Every name that has a number here
// becomes one; syscall names stay names, because only libseccomp knows
// their numbers on each architecture. The rules follow runc's
// libcontainer/seccomp: one rule per syscall name, rules whose action is the
// default action dropped, conditions on distinct arguments ANDed in one
// rule, and several conditions on the same argument each made a rule of its
// own (libseccomp cannot AND two conditions on one argument).
import { ACTIONS, ACTIONS_WITH_ERRNO, ARCHITECTURES, ENOSYS, EPERM, FILTER_FLAG, FLAGS, OPERATORS, type SeccompActionName } from './names';
import type { LinuxSeccomp, SeccompArg } from './profile';

export interface SeccompCondition {
  /** Argument index, 0 to 5. */
  index: number;
  /** libseccomp's enum scmp_compare. */
  op: number;
  /** 64-bit values as decimal strings (for SCMP_CMP_MASKED_EQ: the mask). */
  value: string;
  /** The datum of SCMP_CMP_MASKED_EQ; "0" for the other operators. */
  valueTwo: string;
}

export interface SeccompRule {
  syscall: string;
  /** The SECCOMP_RET_* value, data included. */
  action: number;
  conditions: SeccompCondition[];
}

export interface SeccompDescription {
  defaultAction: number;
  /** libseccomp names of the extra architectures (the native one is always in). */
  architectures: string[];
  rules: SeccompRule[];
  /**
   * runc's -ENOSYS stub: syscalls newer than every syscall the profile names
   * get ENOSYS rather than the default action, so that programs fall back
   * from syscalls this profile predates (clone3, openat2, ...).
   */
  enosysStub: boolean;
  /** Every syscall name of the profile, including dropped rules: the stub's bound per architecture. */
  stubSyscalls: string[];
  /** libseccomp's binary-tree optimisation, which runc turns on past 32 syscalls. */
  optimize: boolean;
}

export interface TranslatedSeccomp {
  description: SeccompDescription;
  /** SECCOMP_FILTER_FLAG_* for seccomp(2), NEW_LISTENER included. */
  flags: number;
  notify: boolean;
}

/** The SECCOMP_RET_* value of an action with its errno (runc's getAction). */
export function actionValue(name: string, errnoRet: number | undefined): number {
  const base = ACTIONS[name as SeccompActionName];
  if (base === undefined) throw new Error(`unknown seccomp action ${name}`);
  if (!ACTIONS_WITH_ERRNO.has(name as SeccompActionName)) return base;
  return (base | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
}

function condition(a: SeccompArg): SeccompCondition {
  const op = OPERATORS[a.op];
  if (op === undefined) throw new Error(`unknown seccomp operator ${a.op}`);
  return { index: a.index, op, value: String(a.value), valueTwo: String(a.valueTwo ?? 0) };
}

/** One rule for all conditions, or one per condition when an argument is compared twice. */
export function conditionSets(args: readonly SeccompArg[] | undefined): SeccompCondition[][] {
  const list = (args ?? []).map(condition);
  if (list.length === 0) return [[]];
  const indexes = new Set(list.map((c) => c.index));
  return indexes.size === list.length ? [list] : list.map((c) => [c]);
}

/** Allow-like default actions get no stub: a new syscall is allowed anyway (runc's isAllowAction). */
function wantsStub(profile: LinuxSeccomp): boolean {
  if (['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(profile.defaultAction)) return false;
  return profile.defaultErrnoRet !== ENOSYS;
}

export function translateSeccomp(profile: LinuxSeccomp): TranslatedSeccomp {
  const defaultAction = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const rules: SeccompRule[] = [];
  const names: string[] = [];
  let notify = false;
  for (const s of profile.syscalls ?? []) {
    const action = actionValue(s.action, s.errnoRet);
    if (s.action === 'SCMP_ACT_NOTIFY') notify = true;
    for (const syscall of s.names) {
      names.push(syscall);
      // libseccomp refuses a rule whose action is the default one.
      if (action === defaultAction) continue;
      for (const conditions of conditionSets(s.args)) rules.push({ syscall, action, conditions });
    }
  }
  let flags = 0;
  for (const f of profile.flags ?? []) flags |= FLAGS[f] ?? 0;
  if (notify) flags |= FILTER_FLAG.NEW_LISTENER;
  const stub = wantsStub(profile);
  return {
    description: {
      defaultAction,
      architectures: (profile.architectures ?? []).map((a) => {
        const name = ARCHITECTURES[a];
        if (!name) throw new Error(`unknown seccomp architecture ${a}`);
        return name;
      }),
      rules,
      enosysStub: stub,
      stubSyscalls: stub ? [...new Set(names)] : [],
      optimize: names.length > 32,
    },
    flags,
    notify,
  };
}
