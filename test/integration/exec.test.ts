// runts exec in real containers: the namespaces and cgroups of the
// container's process are joined, the process gets its own attributes
// (user, groups, env, cwd, capabilities, no_new_privs, rlimits, seccomp, CPU
// affinity), the exit code comes back, and every refusal leaves nothing
// running.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OciConfig } from '../../src/config/types';
import { consoleServer } from '../helpers/console-server';
import { isRoot, ROOT, RUNTS, runts, useSandbox, type Result } from '../helpers/sandbox';

function statusField(pid: number, field: string): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return line?.split(':')[1]?.trim() ?? '';
}

function pidOf(id: string): number {
  return (JSON.parse(runts(['state', id]).stdout) as { pid: number }).pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').match(/\) [ZX] /);
  } catch {
    return false;
  }
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

/** runts asynchronously (for the tests that do something while it runs). */
function runtsAsync(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(RUNTS, ['--root', ROOT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe.skipIf(!isRoot)('exec', () => {
  const sb = useSandbox();

  /** A running container (sleep), started detached; returns its id and init pid. */
  function running(edit?: (c: OciConfig) => void): { id: string; pid: number; bundle: string } {
    const id = sb.id('exec');
    const bundle = sb.bundle(id, ['sleep', '600'], edit);
    const r = runts(['run', '-d', '-b', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return { id, pid: pidOf(id), bundle };
  }

  it('joins every namespace and the cgroups of the container', () => {
    const { id, pid } = running();
    const names = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts'];
    const r = runts(['exec', id, 'sh', '-c', `for n in ${names.join(' ')}; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, names.length)).toEqual(names.map((n) => readlinkSync(`/proc/${pid}/ns/${n}`)));
    // In the cgroup namespace, the container's own cgroup is "/".
    expect(lines.slice(names.length).every((l) => l.endsWith(':/'))).toBe(true);
    // Seen from the host: the same cgroups as the init's.
    const pidFile = path.join(sb.dir, 'exec.pid');
    expect(runts(['exec', '-d', '--pid-file', pidFile, id, 'sleep', '600']).code).toBe(0);
    const execPid = Number(readFileSync(pidFile, 'utf8'));
    expect(readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toBe(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    // pid 1 of the container's pid namespace is its init.
    expect(runts(['exec', id, 'cat', '/proc/1/cmdline']).stdout).toBe('sleep\u0000600\u0000');
  });

  it('enters the container process\'s root, with --no-pivot too (MS_MOVE + chroot)', () => {
    for (const noPivot of [false, true]) {
      const id = sb.id('exec');
      const bundle = sb.bundle(id, ['sleep', '600']);
      writeFileSync(path.join(bundle, 'rootfs', 'exec-root-marker'), `${id}\n`);
      expect(runts(['run', '-d', ...(noPivot ? ['--no-pivot'] : []), '-b', bundle, id]).code).toBe(0);
      expect(runts(['exec', '--cwd', '/etc', id, 'sh', '-c', 'cat /exec-root-marker; pwd; cat ../exec-root-marker'])).toMatchObject({ code: 0, stdout: `${id}\n/etc\n${id}\n` });
    }
  });

  it('exit codes: 0, the program\'s, 127, 126, 128+signal', () => {
    const { id } = running();
    expect(runts(['exec', id, 'true']).code).toBe(0);
    expect(runts(['exec', id, 'sh', '-c', 'exit 3']).code).toBe(3);
    expect(runts(['exec', id, 'nonexistent-cmd'])).toMatchObject({
      code: 127,
      stderr: `runts: exec in container "${id}": exec: "nonexistent-cmd": executable file not found in $PATH\n`,
    });
    expect(runts(['exec', id, '/etc/passwd'])).toMatchObject({ code: 126, stderr: expect.stringContaining('exec: "/etc/passwd": permission denied') });
    expect(runts(['exec', id, 'sh', '-c', 'kill -9 $$']).code).toBe(137);
    expect(runts(['exec', id, 'sh', '-c', 'kill -TERM $$']).code).toBe(143);
    // Nothing stays behind from the failed ones.
    expect(JSON.parse(runts(['ps', '--format', 'json', id]).stdout)).toHaveLength(1);
  });

  it('user, additional gids, env, cwd, capabilities and no_new_privs from the flags', () => {
    const { id } = running((c) => {
      c.process!.noNewPrivileges = false;
      c.process!.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
      c.process!.env = ['PATH=/usr/bin:/bin', 'FROM_CONFIG=1'];
    });
    const r = runts(['exec', '-u', '1000:1001', '-g', '5', '--additional-gids', '7', '-e', 'A=1', '--env', 'B=two words', '--cwd', '/tmp', id, 'sh', '-c', 'id -u; id -g; id -G; echo "$FROM_CONFIG $A $B"; pwd']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1000\n1001\n1001 5 7\n1 1 two words\n/tmp\n');
    const caps = runts(['exec', '-c', 'CAP_SYS_ADMIN', '--cap', 'CAP_NET_RAW', '--no-new-privs', id, 'sh', '-c', 'grep -E "^(CapBnd|CapEff|NoNewPrivs)" /proc/self/status']);
    const bits = (1n << 5n) | (1n << 21n) | (1n << 13n);
    expect(caps.stdout).toBe(`CapEff:\t${bits.toString(16).padStart(16, '0')}\nCapBnd:\t${bits.toString(16).padStart(16, '0')}\nNoNewPrivs:\t1\n`);
    // Without the flags: the container's process (no no_new_privs, CAP_KILL only).
    const plain = runts(['exec', id, 'sh', '-c', 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status']);
    expect(plain.stdout).toBe(`CapEff:\t${(1n << 5n).toString(16).padStart(16, '0')}\nNoNewPrivs:\t0\n`);
  });

  it('HOME from the container\'s /etc/passwd when the process has none, as for create (runc, crun)', () => {
    const { id, bundle } = running((c) => {
      c.process!.env = ['PATH=/usr/bin:/bin'];
    });
    writeFileSync(path.join(bundle, 'rootfs/etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:User:/home/user:/bin/sh\n');
    const show = (args: string[]) => runts(['exec', ...args, id, 'sh', '-c', 'echo "$HOME"']);
    expect(show([])).toMatchObject({ code: 0, stdout: '/root\n' });
    expect(show(['-u', '1000'])).toMatchObject({ code: 0, stdout: '/home/user\n' });
    expect(show(['-u', '4242'])).toMatchObject({ code: 0, stdout: '/\n' });
    expect(show(['-e', 'HOME=/mine'])).toMatchObject({ code: 0, stdout: '/mine\n' });
    // The engines' form (--process, native in the launcher) too.
    const processFile = path.join(bundle, 'p.json');
    writeFileSync(processFile, JSON.stringify({ cwd: '/', args: ['sh', '-c', 'echo "$HOME"'], env: ['PATH=/bin'], user: { uid: 1000, gid: 1000 } }));
    expect(runts(['exec', '--process', processFile, id])).toMatchObject({ code: 0, stdout: '/home/user\n' });
  });

  it('rlimits, seccomp and the CPU affinity of the container apply to the exec\'d process', () => {
    const { id } = running((c) => {
      c.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }];
      c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
    });
    const r = runts(['exec', id, 'sh', '-c', 'ulimit -n; ulimit -Hn; grep ^Seccomp: /proc/self/status; mkdir /tmp/x 2>&1; echo mkdir=$?']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^123\n456\nSeccomp:\t2\nmkdir: can't create directory '\/tmp\/x': Operation not permitted\nmkdir=1\n$/);
    // execCPUAffinity through --process: final is set once in the cgroups.
    const proc = path.join(sb.dir, 'process.json');
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['grep', '^Cpus_allowed_list', '/proc/self/status'], env: ['PATH=/bin'], execCPUAffinity: { initial: '0', final: '0' } }));
    expect(runts(['exec', '--process', proc, id]).stdout).toBe('Cpus_allowed_list:\t0\n');
  });

  it('--process: a runtime-spec process, with the JSON paths of its problems; nothing runs', () => {
    const { id } = running();
    const proc = path.join(sb.dir, 'process.json');
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['sh', '-c', 'echo from-process $X; id -u'], env: ['PATH=/bin', 'X=1'], user: { uid: 7, gid: 7 } }));
    expect(runts(['exec', '--process', proc, id, 'ignored'])).toMatchObject({ code: 0, stdout: 'from-process 1\n7\n' });
    writeFileSync(proc, JSON.stringify({ cwd: 'relative', args: [], user: { uid: -1 }, rlimits: [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }], env: ['NOEQUALS', 'PATH=/bin'], terminal: 'yes' }));
    const r = runts(['exec', '--process', proc, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`runts: invalid process file ${proc}:`);
    expect(r.stderr).toContain('nothing was run');
    for (const path of ['cwd', 'args', 'user.uid', 'rlimits[0].type', 'env[0]', 'terminal']) expect(r.stderr).toContain(`${path}: `);
    writeFileSync(proc, '{"cwd": "/", "args": ["true"],');
    expect(runts(['exec', '--process', proc, id]).stderr).toMatch(/process\.json is not valid JSON at line 1, column \d+/);
    expect(JSON.parse(runts(['ps', '--format', 'json', id]).stdout)).toHaveLength(1);
  });

  it('--detach writes the pid file; kill --all and delete --force end exec\'d processes', async () => {
    const { id, pid } = running();
    const pidFile = path.join(sb.dir, 'exec.pid');
    const r = runts(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '600']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const execPid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(execPid)).toBe(true);
    expect(JSON.parse(runts(['ps', '--format', 'json', id]).stdout).sort()).toEqual([pid, execPid].sort());
    expect(runts(['kill', '--all', id, 'KILL']).code).toBe(0);
    await waitGone(execPid);
    expect(alive(execPid)).toBe(false);
    const { id: id2 } = running();
    expect(runts(['exec', '-d', '--pid-file', pidFile, id2, 'sleep', '600']).code).toBe(0);
    const second = Number(readFileSync(pidFile, 'utf8'));
    expect(runts(['delete', '--force', id2]).code).toBe(0);
    await waitGone(second);
    expect(alive(second)).toBe(false);
  });

  it('the exec\'d process sees only stdio, --preserve-fds and nothing of runts', async () => {
    const { id } = running();
    const extra = openSync('/dev/null', 'r');
    const extra2 = openSync('/dev/null', 'r');
    // The shell's own fds, by a glob (no child in between; the glob's own
    // directory fd is the last one listed), then what fd 3 is.
    const script = 'cd /proc/$$/fd && echo * && (readlink 3 || echo none)';
    const execWith = (preserve: string, sh = script, env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        // fds 3 and 4 are open in the caller.
        // LISTEN_PID "self": runts' own pid, through a shell that execs it.
        const self = env.LISTEN_PID === 'self';
        const argv = ['--root', ROOT, 'exec', '--preserve-fds', preserve, id, 'sh', '-c', sh];
        const [file, args] = self ? ['/bin/sh', ['-c', 'export LISTEN_PID=$$; exec "$@"', 'sh', RUNTS, ...argv]] : [RUNTS, argv];
        const child = spawn(file, args, {
          stdio: ['ignore', 'pipe', 'pipe', extra, extra2],
          env: { ...process.env, ...env },
        });
        let out = '';
        let err = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => (err += d));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    try {
      expect(await execWith('1')).toEqual({ code: 0, out: '0 1 2 3 4\n/dev/null\n', err: '' });
      expect(await execWith('0')).toEqual({ code: 0, out: '0 1 2 3\nnone\n', err: '' });
      // Socket activation: LISTEN_FDS fds after the preserved ones, as runc passes them.
      const listen = await execWith('1', 'echo $LISTEN_FDS $LISTEN_PID; cd /proc/$$/fd && echo *', { LISTEN_FDS: '1', LISTEN_PID: 'self' });
      expect(listen).toEqual({ code: 0, out: '1 1\n0 1 2 3 4 5\n', err: '' });
      // Offered to another process (LISTEN_PID not runts'): not passed on.
      const notOurs = await execWith('1', 'echo $LISTEN_FDS $LISTEN_PID; cd /proc/$$/fd && echo *', { LISTEN_FDS: '1', LISTEN_PID: '1' });
      expect(notOurs).toEqual({ code: 0, out: '\n0 1 2 3 4\n', err: '' });
    } finally {
      closeSync(extra);
      closeSync(extra2);
    }
  });

  it('-t with --console-socket: the process runs on a pty of the container, consoleSize honoured', async () => {
    const { id } = running();
    const sock = path.join(sb.dir, 'console.sock');
    const server = consoleServer(sock);
    await server.ready;
    const proc = path.join(sb.dir, 'process.json');
    writeFileSync(proc, JSON.stringify({ terminal: true, consoleSize: { height: 25, width: 90 }, cwd: '/', args: ['sh', '-c', 'tty; stty size; echo term-ok'], env: ['PATH=/bin'] }));
    const r = runts(['exec', '--process', proc, '--tty', '--detach', '--console-socket', sock, id]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const { name, output } = await server.result;
    expect(name).toBe('/dev/ptmx');
    expect(output.replace(/\r/g, '')).toMatch(/^\/dev\/pts\/\d+\n25 90\nterm-ok\n$/);
  });

  it('-t without a console socket bridges the pty to runts\' own stdio', async () => {
    const { id } = running();
    const child = spawn(RUNTS, ['--root', ROOT, 'exec', '-t', id, 'sh'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdin.write('echo "hello $((6*7))"; tty\nexit 5\n');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(5);
    expect(out).toContain('hello 42');
    expect(out).toMatch(/\/dev\/pts\/\d+/);
  });

  it('forwards the signals runts gets to the process, and exits with 128+signal', async () => {
    const { id } = running();
    const child = spawn(RUNTS, ['--root', ROOT, 'exec', id, 'sleep', '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Wait until the exec'd sleep is in the container.
    for (let i = 0; i < 100 && JSON.parse(runts(['ps', '--format', 'json', id]).stdout).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(143);
  });

  it('the native attached exec forwards signals and exits with 128+signal', async () => {
    const { id } = running();
    const proc = path.join(sb.dir, 'process.json');
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['sleep', '600'], env: ['PATH=/bin'] }));
    const child = spawn(RUNTS, ['--root', ROOT, 'exec', '--process', proc, id], { stdio: 'ignore', env: { ...process.env, RUNTS_NODE: '/nonexistent/node' } });
    for (let i = 0; i < 100 && JSON.parse(runts(['ps', '--format', 'json', id]).stdout).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('exit', r))).toBe(130);
  });

  it('refuses what runc refuses: tty rules, paused and stopped containers; a created one is fine', async () => {
    const { id } = running();
    expect(runts(['exec', '-t', '-d', id, 'true']).stderr).toBe('runts: cannot allocate tty if runts will detach without setting console socket\n');
    expect(runts(['exec', '--console-socket', '/tmp/none.sock', id, 'true']).stderr).toBe(
      'runts: cannot use console socket if runts will not detach or allocate tty\n',
    );
    expect(runts(['exec', id]).stderr).toMatch(/exec needs a command to run/);
    expect(runts(['exec', '--apparmor', 'some-profile', id, 'true'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/apparmorProfile: asks for the AppArmor profile "some-profile"/) });
    expect(runts(['exec', '-u', 'root', id, 'true']).stderr).toMatch(/--user uid "root" is not a numeric id/);
    expect(runts(['pause', id]).code).toBe(0);
    expect(runts(['exec', id, 'true'])).toMatchObject({ code: 1, stderr: `runts: cannot exec in a paused container (use --ignore-paused to override): "${id}"\n` });
    // --ignore-paused: the process joins the frozen cgroup and runs once resumed.
    const pending = runtsAsync(['exec', '--ignore-paused', id, 'echo', 'after-resume']);
    await new Promise((r) => setTimeout(r, 300));
    expect(runts(['resume', id]).code).toBe(0);
    expect(await pending).toMatchObject({ code: 0, stdout: 'after-resume\n' });

    const stopped = sb.id('exec');
    expect(runts(['run', '-d', '-b', sb.bundle(stopped, ['true']), stopped]).code).toBe(0);
    const stoppedPid = pidOf(stopped);
    await waitGone(stoppedPid);
    for (let i = 0; i < 50 && JSON.parse(runts(['state', stopped]).stdout).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(runts(['exec', stopped, 'true'])).toMatchObject({ code: 1, stderr: `runts: cannot exec in a stopped container: "${stopped}"\n` });

    const created = sb.id('exec');
    expect(runts(['create', '-b', sb.bundle(created, ['sleep', '600']), created]).code).toBe(0);
    expect(runts(['exec', created, 'echo', 'in-created'])).toMatchObject({ code: 0, stdout: 'in-created\n' });
    expect(JSON.parse(runts(['state', created]).stdout).status).toBe('created');
    expect(runts(['exec', 'no-such-container', 'true']).stderr).toBe('runts: container "no-such-container" does not exist\n');
  });

  it('a cwd through a leaked fd is never outside the container (CVE-2024-21626)', () => {
    const { id } = running();
    for (let fd = 3; fd < 16; fd++) {
      const r = runts(['exec', '--cwd', `/proc/self/fd/${fd}`, id, 'pwd']);
      if (r.code === 0) expect(r.stdout).toMatch(/^\/[^(]*\n$/);
      else expect(r.stderr).toMatch(/chdir to cwd|check cwd/);
    }
  });

  it('SCMP_ACT_NOTIFY: the exec\'d process\'s listener fd goes to the agent too', async () => {
    const socket = path.join(sb.dir, 'agent.sock');
    const agents: ReturnType<typeof spawn>[] = [];
    // The agent takes one connection: one for the container, one for the exec.
    const startAgent = async (report: string) => {
      rmSync(socket, { force: true });
      agents.push(spawn('python3', [path.resolve(__dirname, '../helpers/seccomp-agent.py'), socket, report], { stdio: 'ignore' }));
      for (let i = 0; i < 200 && !existsSync(report); i++) await new Promise((r) => setTimeout(r, 50));
      return () => JSON.parse(readFileSync(report, 'utf8')) as { state: { state: { id: string; status: string } }; fds: number; notifications: number[] };
    };
    try {
      await startAgent(path.join(sb.dir, 'agent1.json'));
      const { id } = running((c) => {
        c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: socket, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
      });
      const read = await startAgent(path.join(sb.dir, 'agent2.json'));
      // The agent answers mkdir with 42 without running it.
      const r = runts(['exec', id, 'sh', '-c', 'mkdir /tmp/by-agent; test -d /tmp/by-agent || echo not-made']);
      expect(r).toMatchObject({ code: 0, stdout: 'not-made\n' });
      const seen = read();
      expect(seen.fds).toBe(1);
      expect(seen.notifications).toContain(83);
      expect(seen.state.state).toMatchObject({ id, status: 'running' });
    } finally {
      for (const a of agents) a.kill('SIGKILL');
    }
  });

  it('the engines\' form runs in the launcher without Node, with the same result as under Node', () => {
    const { id, pid } = running();
    const proc = path.join(sb.dir, 'process.json');
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['sleep', '600'], env: ['PATH=/bin'], user: { uid: 0, gid: 0 } }));
    const noNode = { RUNTS_NODE: '/nonexistent/node' };
    for (const env of [noNode, { RUNTS_NATIVE_VERBS: '0' }]) {
      const pidFile = path.join(sb.dir, `exec-${Object.keys(env)[0]}.pid`);
      expect(runts(['exec', '--pid-file', pidFile, '--process', proc, '--detach', id], { env })).toMatchObject({ code: 0, stderr: '' });
      const execPid = Number(readFileSync(pidFile, 'utf8'));
      expect(readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toBe(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
      expect(readlinkSync(`/proc/${execPid}/ns/mnt`)).toBe(readlinkSync(`/proc/${pid}/ns/mnt`));
    }
    // Attached (no terminal): natively too, with the process's output and exit code.
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['sh', '-c', 'echo attached; exit 3'], env: ['PATH=/bin'] }));
    for (const env of [noNode, { RUNTS_NATIVE_VERBS: '0' }]) expect(runts(['exec', '--process', proc, id], { env })).toMatchObject({ code: 3, stdout: 'attached\n', stderr: '' });
    // A missing program: the same words and code natively.
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['nonexistent-cmd'] }));
    const missing = `runts: exec in container "${id}": exec: "nonexistent-cmd": executable file not found in $PATH\n`;
    expect(runts(['exec', '-p', proc, '-d', id], { env: noNode })).toMatchObject({ code: 127, stderr: missing });
    expect(runts(['exec', '-p', proc, '-d', id], { env: { RUNTS_NATIVE_VERBS: '0' } })).toMatchObject({ code: 127, stderr: missing });
    // What the native planner declines goes to Node (here: none to run it).
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['true'], apparmorProfile: 'p' }));
    expect(runts(['exec', '-p', proc, '-d', id], { env: noNode })).toMatchObject({ code: 127, stderr: expect.stringContaining('cannot run Node') });
    expect(runts(['pause', id]).code).toBe(0);
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['true'] }));
    expect(runts(['exec', '-p', proc, '-d', id])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot exec in a paused container') });
    expect(runts(['resume', id]).code).toBe(0);
  });

  it('a damaged exec.json is named, and exec runs nothing', () => {
    const { id } = running();
    const file = path.join(ROOT, id, 'exec.json');
    expect(existsSync(file)).toBe(true);
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...record, namespaces: ['mount', 'bogus'] }));
    expect(runts(['exec', id, 'true'])).toMatchObject({ code: 1, stderr: expect.stringContaining(`${file} is damaged (namespaces[1] must be one of`) });
    writeFileSync(file, JSON.stringify({ ...record, process: { ...(record.process as object), cwd: 'x' } }));
    expect(runts(['exec', id, 'true']).stderr).toContain('is damaged (process.cwd: must be an absolute path');
    expect(JSON.parse(runts(['ps', '--format', 'json', id]).stdout)).toHaveLength(1);
  });
});
