// The launch plan's contract: the one description of every field the
// TypeScript planner writes and runts-init reads (addon/init/plan.cc).
//
// Two checks keep the two sides to it:
//  - at compile time, the LaunchPlan type of src/plan/types.ts must be
//    exactly the type this description infers (planMatchesContract below);
//  - in the unit tests, plans built by the planner go through the C++ reader,
//    and mutations derived from this description (a field removed, a field
//    added, a value of the wrong type) must each be refused by it
//    (test/unit/plan-contract.test.ts). The C++ reader refuses any missing
//    or unknown field, so a field one side has and the other lacks fails.
import type { LaunchPlan } from './types';

export type Field =
  | { readonly kind: 'string' }
  | { readonly kind: 'int' }
  | { readonly kind: 'uint64' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'literal'; readonly value: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'array'; readonly of: Field }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Field>> }
  | { readonly kind: 'nullable'; readonly of: Field };

/** A JSON string. */
export const str = { kind: 'string' } as const;
/** A JSON number that is an integer (flags, ids, counts). */
export const int = { kind: 'int' } as const;
/** A 64-bit unsigned quantity as a decimal string (JSON numbers lose precision past 2^53). */
export const uint64 = { kind: 'uint64' } as const;
export const bool = { kind: 'bool' } as const;
export const literal = <const V extends number>(value: V) => ({ kind: 'literal', value }) as const;
export const oneOf = <const V extends readonly string[]>(...values: V) => ({ kind: 'enum', values }) as const;
export const array = <F extends Field>(of: F) => ({ kind: 'array', of }) as const;
export const object = <F extends Record<string, Field>>(fields: F) => ({ kind: 'object', fields }) as const;
export const nullable = <F extends Field>(of: F) => ({ kind: 'nullable', of }) as const;

/** The TypeScript type a description stands for. */
export type Infer<F> = F extends { kind: 'string' | 'uint64' }
  ? string
  : F extends { kind: 'int' }
    ? number
    : F extends { kind: 'bool' }
      ? boolean
      : F extends { kind: 'literal'; value: infer V }
        ? V
        : F extends { kind: 'enum'; values: readonly (infer V)[] }
          ? V
          : F extends { kind: 'array'; of: infer E }
            ? Infer<E>[]
            : F extends { kind: 'nullable'; of: infer E }
              ? Infer<E> | null
              : F extends { kind: 'object'; fields: infer O }
                ? { -readonly [K in keyof O]: Infer<O[K]> }
                : never;

const mount = object({
  kind: oneOf('bind', 'fs', 'cgroup1'),
  destination: str,
  source: str,
  type: str,
  flags: int,
  data: str,
  remount: bool,
  remountFlags: int,
  propagation: array(int),
  recAttrSet: int,
  recAttrClr: int,
  sourceIsDir: bool,
  mayCoverProcfs: bool,
  needsPlainDirectory: bool,
  cgroupBinds: array(object({ source: str, name: str })),
  cgroupLinks: array(object({ name: str, target: str })),
});

const device = object({
  path: str,
  type: oneOf('c', 'b', 'u', 'p'),
  major: int,
  minor: int,
  mode: int,
  uid: int,
  gid: int,
});

const process = object({
  args: array(str),
  env: array(str),
  cwd: str,
  path: str,
  uid: int,
  gid: int,
  additionalGids: array(int),
  setGroups: bool,
  umask: nullable(int),
  rlimits: array(object({ name: str, resource: int, soft: uint64, hard: uint64 })),
  capabilities: object({ bounding: uint64, effective: uint64, permitted: uint64, inheritable: uint64, ambient: uint64 }),
  noNewPrivileges: bool,
  oomScoreAdj: nullable(int),
  terminal: bool,
  consoleSize: nullable(object({ rows: int, cols: int })),
  preserveFds: int,
  newKeyring: bool,
});

export const LAUNCH_PLAN = object({
  version: literal(1),
  id: str,
  cloneFlags: int,
  joins: array(object({ flag: int, path: str })),
  timeOffsets: str,
  rootfs: nullable(object({ path: str, noPivot: bool, propagation: int, rootfsPropagation: int, readonly: bool })),
  mounts: array(mount),
  setupDev: bool,
  devices: array(device),
  maskedPaths: array(str),
  readonlyPaths: array(str),
  sysctls: array(object({ key: str, path: str, value: str })),
  hostname: nullable(str),
  domainname: nullable(str),
  forceSafeWalk: bool,
  process,
});

// Compile-time proof that src/plan/types.ts and this description agree.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const planMatchesContract: Equal<LaunchPlan, Infer<typeof LAUNCH_PLAN>> = true;
void planMatchesContract;
