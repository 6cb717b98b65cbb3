// Config fuzzing shared by the unit fuzzer (test/unit/fuzz-config.test.ts)
// and the create fuzzer (test/security/fuzz-create.test.ts): strange values,
// mutations of a config, the crashes already known, and the words that mean
// an internal error leaked out.
import fc from 'fast-check';
import type { OciConfig } from '../../src/config/types';

/** Messages that mean an internal error leaked out instead of a config problem. */
export const INTERNAL = /TypeError|RangeError|ReferenceError|SyntaxError|Cannot read propert|Cannot convert|Cannot create property|is not a function|is not iterable|undefined is not|null is not|Maximum call stack|internal error|argument must be of type|ERR_[A-Z_]+|\bat \S+ \(.*:\d+:\d+\)|\n\s+at /;

// Crashes this fuzzer found, reported for fixing, each with a reproducer in
// the skipped "pending" describe below. Inputs that hit them are left out
// here so that the properties keep looking for new ones.
export const OBJECT_PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
export function knownBug(_config: unknown): string | undefined {
  // K1-K3 are fixed (see the "crashes the fuzzer found" tests); none is known now.
  return undefined;
}

export const weirdString = fc.oneof(
  fc.constantFrom('', '/', '.', '..', '../../..', '/proc', '/proc/self/fd/7', '/dev/null', 'a\0b', '\0', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'RLIMIT_NOFILE', 'CAP_SYS_ADMIN', 'ALL', 'net.ipv4.ip_forward', 'net/../../etc/passwd', 'bind', 'rbind', 'ro', 'tmpfs', 'user', 'pid', 'mount', '1.0.0', '2.0.0', '1.3.0-rc.1', 'machine.slice:libpod:x', 'ünïcödé', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\u202e\u200b', '%s%n', '${x}', '\n', 'x'.repeat(5000)),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

export const weirdNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 0.5, -0.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 18446744073709551615, -(2 ** 63), 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 5e-324),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

export const weirdScalar = fc.oneof(weirdString, weirdNumber, fc.boolean(), fc.constant(null));

export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  weirdScalar,
  fc.array(weirdScalar, { maxLength: 4 }),
  fc.dictionary(weirdString, weirdScalar, { maxKeys: 4 }),
  fc.constant({}),
  fc.constant([]),
);

export const weirdKey = fc.oneof(weirdString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toJSON', 'length', '0', '-1'));

export interface Mutation {
  kind: 'delete' | 'set' | 'add' | 'retype' | 'perturb';
  target: number;
  key: string;
  value: unknown;
  str?: string;
  num?: number;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'set', 'add', 'retype', 'perturb', 'perturb'),
  target: fc.nat(),
  key: weirdKey,
  value: weirdValue,
  str: weirdString,
  num: weirdNumber,
});

/** Every container (object or array) in a document, with its parent links. */
export function containers(doc: unknown): (Record<string, unknown> | unknown[])[] {
  const out: (Record<string, unknown> | unknown[])[] = [];
  const walk = (v: unknown): void => {
    if (v && typeof v === 'object') {
      out.push(v as Record<string, unknown> | unknown[]);
      for (const child of Object.values(v)) walk(child);
    }
  };
  walk(doc);
  return out;
}

/** An own property, as JSON.parse makes it, even for "__proto__". */
export function put(obj: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A fresh copy, keeping NaN, Infinity and undefined (unlike a JSON round trip). */
export function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) put(out, k, clone(x));
    return out;
  }
  return v;
}

export function retype(v: unknown): unknown {
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 1 : 'false';
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  if (v && typeof v === 'object') return Object.values(v);
  return v === null ? {} : null;
}

export function mutate(base: OciConfig, muts: readonly Mutation[]): unknown {
  const doc = JSON.parse(JSON.stringify(base)) as unknown;
  for (const m of muts) {
    const all = containers(doc);
    const c = all[m.target % all.length]!;
    const keys = Array.isArray(c) ? c.map((_, i) => i) : Object.keys(c);
    const existing = keys.length ? keys[m.target % keys.length]! : undefined;
    switch (m.kind) {
      case 'delete':
        if (existing === undefined) break;
        if (Array.isArray(c)) c.splice(Number(existing), 1);
        else delete c[existing];
        break;
      case 'set':
        if (existing !== undefined) put(c, existing, clone(m.value));
        break;
      case 'add':
        if (Array.isArray(c)) c.push(clone(m.value));
        else put(c, m.key, clone(m.value));
        break;
      case 'retype':
        if (existing !== undefined) put(c, existing, retype((c as Record<string, unknown>)[existing]));
        break;
      case 'perturb': {
        // Same type, strange value: these keep the schema happy more often,
        // so they reach the semantic checks and the planner.
        if (existing === undefined) break;
        const old = (c as Record<string, unknown>)[existing];
        if (typeof old === 'string') put(c, existing, m.str ?? '');
        else if (typeof old === 'number') put(c, existing, m.num ?? 0);
        else if (Array.isArray(old) && old.length) old.push(clone(old[m.target % old.length]));
        else if (typeof old === 'boolean') put(c, existing, !old);
        break;
      }
    }
  }
  return doc;
}
