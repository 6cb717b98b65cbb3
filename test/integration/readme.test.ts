// The README's library examples, run as written so that they cannot rot:
// every ```ts or ```js block whose first line is a `// readme-test` comment
// is compiled (esbuild, as the package's own build), put in a project whose
// node_modules/runts is this package (so `import 'runts'` goes through
// package.json's "main", as it does after `npm install`), and run as root.
// Only its `const bundle = ...` and `const root = ...` lines and its
// container ids ('c1', 'c2', ...) are replaced: by a busybox bundle, a
// temporary state root and unique ids. A ```ts block must type-check
// (strict) against the built declarations, dist/types. What it prints must
// be the ```text block that follows it in the README.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { isRoot, runts, traces, useSandbox } from '../helpers/sandbox';

const PACKAGE = path.resolve(__dirname, '../..');

/** The examples' configs name no cgroupsPath: runts' default placement, /runts/<id>, in every hierarchy. */
function defaultCgroups(id: string): string[] {
  const dirs = readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h, 'runts', id));
  return [...dirs, path.join('/sys/fs/cgroup/runts', id)].filter((d) => existsSync(d));
}

interface Example {
  line: number;
  lang: 'ts' | 'js';
  code: string;
  expected: string;
}

/** The marked blocks of README.md, each with the ```text block after it. */
function examples(): Example[] {
  const text = readFileSync(path.join(PACKAGE, 'README.md'), 'utf8');
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  const blocks = [...text.matchAll(fence)].map((m) => ({
    lang: m[1]!,
    body: m[2]!,
    line: text.slice(0, m.index).split('\n').length,
  }));
  const found: Example[] = [];
  blocks.forEach((b, i) => {
    if ((b.lang !== 'ts' && b.lang !== 'js') || !/^\/\/ readme-test\b/.test(b.body)) return;
    const next = blocks[i + 1];
    if (next?.lang !== 'text') throw new Error(`README.md:${b.line}: a readme-test block needs a \`\`\`text block of its output after it`);
    found.push({ line: b.line, lang: b.lang, code: b.body, expected: next.body });
  });
  return found;
}

/** The example with this test's bundle, root and ids; throws when a line to replace is missing. */
function adapt(code: string, bundle: string, root: string, idFor: (name: string) => string): { code: string; ids: string[] } {
  const replace = (re: RegExp, value: string): void => {
    if (!re.test(code)) throw new Error(`the example has no line matching ${re}`);
    code = code.replace(re, (_m, lead: string) => `${lead}${JSON.stringify(value)};`);
  };
  replace(/^(const bundle = )'[^']*';/m, bundle);
  replace(/^(const root = )'[^']*';/m, root);
  const ids: string[] = [];
  code = code.replace(/'(c\d+)'/g, (_m, name: string) => {
    const id = idFor(name);
    if (!ids.includes(id)) ids.push(id);
    return JSON.stringify(id);
  });
  return { code, ids };
}

describe.runIf(isRoot)('README library examples', () => {
  const sb = useSandbox();
  let dir: string | undefined;
  let root: string | undefined;
  let made: string[] = [];

  afterEach(() => {
    if (root) for (const id of made) if (existsSync(path.join(root, id))) runts(['delete', '--force', id], { root });
    const left = root ? made.flatMap((id) => [...traces(id, root), ...defaultCgroups(id)]) : [];
    if (root) rmSync(root, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = root = undefined;
    made = [];
    expect(left).toEqual([]);
  });

  it('README.md has examples marked for this test', () => {
    expect(examples().length).toBeGreaterThan(0);
  });

  it.each(examples().map((e) => [e.line, e] as const))('the example at README.md:%i runs as written', (_line, example) => {
    dir = mkdtempSync(path.join(tmpdir(), 'runts-test-readme-'));
    root = path.join(dir, 'state');
    const project = path.join(dir, 'project');
    mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    symlinkSync(PACKAGE, path.join(project, 'node_modules', 'runts'));
    const byName = new Map<string, string>();
    const bundleId = sb.id('readme');
    const bundle = sb.bundle(bundleId, ['true']);
    // Only the example's config: the bundle's own config.json is not what it runs.
    rmSync(path.join(bundle, 'config.json'));
    const { code, ids } = adapt(example.code, bundle, root, (name) => {
      if (!byName.has(name)) byName.set(name, sb.id(`readme-${name}`));
      return byName.get(name)!;
    });
    made = ids;
    if (example.lang === 'ts') {
      // As a user's strict TypeScript sees it, against the built declarations.
      const source = path.join(project, 'example.mts');
      writeFileSync(source, code);
      const tsc = spawnSync(
        path.join(PACKAGE, 'node_modules/.bin/tsc'),
        ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
          '--types', 'node', '--typeRoots', path.join(PACKAGE, 'node_modules/@types'), source],
        { cwd: project, encoding: 'utf8', timeout: 60_000 },
      );
      expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
      expect(tsc.status).toBe(0);
    }
    const js = transformSync(code, { loader: example.lang, format: 'esm', target: 'node20' }).code;
    const file = path.join(project, 'example.mjs');
    writeFileSync(file, js);
    // Files, not pipes: the containers inherit stdout and stderr.
    const out = path.join(dir, 'out');
    const err = path.join(dir, 'err');
    const outFd = openSync(out, 'w');
    const errFd = openSync(err, 'w');
    let r: ReturnType<typeof spawnSync>;
    try {
      r = spawnSync(process.execPath, [file], { cwd: project, stdio: ['ignore', outFd, errFd], timeout: 60_000 });
    } finally {
      closeSync(outFd);
      closeSync(errFd);
    }
    const stderr = readFileSync(err, 'utf8');
    expect({ status: r.status, signal: r.signal, stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe(example.expected);
    // The examples clean up after themselves.
    for (const id of ids) expect(existsSync(path.join(root, id))).toBe(false);
  }, 90_000);
});
