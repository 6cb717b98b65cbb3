// Podman 4 (conmon) driving the runtime under test (RUNTS_ENGINE_RUNTIME:
// runts, the default, or runc): the user-visible results of the engine's
// commands, each scenario its own test. See docs/engines.md.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { show, waitFor } from './helpers/exec';
import { BRIDGE_GATEWAY, IMAGE, PodmanEnv } from './helpers/podman';
import { machineGap, RUNTIME } from './helpers/runtime';

const gap = machineGap(['podman', 'conmon', 'unshare', 'script', 'ip', '/usr/lib/cni/bridge']);

describe.skipIf(gap !== undefined)(`Podman with ${RUNTIME.name} (${RUNTIME.path})`, () => {
  let pm: PodmanEnv;

  beforeAll(() => {
    pm = PodmanEnv.create(path.join(inject('templateBundle'), 'rootfs'));
  });
  afterAll(() => pm?.teardown());

  /** `podman run` with the test's cgroup parent and no network unless asked. */
  const podmanRun = (args: string[], opts: { network?: boolean; timeout?: number } = {}) =>
    pm.podman(['run', ...pm.runArgs, ...(opts.network ? [] : ['--network', 'none']), ...args], { timeout: opts.timeout });

  /** A detached `sleep` container; returns its name. */
  const detached = (tag: string, extra: string[] = [], command = ['sleep', '1000']): string => {
    const name = pm.name(tag);
    const r = podmanRun(['-d', '--name', name, ...extra, IMAGE, ...command]);
    expect(r.code, show(r)).toBe(0);
    return name;
  };

  it('uses the runtime under test', () => {
    const name = pm.name('which');
    const r = podmanRun(['--name', name, IMAGE, 'true']);
    expect(r.code, show(r)).toBe(0);
    expect(pm.inspect(name, '{{.OCIRuntime}}')).toBe(RUNTIME.name);
  });

  it('run: prints the output and returns the exit code', () => {
    const r = podmanRun(['--rm', IMAGE, 'sh', '-c', 'echo hello; exit 3']);
    expect(r.code, show(r)).toBe(3);
    expect(r.stdout).toBe('hello\n');
  });

  it('run --network none: only a loopback device', () => {
    const r = podmanRun(['--rm', IMAGE, 'sh', '-c', 'ls /sys/class/net']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim().split(/\s+/)).toEqual(['lo']);
  });

  it('run on the default bridge network: eth0 with an address, the gateway answers', () => {
    const r = pm.podmanInNetns([
      'run',
      '--rm',
      ...pm.runArgs,
      IMAGE,
      'sh',
      '-c',
      `ip -4 -o addr show eth0 && ping -c 1 -W 5 ${BRIDGE_GATEWAY}`,
    ]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/eth0\s+inet 10\.88\.\d+\.\d+\/16/);
    expect(r.stdout).toContain('1 packets received');
  });

  it('run -d: the container runs detached', () => {
    const name = detached('detach');
    expect(pm.inspect(name, '{{.State.Status}}')).toBe('running');
    const pid = Number(pm.inspect(name, '{{.State.Pid}}'));
    expect(pid).toBeGreaterThan(1);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\u00001000\u0000');
    // Podman passes no --root: the runtime under test keeps the state in its default root.
    expect(existsSync(path.join(RUNTIME.defaultRoot, pm.inspect(name, '{{.Id}}'), 'state.json'))).toBe(true);
    const ps = pm.podman(['ps', '--format', '{{.Names}} {{.Status}}']);
    expect(ps.stdout, show(ps)).toMatch(new RegExp(`^${name} Up`, 'm'));
  });

  it('exec: output and exit code of a process in a running container', () => {
    const name = detached('exec');
    const r = pm.podman(['exec', name, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; exit 5']);
    expect(r.code, show(r)).toBe(5);
    expect(r.stdout).toBe('sleep 1000 \n');
  });

  it('exec -t: the process has a terminal', () => {
    const name = detached('exect');
    const r = pm.podman(['exec', '-t', name, 'sh', '-c', 'tty && test -t 0 && test -t 1 && echo both']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r?\nboth\r?\n$/);
  });

  it('run -it: an interactive shell on a terminal', () => {
    const r = pm.podmanOnPty(['run', '--rm', '-it', ...pm.runArgs, '--network', 'none', IMAGE, 'sh'], {
      input: 'tty; echo "answer=$((6*7))"; exit 4\n',
      timeout: 60_000,
    });
    expect(r.code, show(r)).toBe(4);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.stdout).toContain('answer=42');
  });

  it('pause and unpause', () => {
    const name = detached('pause');
    const paused = pm.podman(['pause', name]);
    expect(paused.code, show(paused)).toBe(0);
    expect(pm.inspect(name, '{{.State.Status}}')).toBe('paused');
    const pid = pm.inspect(name, '{{.State.Pid}}');
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^State:\s+[DS]/m);
    const unpaused = pm.podman(['unpause', name]);
    expect(unpaused.code, show(unpaused)).toBe(0);
    expect(pm.inspect(name, '{{.State.Status}}')).toBe('running');
  });

  it('stop: SIGTERM ends a container that handles it', () => {
    const name = detached('stopterm', [], ['sh', '-c', 'trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done']);
    const r = pm.podman(['stop', '--time', '20', name]);
    expect(r.code, show(r)).toBe(0);
    expect(r.ms).toBeLessThan(15_000);
    expect(pm.inspect(name, '{{.State.ExitCode}}')).toBe('7');
    expect(pm.podman(['logs', name]).stdout).toBe('got TERM\n');
  });

  it('stop: SIGKILL after the timeout when SIGTERM is ignored', () => {
    // sleep as pid 1 has no handler for SIGTERM, so the kernel ignores it.
    const name = detached('stopkill');
    const r = pm.podman(['stop', '--time', '1', name]);
    expect(r.code, show(r)).toBe(0);
    expect(r.ms).toBeGreaterThanOrEqual(1000);
    expect(pm.inspect(name, '{{.State.Status}}')).toBe('exited');
    expect(pm.inspect(name, '{{.State.ExitCode}}')).toBe('137');
  });

  it('rm --force: a running container is gone, with its runtime state', () => {
    const name = detached('rm');
    const id = pm.inspect(name, '{{.Id}}');
    const r = pm.podman(['rm', '--force', '--time', '0', name]);
    expect(r.code, show(r)).toBe(0);
    const left = pm.podman(['ps', '--all', '--quiet', '--no-trunc']);
    expect(left.stdout).not.toContain(id);
    expect(() => readFileSync(path.join(RUNTIME.defaultRoot, id, 'state.json'))).toThrow();
  });

  it('--memory, --pids-limit, --cpus are seen from inside', () => {
    const r = podmanRun([
      '--rm',
      '--memory',
      '64m',
      '--pids-limit',
      '20',
      '--cpus',
      '0.5',
      IMAGE,
      'sh',
      '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us',
    ]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['67108864', '20', '50000', '100000']);
  });

  it('update --memory --cpus of a running container', () => {
    const name = detached('update', ['--memory', '64m', '--cpus', '0.5']);
    const r = pm.podman(['update', '--memory', '128m', '--cpus', '1.5', name]);
    expect(r.code, show(r)).toBe(0);
    // Read from the host: does not depend on exec.
    const cgroup = pm.inspect(name, '{{.State.CgroupPath}}');
    expect(readFileSync(`/sys/fs/cgroup/memory${cgroup}/memory.limit_in_bytes`, 'utf8').trim()).toBe('134217728');
    expect(readFileSync(`/sys/fs/cgroup/cpu${cgroup}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('150000');
  });

  it('--read-only: the root is read-only, /tmp is a writable tmpfs', () => {
    const r = podmanRun([
      '--rm',
      '--read-only',
      IMAGE,
      'sh',
      '-c',
      'touch /probe 2>&1; echo "root=$?"; touch /tmp/probe && echo tmp=ok; grep " /tmp " /proc/mounts | cut -d" " -f3',
    ]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('Read-only file system');
    expect(r.stdout).toContain('root=1');
    expect(r.stdout).toContain('tmp=ok\ntmpfs\n');
  });

  it('--tmpfs: a tmpfs of the given size, writable', () => {
    const r = podmanRun([
      '--rm',
      '--tmpfs',
      '/scratch:rw,size=1m,mode=1777',
      IMAGE,
      'sh',
      '-c',
      'echo x > /scratch/f && cat /scratch/f && grep " /scratch " /proc/mounts',
    ]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^x\ntmpfs \/scratch tmpfs rw,.*size=1024k/);
  });

  it('--user: the process runs as that uid and gid', () => {
    const r = podmanRun(['--rm', '--user', '65534:65534', IMAGE, 'sh', '-c', 'id -u; id -g']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe('65534\n65534\n');
  });

  it('--cap-drop ALL: no capabilities left', () => {
    const r = podmanRun(['--rm', '--cap-drop', 'ALL', IMAGE, 'sh', '-c', 'grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/CapPrm:\s+0{16}\nCapEff:\s+0{16}\nCapBnd:\s+0{16}/);
  });

  it('a missing command: exit code 127 and the name in the error', () => {
    const r = podmanRun(['--rm', IMAGE, 'nonexistent-cmd']);
    expect(r.code, show(r)).toBe(127);
    expect(r.stderr).toContain('nonexistent-cmd');
    expect(r.stderr).toMatch(/not found/);
  });

  it('healthcheck run: unhealthy, then healthy', () => {
    // No timer (no systemd here): the check runs when asked.
    const name = detached('health', ['--health-cmd', 'test -e /tmp/ready', '--health-interval', 'disable']);
    const first = pm.podman(['healthcheck', 'run', name]);
    expect(first.code, show(first)).toBe(1);
    expect(first.stdout).toContain('unhealthy');
    const touched = pm.podman(['exec', name, 'touch', '/tmp/ready']);
    expect(touched.code, show(touched)).toBe(0);
    const second = pm.podman(['healthcheck', 'run', name]);
    expect(second.code, show(second)).toBe(0);
    expect(pm.inspect(name, '{{.State.Health.Status}}')).toBe('healthy');
  });

  it('logs: the container output and nothing else', () => {
    const name = pm.name('logs');
    const r = podmanRun(['--name', name, IMAGE, 'sh', '-c', 'echo to-stdout; echo to-stderr >&2']);
    expect(r.code, show(r)).toBe(0);
    const logs = pm.podman(['logs', name]);
    expect(logs.code, show(logs)).toBe(0);
    expect(logs.stdout).toBe('to-stdout\n');
    expect(logs.stderr).toBe('to-stderr\n');
  });

  it('a pod: the infra container and a member sharing its namespaces', async () => {
    const pod = pm.name('pod');
    const created = pm.podman([
      'pod',
      'create',
      '--name',
      pod,
      '--network',
      'none',
      '--cgroup-parent',
      pm.cgroupParent,
      '--infra-image',
      IMAGE,
      '--infra-command',
      'sleep 1000000',
    ]);
    expect(created.code, show(created)).toBe(0);
    const member = pm.name('member');
    // The member writes its hostname where the host can read it: no exec needed.
    const r = pm.podman(['run', '-d', '--pod', pod, '--name', member, IMAGE, 'sh', '-c', 'hostname > /tmp/hostname; exec sleep 1000']);
    expect(r.code, show(r)).toBe(0);
    const infra = pm.inspect(pod, '{{.InfraContainerID}}');
    expect(pm.inspect(infra, '{{.State.Status}}')).toBe('running');
    const infraPid = pm.inspect(infra, '{{.State.Pid}}');
    const memberPid = pm.inspect(member, '{{.State.Pid}}');
    const ns = (pid: string, kind: string): string => readlinkSync(`/proc/${pid}/ns/${kind}`);
    for (const kind of ['net', 'uts', 'ipc']) expect(ns(memberPid, kind), kind).toBe(ns(infraPid, kind));
    expect(ns(memberPid, 'mnt')).not.toBe(ns(infraPid, 'mnt'));
    expect(await waitFor(() => existsSync(`/proc/${memberPid}/root/tmp/hostname`), 10_000)).toBe(true);
    expect(readFileSync(`/proc/${memberPid}/root/tmp/hostname`, 'utf8')).toBe(`${pod}\n`);
    const rm = pm.podman(['pod', 'rm', '--force', '--time', '0', pod]);
    expect(rm.code, show(rm)).toBe(0);
    expect(await waitFor(() => pm.podman(['ps', '-a', '--quiet', '--filter', `pod=${pod}`]).stdout === '', 10_000)).toBe(true);
  });
});

