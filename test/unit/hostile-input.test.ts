// Hostile and damaged input, the parts that need no root: bounded reads,
// syntax errors that quote nothing, non-object configs, own-property
// lookups, NUL bytes, a rootfs that is the host's /.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults';
import { hostileProblems, MAX_CONFIG_DEPTH } from '../../src/config/hostile';
import { locateJsonError } from '../../src/config/json-syntax';
import { parseConfigText, readConfigFile, requireConfigObject } from '../../src/config/load';
import { semanticProblems } from '../../src/config/semantic';
import { schemaProblems } from '../../src/config/validate';
import { parseMountOptions } from '../../src/plan/mount-options';
import { buildPlan } from '../../src/plan/build';
import { placeContainer } from '../../src/cgroups/placement';
import { parseFast } from '../../src/cli/fast-parse';
import { MAX_DOCUMENT_BYTES, readBoundedFile } from '../../src/read-bounded';
import { printable } from '../../src/log';
import type { OciConfig } from '../../src/config/types';
import { fakeHost } from '../helpers/fake-host';

const base = (): Record<string, any> => {
  const c = JSON.parse(JSON.stringify(defaultConfig())) as Record<string, any>;
  c.process.terminal = false;
  return c;
};
const ctx = (host = fakeHost()) => ({ bundle: '/bundle', host, terminalHandled: false, consoleSocket: false });
const problems = (c: unknown, host = fakeHost()) =>
  semanticProblems(c, ctx(host)).problems.map((p) => `${p.path}: ${p.message}`);

describe('bounded reads of files from outside', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'runts-unit-ho-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a config.json that is a symlink to /dev/zero, at once', () => {
    symlinkSync('/dev/zero', path.join(dir, 'config.json'));
    const t0 = Date.now();
    expect(() => readConfigFile(dir)).toThrow(/config\.json is a character device, not a regular file: runts reads it only from a regular file/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('refuses a FIFO without blocking on its open', () => {
    execFileSync('mkfifo', [path.join(dir, 'config.json')]);
    expect(() => readConfigFile(dir)).toThrow(/config\.json is a FIFO, not a regular file/);
  });

  it('refuses a directory', () => {
    execFileSync('mkdir', [path.join(dir, 'config.json')]);
    expect(() => readConfigFile(dir)).toThrow(/config\.json is a directory, not a regular file/);
  });

  it('refuses a file above the limit and says which limit', () => {
    const big = path.join(dir, 'big.json');
    writeFileSync(big, '');
    execFileSync('truncate', ['-s', String(MAX_DOCUMENT_BYTES + 1), big]);
    expect(() => readBoundedFile(big, { what: 'big.json' })).toThrow("big.json is 16.0 MiB, above runts' limit of 16 MiB for a document it reads");
    writeFileSync(big, 'x'.repeat(2000));
    expect(() => readBoundedFile(big, { what: 'big.json', limit: 1000 })).toThrow(/above runts' limit/);
    expect(readBoundedFile(big, { limit: 2000 })).toHaveLength(2000);
  });

  it('reads a file of unknown size (procfs) only up to the limit', () => {
    expect(() => readBoundedFile('/proc/self/mountinfo', { limit: 10 })).toThrow(/larger than runts' limit/);
    expect(readBoundedFile('/proc/self/stat')).toMatch(/^\d+ /);
  });

  it('a missing config.json still says how to make one', () => {
    expect(() => readConfigFile(dir)).toThrow(/no config\.json in bundle .* \(create one with `runts spec`\)/);
  });
});

describe('JSON syntax errors quote positions, never content', () => {
  it('a /etc/shadow-like file: line and column only', () => {
    const secret = 'root:$y$j9T$SECRETSALT$SECRETHASH:19000:0:99999:7:::\n';
    let message = '';
    try {
      parseConfigText(secret, '/b/config.json');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('/b/config.json is not valid JSON at line 1, column 1: Unexpected character');
    expect(message).not.toMatch(/root|SECRET|\$y\$/);
  });

  it.each([
    ['{"a": tru}', 'line 1, column 7: Unexpected character'],
    ['[1,]', 'line 1, column 4: Unexpected character'],
    ['{\n  "a": 1\n  "b": 2}', "line 3, column 3: Expected ',' or '}' after property value"],
    ['{"a":1,}', 'line 1, column 8: Expected double-quoted property name'],
    ['{"a" 1}', "line 1, column 6: Expected ':' after property name"],
    ['{"a": "b\n"}', 'line 1, column 9: Bad control character in string literal'],
    ['{"a": "\\q"}', 'line 1, column 8: Bad escaped character'],
    ['{"a": -}', 'line 1, column 7: No number after minus sign'],
    ['{"a": 1} x', 'line 1, column 10: Unexpected non-whitespace character after JSON'],
    ['{"a": "b', 'line 1, column 7: Unterminated string'],
    ['', 'line 1, column 1: Unexpected end of input'],
    ['{"a": [1, 2', 'line 1, column 12: Unexpected end of input'],
    ['{"a": nul', 'line 1, column 10: Unexpected end of input'],
  ])('%j → %s', (text, where) => {
    expect(() => parseConfigText(text, 'config.json')).toThrow(`config.json is not valid JSON at ${where}`);
  });

  it('finds an error exactly when JSON.parse does (property)', () => {
    const jsonish = fc.stringOf(fc.constantFrom('{', '}', '[', ']', '"', ':', ',', ' ', '1', '-', '.', 'e', 'a', 't', 'r', 'u', 'n', 'l', '\\', '\n'), { maxLength: 24 });
    const valid = fc.json().map((j) => j);
    fc.assert(
      fc.property(fc.oneof(jsonish, valid), (text) => {
        let ok = true;
        try {
          JSON.parse(text);
        } catch {
          ok = false;
        }
        expect(locateJsonError(text) === undefined).toBe(ok);
      }),
      { numRuns: 3000 },
    );
  });

  it('deep nesting does not overflow the scanner', () => {
    const deep = '['.repeat(200_000);
    expect(locateJsonError(deep)).toEqual({ offset: 200_000, reason: 'Unexpected end of input' });
  });
});

describe('a config that is not a JSON object', () => {
  it.each([
    ['null', 'null'],
    ['42', 'a number'],
    ['"x"', 'a string'],
    ['[]', 'an array'],
    ['true', 'a boolean'],
  ])('%s gets a clear message', (text, what) => {
    expect(() => requireConfigObject(JSON.parse(text), 'b/config.json')).toThrow(
      `b/config.json must hold a JSON object (the runtime-spec configuration, as \`runts spec\` writes it), not ${what}`,
    );
  });

  it('the checks themselves do not throw on any JSON value', () => {
    for (const v of [null, 42, 'x', [], true, { process: null, linux: 5, mounts: 'x', root: [] }]) {
      expect(() => schemaProblems(v)).not.toThrow();
      expect(() => semanticProblems(v, ctx())).not.toThrow();
    }
  });
});

describe('own-property lookups', () => {
  it('"constructor" is not a namespace type, an rlimit or a mount option', () => {
    const c = base();
    c.linux.namespaces.push({ type: 'constructor' });
    c.process.rlimits = [{ type: 'constructor', soft: 1, hard: 1 }, { type: '__proto__', soft: 1, hard: 1 }];
    const msgs = problems(c);
    expect(msgs).toContainEqual(expect.stringMatching(/^process\.rlimits\[0\]\.type: unknown rlimit "constructor"/));
    expect(msgs).toContainEqual(expect.stringMatching(/^process\.rlimits\[1\]\.type: unknown rlimit "__proto__"/));
    // The schema refuses the namespace type by name.
    expect(schemaProblems(c).map((p) => p.path)).toContainEqual(expect.stringMatching(/^linux\.namespaces\[\d+\]\.type$/));
  });

  it('inherited names as mount options are filesystem data, not flags', () => {
    for (const o of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const parsed = parseMountOptions([o]);
      expect(parsed).toEqual({ flags: 0, propagation: [], recAttrSet: 0, recAttrClr: 0, data: o, unsupported: [], copyUp: false });
    }
  });

  it('inherited names plan as nothing, never as a function', () => {
    const c = base() as unknown as OciConfig;
    (c.linux as Record<string, unknown>).rootfsPropagation = 'constructor';
    c.process!.rlimits = [{ type: 'toString', soft: 1, hard: 1 }];
    const layout = { mode: 'v2' as const, hierarchies: [{ version: 2 as const, name: '', controllers: [], mountPoint: '/sys/fs/cgroup', mountRoot: '/', ownPath: '/' }] };
    const { plan } = buildPlan(c, { id: 'ho-x', bundle: '/bundle', host: fakeHost(), cgroups: placeContainer(layout, undefined, 'ho-x') });
    expect(plan.rootfs?.rootfsPropagation).toBe(0);
    expect(plan.process.rlimits[0]?.resource).toBe(-1);
  });

  it('the fast parser does not take --constructor as a global option', () => {
    const r = parseFast(['--constructor', 'x', 'state', 'id']);
    expect(r).toBeUndefined();
  });
});

describe('NUL bytes and hostile shapes', () => {
  it('a NUL byte anywhere is refused with its JSON path', () => {
    const c = base();
    c.process.args = ['sh', 'a\0b'];
    c.process.env.push('X=1\0');
    c.process.cwd = '/\0';
    c.mounts[0].destination = '/proc\0/../etc';
    c.mounts[1].options.push('mode=755\0');
    c.hostname = 'h\0';
    c.root.path = 'rootfs\0';
    c.linux.sysctl = { 'net.ipv4.ip_forward\0': '1', 'net.core.somaxconn': '10\0' };
    const found = hostileProblems(c).problems.map((p) => p.path);
    expect(found).toEqual(
      expect.arrayContaining([
        'process.args[1]',
        'process.env[2]',
        'process.cwd',
        'mounts[0].destination',
        'mounts[1].options[4]',
        'hostname',
        'root.path',
        'linux.sysctl["net.ipv4.ip_forward\\u0000"]',
        'linux.sysctl["net.core.somaxconn"]',
      ]),
    );
    const msgs = problems(c);
    expect(msgs).toContain('process.args[1]: contains a NUL byte (\\u0000): no system call can take it; remove it');
    expect(msgs).toContain('linux.sysctl["net.ipv4.ip_forward\\u0000"]: the key contains a NUL byte (\\u0000): no system call can take it; remove it');
  });

  it('nesting deeper than any config is refused without recursion', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const c = base();
    c.annotations = { a: 'b' };
    (c as Record<string, unknown>)['org.example'] = deep;
    const r = semanticProblems(c, ctx());
    expect(r.problems).toEqual([{ path: expect.stringMatching(/^\["org\.example"\]/), message: `nests deeper than ${MAX_CONFIG_DEPTH} levels: no runtime-spec configuration does` }]);
    expect(() => schemaProblems(c)).not.toThrow();
  });

  it("a root.path that resolves to the host's / is refused", () => {
    const c = base();
    c.root.path = '../../..';
    const host = fakeHost({ '/': 'dir' }, { realpath: (p) => (p === '/' ? '/' : p) });
    expect(problems(c, host)).toContain("root.path: / is the host's / : a container cannot have the host's root filesystem as its own; use a directory that holds the container's files");
    c.root.path = 'rootfs';
    const linked = fakeHost({}, { realpath: (p) => (p === '/bundle/rootfs' ? '/' : p) });
    expect(problems(c, linked)).toContainEqual(expect.stringMatching(/^root\.path: \/bundle\/rootfs is the host's \//));
  });
});

describe('messages cannot forge lines or send escape sequences', () => {
  it('escapes C0, DEL and C1 controls, keeps the rest', () => {
    expect(printable('id "a\nlevel=error msg=x"\r\u001b[2J\u007f\u009b日本\t')).toBe(
      'id "a\\nlevel=error msg=x"\\u000d\\u001b[2J\\u007f\\u009b日本\\t',
    );
  });
});
