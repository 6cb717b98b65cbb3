// Schema validation of config.json with the validators generated from
// schemas/ at build time (no schema is compiled at run time). Every problem
// is reported, in words, with its JSON path.
import type { ErrorObject } from 'ajv';
import type { ConfigProblem } from '../errors';
import { validateConfig } from '../generated/config-validator.cjs';
import { joinPath, pointerToPath } from './json-path';

const PATTERN_MEANINGS: Record<string, string> = {
  '^/': 'an absolute path',
  '^RLIMIT_[A-Z]+$': 'an rlimit name such as RLIMIT_NOFILE',
  '^[rwm]*$': 'a combination of r, w and m',
  '^[1-9][0-9]*[KMG]B$': 'a page size such as 2MB',
  '^[0-9, -]*$': 'a CPU list such as 0-3,7',
  '^MB:': 'a schema starting with "MB:"',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return `${typeof value} ${String(value)}`;
}

function article(type: string): string {
  if (type === 'integer') return 'an integer';
  if (type === 'array' || type === 'object') return `an ${type}`;
  return `a ${type}`;
}

function formatError(e: ErrorObject): ConfigProblem | undefined {
  const path = pointerToPath(e.instancePath);
  const got = `(got ${describeValue(e.data)})`;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: joinPath(path, String(params.missingProperty)), message: 'is required but missing' };
    case 'type': {
      const types = String(params.type).split(',').map(article).join(' or ');
      return { path, message: `must be ${types} ${got}` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { path, message: `must be one of ${allowed} ${got}` };
    }
    case 'pattern': {
      const pattern = String(params.pattern);
      const meaning = PATTERN_MEANINGS[pattern];
      if (path.endsWith('ociVersion') || pattern.startsWith('^(0|[1-9]')) {
        return { path, message: `must be a SemVer version such as "1.3.0" ${got}` };
      }
      return { path, message: `must be ${meaning ?? `a string matching ${pattern}`} ${got}` };
    }
    case 'minimum':
    case 'maximum': {
      const op = e.keyword === 'minimum' ? 'at least' : 'at most';
      return { path, message: `must be ${op} ${String(params.limit)} ${got}` };
    }
    case 'minItems':
      return { path, message: `must have at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}` };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'propertyNames':
      return { path, message: `has an invalid key ${JSON.stringify(params.propertyName)}` };
    case 'if':
    case 'oneOf':
    case 'anyOf':
      // The failing branch's own errors say what is wrong.
      return undefined;
    default:
      return { path, message: e.message ?? `fails the "${e.keyword}" rule` };
  }
}

export function toProblems(errors: readonly ErrorObject[] | null | undefined): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const e of errors ?? []) {
    const p = formatError(e);
    if (!p) continue;
    const key = `${p.path}\0${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(p);
  }
  return problems;
}

/** Schema problems of config.json; empty when it is valid. */
export function schemaProblems(config: unknown): ConfigProblem[] {
  return validateConfig(config) ? [] : toProblems(validateConfig.errors);
}

