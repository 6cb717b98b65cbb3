// Mutations derived from a document's contract (src/contract/fields.ts): the
// places of every field in a sample document, a value of the wrong type for
// each, and which fields a sample leaves unexercised. The contract tests
// feed them to the C++ readers, which must refuse each one.
import type { Field } from '../../src/contract/fields';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Site {
  path: string;
  field: Field;
  parent: Record<string, Json>;
  key: string;
}

const isObject = (v: Json | undefined): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every field of the contract found in the document (arrays: their first item). */
export function sites(field: Field, value: Json, path = '', out: Site[] = []): Site[] {
  if (field.kind === 'nullable' || field.kind === 'optional') return sites(field.of, value, path, out);
  if (field.kind === 'array' && Array.isArray(value) && value.length) return sites(field.of, value[0]!, `${path}[0]`, out);
  if (field.kind !== 'object' || !isObject(value)) return out;
  for (const [key, sub] of Object.entries(field.fields)) {
    if (!(key in value)) continue;
    const p = path ? `${path}.${key}` : key;
    out.push({ path: p, field: sub, parent: value, key });
    sites(sub, value[key]!, p, out);
  }
  return out;
}

/** Fields the document does not exercise: null, empty, absent, or an empty map. */
export function unexercised(field: Field, value: Json | undefined, path = ''): string[] {
  switch (field.kind) {
    case 'optional':
      return value === undefined ? [`${path} (absent)`] : unexercised(field.of, value, path);
    case 'nullable':
      return value === null ? [`${path} (null)`] : unexercised(field.of, value, path);
    case 'array':
      return Array.isArray(value) && value.length ? unexercised(field.of, value[0], `${path}[0]`) : [`${path} (empty)`];
    case 'map':
      return isObject(value) && Object.keys(value).length ? [] : [`${path} (empty)`];
    case 'object':
      if (!isObject(value)) return [`${path} (not an object)`];
      return Object.entries(field.fields).flatMap(([k, sub]) => unexercised(sub, value[k], path ? `${path}.${k}` : k));
    default:
      return value === undefined ? [`${path} (absent)`] : [];
  }
}

/** How many fields the contract has (object members, through arrays and nullables). */
export function countFields(f: Field): number {
  if (f.kind === 'object') return Object.values(f.fields).reduce((n, sub) => n + 1 + countFields(sub), 0);
  if (f.kind === 'array' || f.kind === 'nullable' || f.kind === 'optional') return countFields(f.of);
  return 0;
}

export function wrongValue(field: Field): Json {
  switch (field.kind) {
    case 'string':
    case 'uint64':
    case 'enum':
      return 42;
    case 'int':
    case 'literal':
      return 'x';
    case 'bool':
      return 1;
    case 'array':
      return {};
    case 'object':
    case 'map':
      return [];
    case 'nullable':
    case 'optional':
      return field.of.kind === 'object' || field.of.kind === 'map' ? 7 : wrongValue(field.of);
  }
}

export function isRequired(field: Field): boolean {
  return field.kind !== 'optional';
}
