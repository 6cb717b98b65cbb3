// Help through bin/runts (the launcher hands help, completion and usage
// errors to Node): the short usage error, runts help, verb help, and the
// completion script sourced in bash completing verbs and real container ids.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isRoot, ROOT, RUNTS, runts, useSandbox } from '../helpers/sandbox';

describe('help through bin/runts', () => {
  it('a mistyped verb: the error first, the hint next, a few lines in all', () => {
    const r = runts(['strat', 'x']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('runts: Unknown arguments: strat, x');
    expect(lines[1]).toBe('Did you mean start?');
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(r.stderr).toContain('runts help');
  });

  it('runts help create is runts create --help: own options, then the global ones, and an example', () => {
    const viaHelp = runts(['help', 'create']);
    const viaFlag = runts(['create', '--help']);
    expect(viaHelp).toMatchObject({ code: 0, stderr: '' });
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    const text = viaFlag.stdout;
    expect(text.indexOf('--bundle')).toBeLessThan(text.indexOf('Global options:'));
    expect(text.indexOf('--pid-file')).toBeLessThan(text.indexOf('Global options:'));
    expect(text.indexOf('Global options:')).toBeLessThan(text.indexOf('--root'));
    expect(text).toMatch(/Examples:\n {2}runts create --bundle \S+ c1/);
    expect(runts(['help']).stdout).toMatch(/^runts \[global options\] <command>[\s\S]*compatible with runc\.\n/);
  });

  it('runts help nosuch is a usage error with a hint', () => {
    const r = runts(['help', 'stat']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').slice(0, 2)).toEqual(['runts: Unknown command: stat', 'Did you mean start?']);
  });
});

describe.skipIf(!isRoot)('completion through bin/runts', () => {
  const sb = useSandbox();

  function complete(...words: string[]): string[] {
    const quoted = [RUNTS, ...words].map((w) => `'${w}'`).join(' ');
    const r = spawnSync('bash', ['-c', `source <('${RUNTS}' completion bash); COMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; _runts; echo "\${COMPREPLY[@]}"`], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.trim().split(' ').filter((w) => w !== '');
  }

  it('completes verbs and the ids of the containers under --root', () => {
    expect(complete('sta')).toEqual(['start', 'state']);
    const id = sb.id();
    expect(runts(['create', '-b', sb.bundle(id, ['sleep', '60']), id]).code).toBe(0);
    expect(complete('--root', ROOT, 'state', id.slice(0, -1))).toContain(id);
    expect(complete('--root', ROOT, 'kill', '--all', '')).toContain(id);
    expect(complete('--root', ROOT, 'create', '')).toEqual([]);
  });
});
