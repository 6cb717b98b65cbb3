// Help that helps: a usage error's layout, runts help [command], verb help
// (own options before the global ones, an example) and the completion script
// generated from the grammar (run in bash here).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completionScript } from '../../src/cli/completion';
import { parseFast } from '../../src/cli/fast-parse';
import { VERBS } from '../../src/cli/grammar';
import { editDistance, nearest, parseWithYargs, usageLines, type YargsOutcome } from '../../src/cli/yargs-cli';

function failure(out: YargsOutcome): { error: string; usage: string } {
  expect(out).toMatchObject({ exitCode: 1 });
  const f = out as { error?: string; usage?: string };
  return { error: f.error ?? '', usage: f.usage ?? '' };
}

function helpText(out: YargsOutcome): string {
  expect(out).toMatchObject({ exitCode: 0 });
  return (out as { stdout: string }).stdout;
}

describe('usage errors', () => {
  it('say the error, a hint and the usage line, not the whole help', async () => {
    const { error, usage } = failure(await parseWithYargs(['strat', 'x']));
    expect(error).toBe('Unknown arguments: strat, x');
    expect(usage.split('\n')).toEqual([
      'Did you mean start?',
      'Usage: runts [global options] <command> [options] <arguments>',
      "Run `runts help` for the commands, `runts <command> --help` for a command's options.",
    ]);
  });

  it("give a verb's usage line and a near option's name", async () => {
    const { error, usage } = failure(await parseWithYargs(['--root', '/r', 'create', 'c1', '--bundel', '/b']));
    expect(error).toBe('Unknown argument: bundel');
    expect(usage.split('\n')).toEqual([
      'Did you mean --bundle?',
      'Usage: runts [global options] create [options] <container-id>',
      'Run `runts create --help` for its options and an example, `runts help` for all commands.',
    ]);
    const missing = failure(await parseWithYargs(['exec']));
    expect(missing.error).toMatch(/^Not enough non-option arguments/);
    expect(missing.usage.split('\n')[0]).toBe('Usage: runts [global options] exec [options] <container-id> [command..]');
    expect(failure(await parseWithYargs(['start'])).usage.split('\n')[0]).toBe('Usage: runts [global options] start <container-id>');
  });

  it('hint only at words near enough', async () => {
    expect(failure(await parseWithYargs(['frobnicate'])).usage).not.toMatch(/Did you mean/);
    expect(usageLines('Unknown argument: x', ['x'])[0]).toMatch(/^Usage:/);
    expect(nearest('stats', Object.keys(VERBS))).toBe('state');
    expect(nearest('--bundle'.slice(2), ['bundle', 'pid-file'])).toBe('bundle');
    expect(nearest('x', ['ps'])).toBeUndefined();
    expect(editDistance('strat', 'start')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('list every verb when none is given', async () => {
    const { error } = failure(await parseWithYargs([]));
    expect(error).toBe(`a command is required: one of ${Object.keys(VERBS).join(', ')}`);
  });
});

describe('runts help', () => {
  it('prints the top-level help, and a verb help as --help does', async () => {
    const top = helpText(await parseWithYargs(['help']));
    expect(top).toBe(helpText(await parseWithYargs(['--help'])));
    expect(top).toMatch(/runts help \[command\][\s\S]*runts completion <shell>/);
    expect(helpText(await parseWithYargs(['--root', '/r', 'help', 'create']))).toBe(helpText(await parseWithYargs(['create', '--help'])));
    expect(helpText(await parseWithYargs(['help', 'completion']))).toMatch(/choices: "bash", "zsh"/);
  });

  it('refuses an unknown command with a hint', async () => {
    const { error, usage } = failure(await parseWithYargs(['help', 'creat']));
    expect(error).toBe('Unknown command: creat');
    expect(usage.split('\n').slice(0, 2)).toEqual(['Did you mean create?', 'Usage: runts help [command]']);
    expect(failure(await parseWithYargs(['help', 'create', 'extra'])).error).toBe('Too many arguments for help: extra');
  });

  it('is declined by the fast parser', () => {
    for (const argv of [['help'], ['help', 'create'], ['completion', 'bash'], ['create', '-h']]) expect(parseFast(argv)).toBeUndefined();
  });
});

describe('verb help', () => {
  it.each(Object.keys(VERBS))("%s: its own options, then the global ones, and an example", async (verb) => {
    const text = helpText(await parseWithYargs([verb, '--help']));
    const spec = VERBS[verb as keyof typeof VERBS];
    const globals = text.indexOf('\nGlobal options:\n');
    expect(globals).toBeGreaterThan(0);
    for (const o of spec.options) {
      const at = text.indexOf(`--${o.name} `);
      expect(at, o.name).toBeGreaterThan(0);
      expect(at, o.name).toBeLessThan(globals);
    }
    expect(text.indexOf('--root ')).toBeGreaterThan(globals);
    expect(spec.example).toBeDefined();
    expect(text).toContain(`Examples:\n  ${spec.example?.command}`);
    // Every example parses.
    const example = (spec.example?.command ?? '').split(' ').slice(1);
    expect(await parseWithYargs(example)).toMatchObject({ command: { verb } });
  });

  it('wraps at word boundaries', async () => {
    const top = helpText(await parseWithYargs(['--help']));
    expect(top).toContain('An OCI container runtime, compatible with runc.');
    expect(top).toMatch(/\(spec\n\s+--rootless: one/);
    for (const line of top.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});

describe('completion', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'runts-test-help-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A stand-in for runts that answers `list --quiet` and records its arguments.
  const fake = path.join(dir, 'runts');
  writeFileSync(fake, `#!/bin/sh\necho "$@" >> ${dir}/calls\necho help-c1; echo help-c2\n`, { mode: 0o755 });
  const script = path.join(dir, 'completion.bash');
  writeFileSync(script, completionScript('bash'));

  function complete(...words: string[]): string[] {
    const quoted = [fake, ...words].map((w) => `'${w}'`).join(' ');
    const r = spawnSync('bash', ['-c', `source ${script}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; _runts; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  it('completes verbs, options and their values', () => {
    expect(complete('sta')).toEqual(['start', 'state']);
    expect(complete('he')).toEqual(['help']);
    expect(complete('--log-')).toEqual(['--log-format']);
    expect(complete('--log-format', '')).toEqual(['text', 'json']);
    expect(complete('--log-format', '=', 'j')).toEqual(['json']);
    expect(complete('create', '--pid')).toEqual(['--pid-file']);
    expect(complete('create', '--no-pivot', '--r')).toEqual(['--root', '--rootless']);
    expect(complete('list', '-f', '')).toEqual(['table', 'json']);
    expect(complete('help', 'up')).toEqual(['update']);
    expect(complete('completion', '')).toEqual(['bash', 'zsh']);
    expect(complete('kill', 'c1', 'SIGK')).toEqual(['SIGKILL']);
    // A value with no fixed set is left to file name completion (complete -o default).
    expect(complete('create', '--bundle', '')).toEqual([]);
  });

  it("completes container ids from runts list under the command line's --root", () => {
    expect(complete('--root', '/r', 'state', 'help-')).toEqual(['help-c1', 'help-c2']);
    expect(complete('--root=/r2', 'exec', '-t', '')).toEqual(['help-c1', 'help-c2']);
    expect(complete('delete', '--force', 'help-c2')).toEqual(['help-c2']);
    expect(spawnSync('cat', [path.join(dir, 'calls')], { encoding: 'utf8' }).stdout).toBe('--root /r list --quiet\n--root /r2 list --quiet\nlist --quiet\n');
    // Not where a new container's id goes, nor after exec's id (the command's words).
    expect(complete('create', '')).toEqual([]);
    expect(complete('exec', 'c1', '--')).toEqual([]);
    expect(complete('state', 'c1', '')).toEqual([]);
  });

  it('is a script for bash and for zsh (through bashcompinit), with every verb', async () => {
    const bash = helpText(await parseWithYargs(['completion', 'bash']));
    expect(bash).toBe(completionScript('bash'));
    expect(bash).toMatch(/\ncomplete -o default -F _runts runts\n$/);
    const zsh = completionScript('zsh');
    expect(zsh).toMatch(/autoload -U \+X bashcompinit && bashcompinit/);
    for (const verb of Object.keys(VERBS)) expect(bash).toContain(`    ${verb})`);
    expect(spawnSync('bash', ['-n', '-c', zsh.replace(/^autoload.*$/m, '')]).status).toBe(0);
    expect(failure(await parseWithYargs(['completion', 'fish'])).error).toMatch(/Invalid values/);
  });
});
