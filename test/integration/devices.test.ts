// The device cgroup is a security boundary: a device node in the image (or
// one made with CAP_MKNOD) must not open the host's device. These tests make
// real containers, try exactly that, and compare the host's devices.list with
// what runc 1.1.5 writes for the same bundle. The v2 eBPF program is also
// loaded and attached for real here, on the unified hierarchy of this hybrid
// host (the kernel runs it for every process in that cgroup whatever the v1
// controllers say), by a process of the test's own.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planDeviceRules, type DeviceRule } from '../../src/cgroups/devices';
import { applyDevicesV2 } from '../../src/cgroups/devices-v2';
import { hostLayout } from '../../src/cgroups/layout';
import type { OciConfig } from '../../src/config/types';
import { native } from '../../src/native/binding';
import { CGROUP_PARENT, isRoot, runts, useSandbox, traces } from '../helpers/sandbox';

const RUNC = '/usr/sbin/runc';
const hasRunc = existsSync(RUNC) && /runc version 1\.1\.5/.test(spawnSync(RUNC, ['--version'], { encoding: 'utf8' }).stdout ?? '');
const devicesHierarchy = hostLayout().hierarchies.find((h) => h.version === 1 && h.controllers.includes('devices'));
const unified = hostLayout().hierarchies.find((h) => h.version === 2);

/**
 * A host device outside the default allow list that this test process can
 * open: the control that shows a denial comes from the container's device
 * cgroup, not from the host (this machine's own confinement refuses /dev/vda).
 */
function hostDevice(paths: string[], kind: 'char' | 'block'): { path: string; major: number; minor: number } | undefined {
  for (const p of paths) {
    try {
      const st = statSync(p);
      if (!(kind === 'char' ? st.isCharacterDevice() : st.isBlockDevice())) continue;
      closeSync(openSync(p, 'r'));
      return { path: p, major: Math.floor(st.rdev / 256) & 0xfff, minor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) };
    } catch {
      // not on this host, or not openable here
    }
  }
  return undefined;
}
// Devices a container's root may open without capabilities (not /dev/kmsg,
// whose read needs CAP_SYSLOG and would fail with EPERM anyway).
const VCS = hostDevice(['/dev/vcs', '/dev/tty0', '/dev/loop-control'], 'char');
const DISK = hostDevice(['/dev/vda', '/dev/sda', '/dev/nvme0n1', '/dev/xvda', '/dev/loop0'], 'block');

function mknod(file: string, kind: 'c' | 'b', dev: { major: number; minor: number }): void {
  const r = spawnSync('mknod', ['-m', '0666', file, kind, String(dev.major), String(dev.minor)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mknod ${file}: ${r.stderr}`);
}

const withMknod = (c: OciConfig) => {
  for (const set of ['bounding', 'effective', 'permitted'] as const) c.process!.capabilities![set]!.push('CAP_MKNOD');
  c.root!.readonly = false;
};

/** One line per path: "ok", or the error the open gave (busybox's words). */
const probeScript = (paths: string[], mode: '<' | '<>' = '<') =>
  paths.map((p) => `if (exec 3${mode}${p}) 2>/dev/null; then echo "${p} ok"; else echo "${p} $( (exec 3${mode}${p}) 2>&1 | sed 's/.*: //')"; fi`).join('; ');

function lines(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]),
  );
}

describe.skipIf(!isRoot || !devicesHierarchy)('device cgroup (v1, real containers)', () => {
  const sb = useSandbox();

  it.skipIf(!VCS)('a device node shipped in the image does not open the host device (EPERM)', () => {
    const shipped = ['/shipped-char', ...(DISK ? ['/shipped-disk'] : [])];
    const attempt = (edit: (c: OciConfig) => void = () => {}) => {
      const id = sb.id('dv');
      const bundle = sb.bundle(id, ['sh', '-c', probeScript(shipped)], edit);
      const rootfs = path.join(bundle, 'rootfs');
      mknod(path.join(rootfs, 'shipped-char'), 'c', VCS!);
      if (DISK) mknod(path.join(rootfs, 'shipped-disk'), 'b', DISK);
      const r = runts(['run', '-b', bundle, id]);
      expect(r.stderr).toBe('');
      expect(traces(id)).toEqual([]);
      return lines(r.stdout);
    };
    expect(attempt()).toEqual({ '/shipped-char': 'Operation not permitted', ...(DISK ? { '/shipped-disk': 'Operation not permitted' } : {}) });
    // Control: the same nodes open once a rule allows them, so the EPERM was the device cgroup's.
    const allowed = attempt((c) => {
      c.linux!.resources = {
        devices: [
          { allow: true, type: 'c', major: VCS!.major, minor: VCS!.minor, access: 'r' },
          ...(DISK ? [{ allow: true, type: 'b', major: DISK.major, minor: DISK.minor, access: 'r' }] : []),
        ],
      };
    });
    expect(allowed).toEqual({ '/shipped-char': 'ok', ...(DISK ? { '/shipped-disk': 'ok' } : {}) });
  });

  it('mknod with CAP_MKNOD succeeds (as with runc) but the node does not open', () => {
    const blk = DISK ? `mknod /dev/blk b ${DISK.major} ${DISK.minor} && ` : '';
    const script = `mknod /dev/lc c 10 237 && ${blk}${probeScript(['/dev/lc', ...(DISK ? ['/dev/blk'] : [])], '<')}`;
    expect(lines(sb.sh(script, withMknod))).toEqual({ '/dev/lc': 'Operation not permitted', ...(DISK ? { '/dev/blk': 'Operation not permitted' } : {}) });
    // Control: allowed, they open.
    const allowed = sb.sh(script, (c) => {
      withMknod(c);
      c.linux!.resources = { devices: [{ allow: true, type: 'c', major: 10, minor: 237, access: 'r' }, { allow: true, type: 'b', access: 'r' }] };
    });
    expect(lines(allowed)).toEqual({ '/dev/lc': 'ok', ...(DISK ? { '/dev/blk': 'ok' } : {}) });
  });

  it('is applied in create, before the init joins the cgroup (and says what it cost with --debug)', () => {
    const id = sb.id('dv');
    const log = path.join(sb.dir, 'create.log');
    expect(runts(['--debug', '--log', log, 'create', '-b', sb.bundle(id, ['true']), id]).code).toBe(0);
    const text = readFileSync(log, 'utf8');
    const line = /device cgroup v1 ([^:]*): 11 rules, 12 writes, [\d.]+ ms/.exec(text);
    expect(line?.[1]).toBe(path.join(devicesHierarchy!.mountPoint, CGROUP_PARENT, id));
    // Before the launch: the init is moved into the cgroups by the launch step.
    expect(text.indexOf('device cgroup v1')).toBeLessThan(text.indexOf('launch: '));
    console.log(line?.[0]);
    expect(runts(['delete', '--force', id]).code).toBe(0);
  });

  it('the standard devices work', () => {
    const out = sb.sh(`${probeScript(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/ptmx', '/dev/tty'], '<>')}; echo "read $(head -c 4 /dev/urandom | wc -c)"`);
    expect(lines(out)).toEqual({
      '/dev/null': 'ok',
      '/dev/zero': 'ok',
      '/dev/full': 'ok',
      '/dev/random': 'ok',
      '/dev/urandom': 'ok',
      '/dev/ptmx': 'ok',
      // No controlling terminal: the tty driver says so, after the device cgroup let it through.
      '/dev/tty': 'No such device or address',
      read: '4',
    });
  });

  it('a linux.resources.devices allow rule makes one device openable, and only for its access', () => {
    const out = sb.sh(`mknod /dev/lc c 10 237 && ${probeScript(['/dev/lc'], '<')} && ${probeScript(['/dev/lc'], '<>')}`, (c) => {
      withMknod(c);
      c.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 237, access: 'r' }] };
    });
    expect(out).toBe('/dev/lc ok\n/dev/lc Operation not permitted\n');
  });

  it('a deny rule for /dev/null takes effect when linux.devices defines /dev/null (runc\'s order otherwise re-allows it)', () => {
    const denyNull = { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' };
    const denied = sb.run(['sh', '-c', probeScript(['/dev/null'], '<>')], (c) => {
      c.linux!.devices = [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666 }];
      c.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, denyNull] };
    });
    expect(denied.stdout).toBe('/dev/null Operation not permitted\n');
    const reallowed = sb.sh(probeScript(['/dev/null'], '<>'), (c) => {
      c.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, denyNull] };
    });
    expect(reallowed).toBe('/dev/null ok\n');
  });

  it('a linux.devices node is openable (/dev/fuse)', () => {
    const out = sb.sh(probeScript(['/dev/fuse'], '<>'), (c) => {
      c.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }];
    });
    expect(out).toBe('/dev/fuse ok\n');
  });

  it.skipIf(!VCS)('in a user namespace too', () => {
    const id = sb.id('dv');
    const bundle = sb.bundle(id, ['sh', '-c', `${probeScript(['/dev/null', '/dev/urandom'], '<>')}; ${probeScript(['/shipped-char'])}; cat /proc/self/uid_map`], (c) => {
      c.linux!.namespaces!.push({ type: 'user' });
      c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    const rootfs = path.join(bundle, 'rootfs');
    mknod(path.join(rootfs, 'shipped-char'), 'c', VCS!);
    chmodSync(rootfs, 0o755);
    expect(runts(['create', '-b', bundle, id]).code).toBe(0);
    const list = readFileSync(path.join(devicesHierarchy!.mountPoint, CGROUP_PARENT, id, 'devices.list'), 'utf8');
    expect(list).toBe(planDeviceRules({ ociVersion: '1.2.0' } as OciConfig).map((r) => `${ruleLine(r)}\n`).join(''));
    expect(runts(['start', id]).code).toBe(0);
    for (let i = 0; i < 200 && JSON.parse(runts(['state', id]).stdout).status !== 'stopped'; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    expect(runts(['delete', id]).code).toBe(0);
  });
});

const ruleLine = (r: DeviceRule) => `${r.type} ${r.major < 0 ? '*' : r.major}:${r.minor < 0 ? '*' : r.minor} ${r.access}`;

describe.skipIf(!isRoot || !devicesHierarchy || !hasRunc)('devices.list is what runc 1.1.5 writes for the same bundle', () => {
  const sb = useSandbox();
  let runcRoot: string;
  beforeEach(() => {
    runcRoot = path.join(sb.dir, 'runc-root');
  });

  /** devices.list of a created container, read from the host, then the container is deleted. */
  function listOf(runtime: 'runc' | 'runts', edit: (c: OciConfig) => void): string {
    const id = sb.id(`dv-${runtime}`);
    const bundle = sb.bundle(id, ['true'], edit);
    const dir = path.join(devicesHierarchy!.mountPoint, CGROUP_PARENT, id);
    if (runtime === 'runts') {
      const r = runts(['create', '-b', bundle, id]);
      expect(r.stderr).toBe('');
      try {
        return readFileSync(path.join(dir, 'devices.list'), 'utf8');
      } finally {
        runts(['delete', '--force', id]);
      }
    }
    // stderr to a file: the created container's init keeps a pipe open.
    const errFile = path.join(sb.dir, `${id}.err`);
    const run = (args: string[]) => {
      const fd = openSync(errFile, 'w');
      try {
        return spawnSync(RUNC, ['--root', runcRoot, ...args], { timeout: 20_000, stdio: ['ignore', 'ignore', fd] }).status;
      } finally {
        closeSync(fd);
      }
    };
    try {
      expect(run(['create', '-b', bundle, id])).toBe(0);
      expect(readFileSync(errFile, 'utf8')).toBe('');
      return readFileSync(path.join(dir, 'devices.list'), 'utf8');
    } finally {
      run(['delete', '--force', id]);
      // runc removes its cgroups at delete; make sure, in every hierarchy.
      for (const h of hostLayout().hierarchies) {
        const d = path.join(h.mountPoint, CGROUP_PARENT, id);
        if (existsSync(d)) rmdirSync(d);
      }
    }
  }

  const bundles: Record<string, (c: OciConfig) => void> = {
    'no rules (runts spec)': () => {},
    'runc spec: deny all': (c) => (c.linux!.resources = { devices: [{ allow: false, access: 'rwm' }] }),
    'an allow rule, a partial one and a wildcard': (c) =>
      (c.linux!.resources = {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 10, minor: 237, access: 'rw' },
          { allow: true, type: 'b', major: 7, access: 'r' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
        ],
      }),
    'a deny of a default device (re-allowed by the defaults)': (c) =>
      (c.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: false, type: 'c', major: 5, minor: 2, access: 'rwm' }] }),
    'an engine\'s --device (node and rule)': (c) => {
      c.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }];
      c.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }] };
    },
    'privileged: allow all': (c) => (c.linux!.resources = { devices: [{ allow: true, access: 'rwm' }] }),
  };
  for (const [name, edit] of Object.entries(bundles)) {
    it(name, () => {
      const runc = listOf('runc', edit);
      expect(listOf('runts', edit)).toBe(runc);
    });
  }

  it('the one difference: a linux.devices node without a rule is allowed by runts, refused by runc', () => {
    const edit = (c: OciConfig) => (c.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }]);
    const runc = listOf('runc', edit);
    expect(listOf('runts', edit)).toBe(runc.replace('c 10:200 rwm\n', 'c 10:200 rwm\nc 10:229 rwm\n'));
  });
});

describe.skipIf(!isRoot || !unified)('the eBPF device program, loaded and attached (unified hierarchy)', () => {
  const dir = unified ? path.join(unified.mountPoint, path.relative(unified.mountRoot, path.join(CGROUP_PARENT, `dv-bpf-${process.pid}`))) : '';
  beforeEach(() => mkdirSync(dir, { recursive: true }));
  afterEach(() => {
    // rmdir releases the programs attached to the cgroup.
    if (existsSync(dir)) rmdirSync(dir);
  });

  /** Opens each path from a process placed in the cgroup; "ok" or the error. */
  function openInCgroup(paths: string[]): Record<string, string> {
    const r = spawnSync('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && ${probeScript(paths, '<>')}`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return lines(r.stdout.replace(/can't open '[^']*': /g, ''));
  }

  it('denies what the rules deny (EPERM), allows the rest, replaces an earlier program, and reports the verifier', () => {
    const bpf = native();
    expect(bpf.bpfQueryDevicePrograms(dir)).toEqual([]);
    const rules = planDeviceRules({ ociVersion: '1.2.0' } as OciConfig);
    const started = performance.now();
    expect(applyDevicesV2(dir, rules, bpf)).toEqual({ insns: 64, detached: [] });
    const ms = performance.now() - started;
    const first = bpf.bpfQueryDevicePrograms(dir);
    expect(first).toHaveLength(1);
    expect(openInCgroup(['/dev/null', '/dev/zero', '/dev/loop-control', ...(VCS ? [VCS.path] : [])])).toEqual({
      '/dev/null': 'ok',
      '/dev/zero': 'ok',
      '/dev/loop-control': 'Operation not permitted',
      ...(VCS ? { [VCS.path]: 'Operation not permitted' } : {}),
    });
    // A second program replaces the first: /dev/loop-control allowed, /dev/zero denied.
    const updated = planDeviceRules({
      ociVersion: '1.2.0',
      linux: { resources: { devices: [{ allow: true, type: 'c', major: 10, minor: 237, access: 'rw' }] } },
    } as OciConfig).filter((r) => !(r.major === 1 && r.minor === 5));
    expect(applyDevicesV2(dir, updated, bpf).detached).toEqual(first);
    const second = bpf.bpfQueryDevicePrograms(dir);
    expect(second).toHaveLength(1);
    expect(second).not.toEqual(first);
    expect(openInCgroup(['/dev/null', '/dev/zero', '/dev/loop-control'])).toEqual({
      '/dev/null': 'ok',
      '/dev/zero': 'Operation not permitted',
      '/dev/loop-control': 'ok',
    });
    // A program the verifier refuses (r0 never set) fails with its log.
    expect(() => bpf.bpfLoadDeviceProgram(new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]), 'Apache')).toThrow(/bpf BPF_PROG_LOAD: Permission denied: verifier log: .*R0 !read_ok/s);
    console.log(`device program of ${rules.length} rules: query + load + attach + detach in ${ms.toFixed(2)} ms`);
  });

  it.skipIf(!DISK)('a process in the cgroup cannot read a host block device through a node of its own', () => {
    applyDevicesV2(dir, planDeviceRules({ ociVersion: '1.2.0' } as OciConfig), native());
    const node = path.join('/tmp', `dv-disk-${process.pid}`);
    mknod(node, 'b', DISK!);
    try {
      closeSync(openSync(node, 'r')); // control: outside the cgroup it opens
      expect(openInCgroup([node])).toEqual({ [node]: 'Operation not permitted' });
    } finally {
      rmSync(node);
    }
  });
});
