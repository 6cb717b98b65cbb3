// Reading config.json: only a regular file, of bounded size; a syntax error
// is reported with its line and column and never with the file's content
// (config.json may be a symlink to a file that is not runts' to show).
import path from 'node:path';
import { RuntsError } from '../errors';
import { FileReadError, readBoundedFile } from '../read-bounded';
import { locateJsonError } from './json-syntax';

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function describeJsonValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

export function parseConfigText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // V8's message quotes the text: describe the error ourselves.
    const found = locateJsonError(text) ?? { offset: text.length, reason: 'Unexpected end of input' };
    throw new RuntsError(`${file} is not valid JSON at ${lineAndColumn(text, found.offset)}: ${found.reason}`, { code: 'EBADCONFIG' });
  }
}

/**
 * A config must be a JSON object; anything else gets a message here, before
 * any check that would read fields of it.
 */
export function requireConfigObject(config: unknown, file: string): Record<string, unknown> {
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) return config as Record<string, unknown>;
  throw new RuntsError(
    `${file} must hold a JSON object (the runtime-spec configuration, as \`runts spec\` writes it), not ${describeJsonValue(config)}`,
    { code: 'EBADCONFIG' },
  );
}

export function readConfigFile(bundle: string): { config: unknown; file: string } {
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = readBoundedFile(file);
  } catch (e) {
    if (e instanceof FileReadError && e.errnoName === 'ENOENT') {
      throw new RuntsError(`no config.json in bundle ${bundle} (create one with \`runts spec\`)`, { code: 'EBADCONFIG' });
    }
    throw e;
  }
  const config = parseConfigText(text, file);
  requireConfigObject(config, file);
  return { config, file };
}
