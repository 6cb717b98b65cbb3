// Checks of config.json that only an attack or a mistake fails: a NUL byte
// in a string (every string of a config ends up in a system call, a file or
// the state record, and C cuts a string at its first NUL: "/tmp\u0000/../etc"
// would be checked as one path and used as another), and nesting deeper than
// any runtime-spec document has (the checks that follow must not recurse
// without bound).
import type { ConfigProblem } from '../errors';
import { joinPath } from './json-path';

/** No field of the runtime-spec nests deeper than about 8 levels. */
export const MAX_CONFIG_DEPTH = 64;

const NUL_MESSAGE = 'contains a NUL byte (\\u0000): no system call can take it; remove it';

export interface HostileResult {
  problems: ConfigProblem[];
  /** Nesting beyond MAX_CONFIG_DEPTH: the document must not be walked further. */
  tooDeep: boolean;
}

/** Walks the whole document without recursion. */
export function hostileProblems(config: unknown): HostileResult {
  const problems: ConfigProblem[] = [];
  let tooDeep = false;
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: config, path: '', depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\0')) problems.push({ path, message: NUL_MESSAGE });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_CONFIG_DEPTH) {
      if (!tooDeep) problems.push({ path, message: `nests deeper than ${MAX_CONFIG_DEPTH} levels: no runtime-spec configuration does` });
      tooDeep = true;
      continue;
    }
    const children: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    // Reversed onto the stack, so problems come out in document order.
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i]!;
      if (typeof key === 'string' && key.includes('\0')) {
        problems.push({ path: joinPath(path, key), message: `the key ${NUL_MESSAGE}` });
      }
      stack.push({ value: child, path: joinPath(path, key), depth: depth + 1 });
    }
  }
  return { problems, tooDeep };
}
