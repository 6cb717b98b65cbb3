// OCI hooks on real containers, through the runts CLI: each kind runs once,
// at its point of the lifecycle, in its namespaces, with the state on stdin;
// failures and timeouts do what the runtime-spec says.
import { chmodSync, existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Hook, OciConfig } from '../../src/config/types';
import { cgroupDirs, isRoot, ROOT, runts, traces, useSandbox } from '../helpers/sandbox';

function waitFor(check: () => boolean, ms = 5000): void {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function status(id: string): string {
  return JSON.parse(runts(['state', id]).stdout).status;
}

function record(id: string): { runts: { needsNodeFor: string[] } } {
  return JSON.parse(readFileSync(path.join(ROOT, id, 'state.json'), 'utf8'));
}

/** The pid in a state document a hook saved. */
function pidIn(stateFile: string): number {
  return JSON.parse(readFileSync(stateFile, 'utf8')).pid;
}

describe.skipIf(!isRoot)('hooks', () => {
  const sb = useSandbox();

  /** A host shell script, executable, in the sandbox. */
  function script(name: string, body: string): string {
    const file = path.join(sb.dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  function out(name: string): string {
    return path.join(sb.dir, name);
  }

  function read(name: string): string {
    return readFileSync(out(name), 'utf8');
  }

  function withHooks(hooks: OciConfig['hooks']): (c: OciConfig) => void {
    return (c) => {
      c.hooks = hooks;
    };
  }

  it('prestart and createRuntime run in the runtime namespace, with the container process alive, in its cgroups, before pivot_root', () => {
    const id = sb.id();
    const dir = sb.dir;
    const hook = script(
      'runtime.sh',
      `kind=$1
cat > ${dir}/$kind.state
pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' ${dir}/$kind.state)
readlink /proc/self/ns/mnt > ${dir}/$kind.selfmnt
readlink /proc/$pid/ns/mnt > ${dir}/$kind.pidmnt
cat /proc/$pid/cgroup > ${dir}/$kind.cgroup
echo $kind >> ${dir}/order`,
    );
    const bundle = sb.bundle(
      id,
      ['sleep', '60'],
      withHooks({ prestart: [{ path: hook, args: ['runtime.sh', 'prestart'] }], createRuntime: [{ path: hook, args: ['runtime.sh', 'createRuntime'] }] }),
    );
    expect(runts(['create', '--bundle', bundle, id])).toMatchObject({ code: 0, stderr: '' });
    const state = JSON.parse(runts(['state', id]).stdout);
    expect(read('order')).toBe('prestart\ncreateRuntime\n');
    for (const kind of ['prestart', 'createRuntime']) {
      const seen = JSON.parse(read(`${kind}.state`));
      expect(seen).toEqual({ ociVersion: state.ociVersion, id, status: 'creating', pid: state.pid, bundle });
      // The runtime's mount namespace (the host's), not the container's.
      expect(read(`${kind}.selfmnt`)).toBe(`${readlinkSync('/proc/self/ns/mnt')}\n`);
      expect(read(`${kind}.pidmnt`)).toBe(`${readlinkSync(`/proc/${state.pid}/ns/mnt`)}\n`);
      expect(read(`${kind}.pidmnt`)).not.toBe(read(`${kind}.selfmnt`));
      // Already in the container's cgroups.
      expect(read(`${kind}.cgroup`)).toContain(`/runts-test/${id}`);
    }
    // Nothing of the hooks stays in the state directory but the record of
    // what runs later (there is none here).
    expect(record(id).runts.needsNodeFor).toEqual([]);
    expect(existsSync(path.join(ROOT, id, 'hooks.json'))).toBe(false);
  });

  it('createContainer runs in the container mount namespace after the mounts, before pivot_root', () => {
    const id = sb.id();
    const dir = sb.dir;
    const hook = script(
      'cc.sh',
      `cat > ${dir}/cc.state
readlink /proc/self/ns/mnt > ${dir}/cc.mnt
# Before pivot_root: the host's tree is still "/", the rootfs is below it, with its mounts.
ls "$1/bin/busybox" > ${dir}/cc.rootfs
test -e "$1/proc/self/stat" && echo proc-mounted >> ${dir}/cc.rootfs
readlink /proc/self/ns/pid > ${dir}/cc.pidns`,
    );
    const bundle = sb.bundle(id, ['sleep', '60']);
    const rootfs = path.join(bundle, 'rootfs');
    const config = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as OciConfig;
    config.hooks = { createContainer: [{ path: hook, args: ['cc.sh', rootfs] }] };
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    expect(runts(['create', '--bundle', bundle, id])).toMatchObject({ code: 0, stderr: '' });
    const state = JSON.parse(runts(['state', id]).stdout);
    expect(JSON.parse(read('cc.state'))).toMatchObject({ id, status: 'creating', pid: state.pid, bundle });
    expect(read('cc.mnt')).toBe(`${readlinkSync(`/proc/${state.pid}/ns/mnt`)}\n`);
    expect(read('cc.mnt')).not.toBe(`${readlinkSync('/proc/self/ns/mnt')}\n`);
    expect(read('cc.rootfs')).toBe(`${rootfs}/bin/busybox\nproc-mounted\n`);
    // It runs in the container's pid namespace too.
    expect(read('cc.pidns')).toBe(`${readlinkSync(`/proc/${state.pid}/ns/pid`)}\n`);
  });

  it('startContainer runs inside the container root after start, before the process; poststart once it runs; poststop after delete', () => {
    const id = sb.id();
    const dir = sb.dir;
    const bundle = sb.bundle(id, ['sh', '-c', 'cat /hook-ran > /seen-by-process; exec sleep 60'], (c) => (c.root!.readonly = false));
    const rootfs = path.join(bundle, 'rootfs');
    // A path that exists only inside the container's root.
    writeFileSync(path.join(rootfs, 'start-hook'), '#!/bin/sh\ncat > /start-state\necho "$1" > /hook-ran\n');
    chmodSync(path.join(rootfs, 'start-hook'), 0o755);
    expect(existsSync('/start-hook')).toBe(false);
    const poststart = script(
      'poststart.sh',
      `cat > ${dir}/poststart.state
pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' ${dir}/poststart.state)
tr '\\0' ' ' < /proc/$pid/cmdline > ${dir}/poststart.cmdline`,
    );
    const poststop = script(
      'poststop.sh',
      `cat > ${dir}/poststop.state
test -e ${ROOT}/$1 && echo present > ${dir}/poststop.dir || echo gone > ${dir}/poststop.dir
ls -d /sys/fs/cgroup/*/runts-test/$1 /sys/fs/cgroup/runts-test/$1 2>/dev/null | wc -l > ${dir}/poststop.cgroups`,
    );
    const config = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as OciConfig;
    config.hooks = {
      startContainer: [{ path: '/start-hook', args: ['start-hook', 'from-hook'], env: ['PATH=/bin'] }],
      poststart: [{ path: poststart }],
      poststop: [{ path: poststop, args: ['poststop.sh', id] }],
    };
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    expect(runts(['create', '--bundle', bundle, id])).toMatchObject({ code: 0, stderr: '' });
    expect(record(id).runts.needsNodeFor).toEqual(['start', 'delete']);
    const pid = JSON.parse(runts(['state', id]).stdout).pid;
    expect(existsSync(path.join(rootfs, 'hook-ran'))).toBe(false);
    expect(existsSync(out('poststart.state'))).toBe(false);

    expect(runts(['start', id])).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(readFileSync(path.join(rootfs, 'start-state'), 'utf8'))).toMatchObject({ id, status: 'created', pid, bundle });
    expect(readFileSync(path.join(rootfs, 'hook-ran'), 'utf8')).toBe('from-hook\n');
    // poststart ran before start returned, once the program was executing.
    expect(JSON.parse(read('poststart.state'))).toMatchObject({ id, status: 'running', pid });
    expect(read('poststart.cmdline')).toMatch(/^(sh -c .*|sleep 60 )$/);
    waitFor(() => existsSync(path.join(rootfs, 'seen-by-process')));
    expect(readFileSync(path.join(rootfs, 'seen-by-process'), 'utf8')).toBe('from-hook\n');
    expect(existsSync(path.join(ROOT, id, 'start.fifo'))).toBe(false);
    expect(existsSync(out('poststop.state'))).toBe(false);

    expect(runts(['kill', id, 'KILL'])).toMatchObject({ code: 0 });
    waitFor(() => status(id) === 'stopped');
    expect(runts(['delete', id])).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(read('poststop.state'))).toMatchObject({ id, status: 'stopped', bundle });
    expect(read('poststop.dir')).toBe('gone\n');
    expect(read('poststop.cgroups').trim()).toBe('0');
    expect(traces(id)).toEqual([]);
  });

  it('hooks of a kind run in order, with argv (args[0] included) and envp exactly as given', () => {
    const dir = sb.dir;
    const hook = (tag: string): Hook => ({
      path: '/bin/sh',
      // The shell's own pid as the host's /proc sees it (a createContainer
      // hook is in the container's pid namespace): the parent of cut.
      args: [`argv0-${tag}`, '-c', `p=$(cut -d' ' -f4 /proc/self/stat); tr '\\0' '|' < /proc/$p/cmdline >> ${dir}/argv; echo >> ${dir}/argv; tr '\\0' '|' < /proc/$p/environ >> ${dir}/env; echo >> ${dir}/env`, 'x y'],
      env: [`TAG=${tag}`, 'SPACED=a b', 'TAG=again'],
    });
    const r = sb.run(['true'], withHooks({ createRuntime: [hook('1'), hook('2')], createContainer: [hook('3')] }));
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const argv = read('argv').trim().split('\n');
    expect(argv).toEqual([1, 2, 3].map((n) => `argv0-${n}|-c|${hook(String(n)).args![2]}|x y|`));
    expect(read('env').trim().split('\n')).toEqual([1, 2, 3].map((n) => `TAG=${n}|SPACED=a b|TAG=again|`));
  });

  it('without env a runtime hook gets the runtime environment, a container one the process env; without args, argv is [path]', () => {
    const dir = sb.dir;
    const hook = script('noargs.sh', `tr '\\0' '|' < /proc/$$/cmdline > ${dir}/argv; printf '%s' "$RUNTS_HOOK_TEST" > ${dir}/env`);
    const inner = { path: '/bin/sh', args: ['sh', '-c', 'printf "%s|%s" "$MARK" "$RUNTS_HOOK_TEST" > /env-seen'] };
    const id = sb.id();
    const bundle = sb.bundle(id, ['true'], (c) => {
      c.root!.readonly = false;
      c.process!.env = ['PATH=/bin', 'MARK=process-env'];
      c.hooks = { createRuntime: [{ path: hook }], startContainer: [inner] };
    });
    const r = runts(['run', '--bundle', bundle, id], { env: { RUNTS_HOOK_TEST: 'from-caller' } });
    expect(r.code).toBe(0);
    // The script's interpreter line: sh gets the path as its argument.
    expect(read('argv')).toBe(`/bin/sh|${hook}|`);
    expect(read('env')).toBe('from-caller');
    expect(readFileSync(path.join(bundle, 'rootfs', 'env-seen'), 'utf8')).toBe('process-env|');
  });

  it('hook output goes nowhere near the container stdio', () => {
    const hook = script('noisy.sh', 'echo LEAK-OUT; echo LEAK-ERR >&2');
    const r = sb.run(
      ['sh', '-c', 'echo container'],
      withHooks({
        prestart: [{ path: hook }],
        createRuntime: [{ path: hook }],
        createContainer: [{ path: hook }],
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo LEAK-OUT; echo LEAK-ERR >&2'] }],
        poststart: [{ path: hook }],
        poststop: [{ path: hook }],
      }),
    );
    expect(r).toMatchObject({ code: 0, stdout: 'container\n' });
    expect(r.stderr).not.toContain('LEAK');
  });

  it('a hook past its timeout is killed and fails create, leaving nothing behind', () => {
    const id = sb.id();
    const dir = sb.dir;
    const hook = script('hang.sh', `echo $$ > ${dir}/hang.pid\ncat > ${dir}/hang.state\nsleep 30 &\necho $! > ${dir}/child.pid\nwait`);
    const bundle = sb.bundle(id, ['true'], withHooks({ createRuntime: [{ path: hook, timeout: 1 }] }));
    const started = Date.now();
    const r = runts(['create', '--bundle', bundle, id]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`hook hooks.createRuntime[0] (${hook}) did not finish within its timeout of 1 s and was killed`);
    expect(traces(id)).toEqual([]);
    // The hook, what it started and the container process are gone.
    for (const pid of [Number(read('hang.pid')), Number(read('child.pid')), pidIn(out('hang.state'))]) {
      waitFor(() => !alive(pid));
    }
  });

  it('a createContainer hook past its timeout fails create the same way', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['true'], withHooks({ createContainer: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }));
    const r = runts(['create', '--bundle', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hook hooks.createContainer[0] (/bin/sleep) did not finish within its timeout of 1 s and was killed');
    expect(traces(id)).toEqual([]);
  });

  for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
    it(`a failing ${kind} hook fails create, names the hook, and leaves nothing (poststop hooks run)`, () => {
      const id = sb.id();
      const dir = sb.dir;
      const ok = script('ok.sh', `echo "$1" >> ${dir}/ran`);
      const bad = script('bad.sh', `cat > ${dir}/bad.state\necho "it went wrong" >&2\nexit 3`);
      const poststop = script('poststop.sh', `cat > ${dir}/poststop.state`);
      const bundle = sb.bundle(
        id,
        ['true'],
        withHooks({ [kind]: [{ path: ok, args: ['ok', 'first'] }, { path: bad }, { path: ok, args: ['ok', 'never'] }], poststop: [{ path: poststop }] }),
      );
      const r = runts(['create', '--bundle', bundle, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`hook hooks.${kind}[1] (${bad}) exited with status 3; stderr: it went wrong`);
      expect(read('ran')).toBe('first\n');
      expect(traces(id)).toEqual([]);
      waitFor(() => !alive(pidIn(out('bad.state'))));
      expect(JSON.parse(read('poststop.state'))).toMatchObject({ id, status: 'stopped' });
    });
  }

  it('a hook that cannot be executed fails create with the reason', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['true'], withHooks({ createRuntime: [{ path: '/nonexistent/hook' }] }));
    const r = runts(['create', '--bundle', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hook hooks.createRuntime[0] (/nonexistent/hook) could not be started: No such file or directory');
    expect(traces(id)).toEqual([]);
  });

  it('a failing startContainer hook fails start and stops the container; delete removes it', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['sh', '-c', 'echo should-not-run > /ran; sleep 60'], withHooks({ startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo nope >&2; exit 4'] }] }));
    expect(runts(['create', '--bundle', bundle, id])).toMatchObject({ code: 0 });
    const r = runts(['start', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`container "${id}" did not start: hook hooks.startContainer[0] (/bin/sh) exited with status 4; stderr: nope`);
    waitFor(() => status(id) === 'stopped');
    expect(existsSync(path.join(bundle, 'rootfs', 'ran'))).toBe(false);
    expect(runts(['delete', id])).toMatchObject({ code: 0 });
    expect(traces(id)).toEqual([]);
  });

  it('poststart of a program that exits at once still gets its pid', () => {
    const id = sb.id();
    const dir = sb.dir;
    const hook = script('ps.sh', `cat > ${dir}/ps.state`);
    const bundle = sb.bundle(id, ['true'], withHooks({ poststart: [{ path: hook }] }));
    expect(runts(['create', '--bundle', bundle, id])).toMatchObject({ code: 0 });
    const pid = JSON.parse(runts(['state', id]).stdout).pid;
    expect(runts(['start', id])).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(read('ps.state'))).toMatchObject({ status: 'running', pid });
  });

  it('a failing poststart hook is a warning: start succeeds, the rest run, the container runs', () => {
    const id = sb.id();
    const dir = sb.dir;
    const ok = script('ok.sh', `echo ran >> ${dir}/after`);
    const bundle = sb.bundle(id, ['sleep', '60'], withHooks({ poststart: [{ path: '/bin/false' }, { path: ok }] }));
    expect(runts(['create', '--bundle', bundle, id])).toMatchObject({ code: 0 });
    const r = runts(['start', id]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('runts: warning: hook hooks.poststart[0] (/bin/false) exited with status 1');
    expect(read('after')).toBe('ran\n');
    expect(status(id)).toBe('running');
  });

  it('a failing poststop hook is a warning: delete succeeds and removes everything', () => {
    const id = sb.id();
    const dir = sb.dir;
    const ok = script('ok.sh', `echo ran >> ${dir}/after`);
    const bundle = sb.bundle(id, ['true'], withHooks({ poststop: [{ path: '/bin/false' }, { path: ok }] }));
    expect(runts(['create', '--bundle', bundle, id])).toMatchObject({ code: 0 });
    const r = runts(['delete', '--force', id]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('runts: warning: hook hooks.poststop[0] (/bin/false) exited with status 1');
    expect(read('after')).toBe('ran\n');
    expect(traces(id)).toEqual([]);
  });

  it('the native launcher hands start and delete to Node only for containers whose record says so', () => {
    const dir = sb.dir;
    const plain = sb.id();
    expect(runts(['create', '--bundle', sb.bundle(plain, ['sleep', '60']), plain])).toMatchObject({ code: 0 });
    expect(record(plain).runts.needsNodeFor).toEqual([]);
    const onlyStop = sb.id();
    const hook = script('stop.sh', `echo "$1" >> ${dir}/stopped`);
    expect(runts(['create', '--bundle', sb.bundle(onlyStop, ['sleep', '60'], withHooks({ poststop: [{ path: hook, args: ['stop.sh', onlyStop] }] })), onlyStop])).toMatchObject({ code: 0 });
    expect(record(onlyStop).runts.needsNodeFor).toEqual(['delete']);
    // start stays native (nothing to run), delete goes to Node, which runs the hook.
    expect(runts(['start', onlyStop])).toMatchObject({ code: 0 });
    expect(runts(['delete', '--force', onlyStop])).toMatchObject({ code: 0 });
    expect(read('stopped')).toBe(`${onlyStop}\n`);
    // Without Node nothing would have run the hook: the native verbs refuse to.
    const again = sb.id();
    expect(runts(['create', '--bundle', sb.bundle(again, ['sleep', '60'], withHooks({ poststop: [{ path: hook, args: ['stop.sh', again] }] })), again])).toMatchObject({ code: 0 });
    const bad = runts(['delete', '--force', again], { env: { RUNTS_NODE: '/nonexistent/node' } });
    expect(bad.code).not.toBe(0);
    expect(existsSync(path.join(ROOT, again))).toBe(true);
    expect(runts(['delete', '--force', plain], { env: { RUNTS_NODE: '/nonexistent/node' } })).toMatchObject({ code: 0 });
    expect(cgroupDirs(plain)).toEqual([]);
  });

  it('create still refuses a relative hook path and a bad timeout, with their JSON paths', () => {
    const id = sb.id();
    const bundle = sb.bundle(id, ['true'], withHooks({ createRuntime: [{ path: 'relative/hook' }], poststop: [{ path: '/bin/true', timeout: 0 }] }));
    const r = runts(['create', '--bundle', bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hooks.createRuntime[0].path');
    expect(r.stderr).toContain('hooks.poststop[0].timeout');
    expect(traces(id)).toEqual([]);
  });

  it('features lists every hook kind', () => {
    expect(JSON.parse(runts(['features']).stdout).hooks).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  });
});
