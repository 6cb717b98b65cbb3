// <root>/<id>/exec.json: what `runts exec` needs from the container, saved by
// create (the process defaults, the compiled seccomp filter, the namespace
// types, the personality and memory policy). Read back as state.json is:
// a bounded read of a regular file, every field checked, nothing taken on
// trust (docs/hardening.md); the process goes through the runtime-spec
// schema again, as a --process file does.
import path from 'node:path';
import type { OciConfig } from '../config/types';
import { RuntsError } from '../errors';
import { FileReadError, readBoundedFile } from '../read-bounded';
import { writeFileAtomic } from '../state/store';
import { array, bool, int, map, nullable, object, oneOf, str, uint64, type Field } from '../contract/fields';
import type { ExecRecord } from './exec';
import { processDocumentProblems } from './exec-process';
import type { LaunchExtras, LaunchPlan } from './types';

export const EXEC_RECORD_FILE = 'exec.json';

/** Every field of ExecRecord but process (checked by the schema). */
const EXEC_RECORD = object({
  version: { kind: 'literal', value: 1 },
  id: str,
  namespaces: array(oneOf('pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time')),
  seccomp: nullable(object({ program: str, flags: int, notify: bool, beforeCredentials: bool })),
  seccompListenerPath: nullable(str),
  seccompListenerMetadata: str,
  personality: nullable(object({ persona: int, domain: str })),
  memoryPolicy: nullable(object({ mode: int, name: str, nodes: array(uint64) })),
  newKeyring: bool,
  ociVersion: str,
  bundle: str,
  annotations: map(str),
});

/** What is wrong with value as the field describes it: the first problem, with its path, or "". */
export function fieldProblem(field: Field, value: unknown, at: string): string {
  const where = at || 'the document';
  switch (field.kind) {
    case 'string':
      return typeof value === 'string' ? '' : `${where} must be a string`;
    case 'uint64':
      return typeof value === 'string' && /^\d{1,20}$/.test(value) && BigInt(value) < 1n << 64n ? '' : `${where} must be a decimal uint64 string`;
    case 'int':
      return Number.isSafeInteger(value) ? '' : `${where} must be an integer`;
    case 'bool':
      return typeof value === 'boolean' ? '' : `${where} must be a boolean`;
    case 'literal':
      return value === field.value ? '' : `${where} must be ${field.value}`;
    case 'enum':
      return typeof value === 'string' && field.values.includes(value) ? '' : `${where} must be one of ${field.values.join(', ')}`;
    case 'nullable':
      return value === null ? '' : fieldProblem(field.of, value, at);
    case 'optional':
      return value === undefined ? '' : fieldProblem(field.of, value, at);
    case 'array': {
      if (!Array.isArray(value)) return `${where} must be an array`;
      for (let i = 0; i < value.length; i++) {
        const p = fieldProblem(field.of, value[i], `${at}[${i}]`);
        if (p) return p;
      }
      return '';
    }
    case 'map':
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${where} must be an object`;
      const obj = value as Record<string, unknown>;
      if (field.kind === 'map') {
        for (const [k, v] of Object.entries(obj)) {
          const p = fieldProblem(field.of, v, `${at}.${k}`);
          if (p) return p;
        }
        return '';
      }
      for (const k of Object.keys(obj)) if (!Object.hasOwn(field.fields, k)) return `${at ? `${at}.` : ''}${k} is not a field runts writes`;
      for (const [k, f] of Object.entries(field.fields)) {
        if (!Object.hasOwn(obj, k) && f.kind !== 'optional') return `${at ? `${at}.` : ''}${k} is missing`;
        const p = fieldProblem(f, obj[k], at ? `${at}.${k}` : k);
        if (p) return p;
      }
      return '';
    }
  }
}

/** The record create writes for exec. */
export function execRecordOf(
  config: OciConfig,
  plan: LaunchPlan,
  extras: Pick<LaunchExtras, 'seccompListenerPath' | 'seccompListenerMetadata'>,
  bundle: string,
): ExecRecord {
  return {
    version: 1,
    id: plan.id,
    process: config.process ?? { cwd: '/' },
    namespaces: (config.linux?.namespaces ?? []).map((n) => n.type),
    seccomp: plan.seccomp,
    seccompListenerPath: extras.seccompListenerPath ?? null,
    seccompListenerMetadata: extras.seccompListenerMetadata ?? '',
    personality: plan.personality,
    memoryPolicy: plan.memoryPolicy,
    newKeyring: plan.process.newKeyring,
    ociVersion: config.ociVersion,
    bundle,
    annotations: config.annotations ?? {},
  };
}

export function writeExecRecord(dir: string, record: ExecRecord): void {
  writeFileAtomic(path.join(dir, EXEC_RECORD_FILE), `${JSON.stringify(record)}\n`);
}

function damaged(file: string, why: string): RuntsError {
  return new RuntsError(`${file} is damaged (${why}): exec cannot trust it; the container can still be deleted`, { code: 'EBADSTATE' });
}

/** Parses and checks exec.json's text; throws a RuntsError that names the damage. */
export function parseExecRecord(text: string, file: string, id: string): ExecRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw damaged(file, 'not JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw damaged(file, 'not a JSON object');
  const { process, ...rest } = doc as Record<string, unknown>;
  const problem = fieldProblem(EXEC_RECORD, rest, '');
  if (problem) throw damaged(file, problem);
  if (process === undefined) throw damaged(file, 'process is missing');
  const processProblems = processDocumentProblems(process);
  if (processProblems.length) {
    const first = processProblems[0]!;
    throw damaged(file, `process${first.path ? `.${first.path}` : ''}: ${first.message}`);
  }
  const record = { ...rest, process } as ExecRecord;
  if (record.id !== id) throw damaged(file, `it is the record of "${record.id}"`);
  return record;
}

/** Reads <dir>/exec.json: a regular file of bounded size, checked whole. */
export function readExecRecord(dir: string, id: string): ExecRecord {
  const file = path.join(dir, EXEC_RECORD_FILE);
  let text: string;
  try {
    text = readBoundedFile(file, { what: file, refused: 'EBADSTATE' });
  } catch (e) {
    if (e instanceof FileReadError && e.errnoName === 'ENOENT') {
      throw new RuntsError(`container "${id}" has no ${EXEC_RECORD_FILE}: it was created by a runts without exec; recreate it to exec into it`, { code: 'EBADSTATE' });
    }
    throw e;
  }
  return parseExecRecord(text, file, id);
}
