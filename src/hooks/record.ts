// <root>/<id>/hooks.json: the hooks that run after create (poststart,
// poststop), resolved at create time: config.json may change or vanish
// after create, and the spec says such changes must not affect the
// container. Written only for a container that has some; the record's
// runts.needsNodeFor then sends `start`/`delete` to Node, which reads it.
// The file is read back as untrusted input: bounded, and checked field by
// field before anything in it is executed.
import path from 'node:path';
import { RuntsError } from '../errors';
import { FileReadError, readBoundedFile } from '../read-bounded';
import { writeFileAtomic } from '../state/store';
import { type HookKind, type HookStateBase, type ResolvedHook } from './plan';

export const HOOKS_FILE = 'hooks.json';
/** Created beside exec.fifo when startContainer hooks exist: the init reports a failure after `start` there. */
export const START_FIFO = 'start.fifo';

export interface HookRecord {
  version: 1;
  state: HookStateBase;
  /** The init holds start.fifo: `start` waits for its outcome. */
  startReport: boolean;
  poststart: ResolvedHook[];
  poststop: ResolvedHook[];
}

export function writeHookRecord(dir: string, record: HookRecord): void {
  writeFileAtomic(path.join(dir, HOOKS_FILE), `${JSON.stringify(record)}\n`);
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function checkHook(v: unknown, kind: HookKind, i: number, where: string): ResolvedHook {
  const bad = (what: string): never => {
    throw new RuntsError(`${where}: ${kind}[${i}] ${what}`, { code: 'EBADSTATE' });
  };
  if (!isObject(v)) return bad('is not an object');
  if (v.kind !== kind) bad(`has kind ${JSON.stringify(v.kind)}`);
  if (v.index !== i) bad('has the wrong index');
  if (typeof v.path !== 'string' || !v.path.startsWith('/')) bad('has no absolute path');
  if (!isStrings(v.args) || !isStrings(v.env)) bad('has args or env that are not lists of strings');
  if (typeof v.timeoutMs !== 'number' || !Number.isInteger(v.timeoutMs) || v.timeoutMs < 0 || v.timeoutMs > 2 ** 31 - 1) bad('has a bad timeoutMs');
  return { kind, index: i, path: v.path as string, args: v.args as string[], env: v.env as string[], timeoutMs: v.timeoutMs as number };
}

function checkState(v: unknown, where: string): HookStateBase {
  if (!isObject(v) || typeof v.ociVersion !== 'string' || typeof v.id !== 'string' || typeof v.bundle !== 'string') {
    throw new RuntsError(`${where}: state is damaged`, { code: 'EBADSTATE' });
  }
  const annotations = v.annotations;
  if (annotations !== undefined && (!isObject(annotations) || !Object.values(annotations).every((a) => typeof a === 'string'))) {
    throw new RuntsError(`${where}: state.annotations is damaged`, { code: 'EBADSTATE' });
  }
  return { ociVersion: v.ociVersion, id: v.id, bundle: v.bundle, ...(annotations ? { annotations: annotations as Record<string, string> } : {}) };
}

/** Checks a parsed hooks.json; throws a RuntsError naming what is damaged. */
export function checkHookRecord(doc: unknown, id: string, where = HOOKS_FILE): HookRecord {
  if (!isObject(doc) || doc.version !== 1) throw new RuntsError(`${where}: not a version 1 hook record`, { code: 'EBADSTATE' });
  const state = checkState(doc.state, where);
  if (state.id !== id) throw new RuntsError(`${where}: it belongs to container ${JSON.stringify(state.id)}`, { code: 'EBADSTATE' });
  if (typeof doc.startReport !== 'boolean') throw new RuntsError(`${where}: startReport is not a boolean`, { code: 'EBADSTATE' });
  const lists = {} as Record<'poststart' | 'poststop', ResolvedHook[]>;
  for (const kind of ['poststart', 'poststop'] as const) {
    const list = doc[kind];
    if (!Array.isArray(list)) throw new RuntsError(`${where}: ${kind} is not a list`, { code: 'EBADSTATE' });
    lists[kind] = list.map((h, i) => checkHook(h, kind, i, where));
  }
  return { version: 1, state, startReport: doc.startReport, ...lists };
}

/** null when the container has no hook record (no hooks after create). */
export function readHookRecord(dir: string, id: string): HookRecord | null {
  const file = path.join(dir, HOOKS_FILE);
  let text: string;
  try {
    text = readBoundedFile(file, { what: file, limit: 4 * 1024 * 1024, refused: 'EBADSTATE' });
  } catch (e) {
    if (e instanceof FileReadError && e.errnoName === 'ENOENT') return null;
    throw e;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new RuntsError(`${file}: not valid JSON (${(e as Error).message})`, { code: 'EBADSTATE' });
  }
  return checkHookRecord(doc, id, file);
}
