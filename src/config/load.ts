// Reading config.json: a syntax error is reported with its line and column.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RuntsError } from '../errors';

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

export function parseConfigText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(message);
    const where = pos ? ` at ${lineAndColumn(text, Number(pos[1]))}` : '';
    const reason = message.replace(/^.*?(Unexpected|Expected)/, '$1').replace(/ in JSON at position \d+.*$/, '');
    throw new RuntsError(`${file} is not valid JSON${where}: ${reason}`);
  }
}

export function readConfigFile(bundle: string): { config: unknown; file: string } {
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RuntsError(`no config.json in bundle ${bundle} (create one with \`runts spec\`)`);
    throw new RuntsError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return { config: parseConfigText(text, file), file };
}
