// dist/start.cjs: what the `runts` launcher executes under Node. It compiles
// dist/runts.cjs with the V8 code cache made at build time (dist/runts.cjs.cache),
// so that a start does not parse and compile the CLI and the schema
// validators again. A stale or missing cache is ignored by V8: the code is
// then compiled as usual.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

interface CliBundle {
  runCliAndExit(args: readonly string[], distDir: string): void;
  warmUp(): void;
}

const PARAMS = '(function (exports, require, module, __filename, __dirname) {';

/** Compiles and loads the CLI bundle; returns it with the script (to make a cache from). */
export function loadBundle(distDir: string, cachedData?: Buffer): { bundle: CliBundle; script: vm.Script } {
  const file = path.join(distDir, 'runts.cjs');
  // The bundle is ASCII (esbuild escapes the rest): latin1 skips UTF-8 decoding.
  const script = new vm.Script(`${PARAMS}${readFileSync(file, 'latin1')}\n})`, { filename: file, cachedData });
  const mod = { exports: {} as CliBundle };
  (script.runInThisContext() as (...a: unknown[]) => void)(mod.exports, require, mod, file, distDir);
  return { bundle: mod.exports, script };
}

function readCache(distDir: string): Buffer | undefined {
  try {
    return readFileSync(path.join(distDir, 'runts.cjs.cache'));
  } catch {
    return undefined;
  }
}

if (require.main === module) {
  loadBundle(__dirname, readCache(__dirname)).bundle.runCliAndExit(process.argv.slice(2), __dirname);
}
