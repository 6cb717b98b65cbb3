// Where log lines go: with --log, to the file only (errors keep one plain
// line on stderr, as runc's fatal, since go-runc reads kill's and delete's
// errors from there); without, to stderr. stderr is captured by mocking
// src/output.ts, which is what writes fd 2.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logGlobals } from '../../src/cli/fast-parse';
import { Logger } from '../../src/log';

const stderr: string[] = [];
vi.mock('../../src/output', () => ({
  writeStderr: (text: string) => {
    stderr.push(text);
    return true;
  },
  writeStdout: () => true,
}));

let dir: string;
let file: string;

beforeEach(() => {
  stderr.length = 0;
  dir = mkdtempSync(path.join(tmpdir(), 'runts-test-cli-log-'));
  file = path.join(dir, 'log');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function logText(): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe('Logger', () => {
  it('with --log and json, writes warnings only to the file and errors to both', () => {
    const logger = new Logger({ file, format: 'json' });
    logger.warn('w1');
    logger.error('e1', ['d1']);
    logger.debug('hidden');
    const lines = logText().trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { level: 'warning', msg: 'w1', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) },
      { level: 'error', msg: 'e1\n  d1', time: expect.stringMatching(/Z$/) },
    ]);
    expect(stderr.join('')).toBe('runts: e1\n  d1\n');
  });

  it('with --log and text, writes logrus lines; debug lines with --debug', () => {
    const logger = new Logger({ file, debug: true });
    logger.debug('d');
    logger.warn('a "q"');
    expect(logText()).toMatch(/^time="\S+Z" level=debug msg="d"\ntime="\S+Z" level=warning msg="a \\"q\\""\n$/);
    expect(stderr).toEqual([]);
  });

  it('without --log, writes plain words to stderr (JSON lines with --log-format json)', () => {
    const plain = new Logger();
    plain.warn('w');
    plain.error('e');
    expect(stderr.join('')).toBe('runts: warning: w\nrunts: e\n');
    stderr.length = 0;
    new Logger({ format: 'json' }).error('e');
    expect(JSON.parse(stderr.join(''))).toMatchObject({ level: 'error', msg: 'e' });
    expect(logText()).toBe('');
  });

  it('sends the line to stderr when the log file cannot be written', () => {
    new Logger({ file: path.join(dir, 'no/such/dir/log'), format: 'json' }).warn('w');
    expect(stderr.join('')).toBe('runts: warning: w\n');
  });
});

describe('logGlobals', () => {
  it.each([
    [['--log', '/l', '--log-format', 'json', 'state', 'x', '--frob'], { log: '/l', logFormat: 'json' }],
    [['--log=/l', '--log-format=json', 'bogus'], { log: '/l', logFormat: 'json' }],
    [['state', '--log', '/l', 'x'], { log: '/l', logFormat: 'text' }],
    [['--log-format', 'xml', 'state'], { logFormat: 'text' }],
    [['--log'], { logFormat: 'text' }],
    [['exec', 'c1', '--', 'cmd', '--log', '/no'], { logFormat: 'text' }],
  ])('reads %j', (argv, expected) => {
    expect(logGlobals(argv)).toEqual(expected);
  });
});
