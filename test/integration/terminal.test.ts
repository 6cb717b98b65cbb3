// process.terminal: the pty master goes to --console-socket (SCM_RIGHTS),
// or, with `runts run`, runts copies between its stdio and the pty itself.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleServer } from '../helpers/console-server';
import { isRoot, ROOT, RUNTS, runts, useSandbox, traces } from '../helpers/sandbox';

describe.skipIf(!isRoot)('terminal', () => {
  const sb = useSandbox();

  it('sends the pty master to --console-socket; the container runs on the pty', async () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['sh', '-c', 'tty; stty size; ls -l /dev/console | cut -c1; echo term-ok'], (c) => {
      c.process!.terminal = true;
      c.process!.consoleSize = { height: 30, width: 100 };
    });
    const sock = path.join(sb.dir, 'console.sock');
    const server = consoleServer(sock);
    await server.ready;
    expect(runts(['create', '--console-socket', sock, '-b', bundle, id]).code).toBe(0);
    expect(runts(['start', id]).code).toBe(0);
    const { name, output } = await server.result;
    expect(name).toBe('/dev/ptmx');
    expect(output.replace(/\r/g, '')).toBe('/dev/pts/0\n30 100\nc\nterm-ok\n');
  });

  it('refuses a terminal without a console socket, and a console socket without a terminal', () => {
    const id = sb.id();
    const r = runts(['create', '-b', sb.bundle(id, ['sh'], (c) => (c.process!.terminal = true)), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/process\.terminal: is true, so create needs --console-socket/);
    const id2 = sb.id();
    const r2 = runts(['create', '--console-socket', '/tmp/x.sock', '-b', sb.bundle(id2, ['true']), id2]);
    expect(r2.stderr).toMatch(/process\.terminal: is false, but --console-socket was given/);
    expect(traces(id)).toEqual([]);
    expect(traces(id2)).toEqual([]);
  });

  it('run attaches the pty to its own stdio', async () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['sh'], (c) => (c.process!.terminal = true));
    // Under script(1): run copies the pty to a terminal of its own, as runc's (none: it fails, see cli-engines).
    const child = spawn('script', ['-qec', `${RUNTS} --root ${ROOT} run -b ${bundle} ${id}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdin.write('echo "hello $((6*7))"; tty\nexit 5\n');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(5);
    expect(out).toContain('hello 42');
    expect(out).toContain('/dev/pts/0');
    expect(traces(id)).toEqual([]);
  });
});
