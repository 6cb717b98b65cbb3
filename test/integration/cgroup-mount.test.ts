// The container sees its own cgroup: the runtime-spec default mount
// {"destination": "/sys/fs/cgroup", "type": "cgroup", ...} gives, with a
// cgroup namespace, a mount of each hierarchy whose root is the container's
// cgroup (v1: a tmpfs with one cgroup mount per hierarchy and, on a hybrid
// host, cgroup2 at unified; v2: cgroup2), and without one binds of the
// container's cgroup directories. Expectations come from the host's layout
// (src/cgroups/layout.ts), so the file holds on v1, hybrid and v2 hosts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostLayout, parseProcCgroup, type CgroupHierarchy } from '../../src/cgroups/layout';
import { placeContainer } from '../../src/cgroups/placement';
import type { OciConfig } from '../../src/config/types';
import { CGROUP_PARENT, isRoot, runts, Sandbox, traces } from '../helpers/sandbox';

const layout = hostLayout();
const v2 = layout.mode === 'v2';
const MEMORY = 64 * 1024 * 1024;
const PIDS = 77;

/** The entry under /sys/fs/cgroup of the hierarchy that has a controller (v1), "" on v2. */
function dirOf(controller: string): string | undefined {
  if (v2) return '';
  const h = layout.hierarchies.find((x) => x.version === 1 && x.controllers.includes(controller));
  return h && path.posix.basename(h.mountPoint);
}

const memoryFile = v2 ? '/sys/fs/cgroup/memory.max' : `/sys/fs/cgroup/${dirOf('memory')}/memory.limit_in_bytes`;
const pidsFile = v2 ? '/sys/fs/cgroup/pids.max' : `/sys/fs/cgroup/${dirOf('pids')}/pids.max`;

function withLimits(c: OciConfig): void {
  c.linux!.resources = { ...c.linux!.resources, memory: { limit: MEMORY }, pids: { limit: PIDS } };
}

function withoutCgroupNs(c: OciConfig): void {
  c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
}

function cgroupMount(c: OciConfig): NonNullable<OciConfig['mounts']>[number] {
  const m = c.mounts!.find((x) => x.destination === '/sys/fs/cgroup');
  if (!m) throw new Error('the template config has no /sys/fs/cgroup mount');
  return m;
}

/** The cgroup mounts of the container's own mountinfo: mount point -> [fstype, root]. */
function cgroupMounts(mountinfo: string): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const before = line.slice(0, sep).split(' ');
    const fstype = line.slice(sep + 3).split(' ')[0]!;
    if (before[4]?.startsWith('/sys/fs/cgroup')) out.set(before[4], [fstype, before[3]!]);
  }
  return out;
}

/** Runs a script in a container; its output split at the markers "==name". */
function sections(sb: Sandbox, script: string, edit: (c: OciConfig) => void): { id: string; parts: Record<string, string> } {
  const r = sb.run(['sh', '-c', script], edit);
  if (r.code !== 0) throw new Error(`container exited ${r.code}: ${r.stderr}${r.stdout}`);
  const parts: Record<string, string> = {};
  for (const chunk of r.stdout.split(/^==/m).slice(1)) {
    const nl = chunk.indexOf('\n');
    parts[chunk.slice(0, nl)] = chunk.slice(nl + 1);
  }
  return { id: r.id, parts };
}

const SCRIPT = [
  'echo ==cgroup; cat /proc/self/cgroup',
  'echo ==mountinfo; cat /proc/self/mountinfo',
  `echo ==memory; cat ${memoryFile}`,
  `echo ==pids; cat ${pidsFile}`,
  'echo ==ls; ls -1 /sys/fs/cgroup',
  `echo ==write; (echo 5 > ${pidsFile}) 2>/dev/null && echo writable || echo read-only`,
].join('; ');

function mountPointIn(h: CgroupHierarchy): string {
  return v2 ? '/sys/fs/cgroup' : `/sys/fs/cgroup/${path.posix.basename(h.mountPoint)}`;
}

describe.skipIf(!isRoot || layout.mode === 'none')(`the cgroup mount inside the container (${layout.mode} host)`, () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
  });
  afterEach(() => sb.cleanup());

  it('with a cgroup namespace: every hierarchy shows the container\'s cgroup as "/", with its limits', () => {
    const { id, parts } = sections(sb, SCRIPT, withLimits);
    // /proc/self/cgroup: the namespace's root in every hierarchy.
    const own = parseProcCgroup(parts.cgroup!);
    for (const h of layout.hierarchies) expect(own.get(h.name), h.name || 'unified').toBe('/');
    expect([...own.values()].every((p) => p === '/'), parts.cgroup).toBe(true);
    // One mount per hierarchy, each a cgroup filesystem whose root is "/" of the namespace.
    const mounts = cgroupMounts(parts.mountinfo!);
    for (const h of layout.hierarchies) {
      expect(mounts.get(mountPointIn(h)), mountPointIn(h)).toEqual([h.version === 2 ? 'cgroup2' : 'cgroup', '/']);
    }
    if (!v2) expect(mounts.get('/sys/fs/cgroup')).toEqual(['tmpfs', '/']);
    // The limits are the container's: its memory and pids files, not the host's.
    expect(Number(parts.memory!.trim())).toBe(MEMORY);
    expect(parts.pids!.trim()).toBe(String(PIDS));
    const names = parts.ls!.trim().split('\n');
    if (!v2) for (const h of layout.hierarchies) expect(names).toContain(path.posix.basename(h.mountPoint));
    // The runtime-spec default mount is read-only.
    expect(parts.write!.trim()).toBe('read-only');
    expect(traces(id)).toEqual([]);
  });

  it('without a cgroup namespace: binds of the container\'s own cgroup directories', () => {
    const { id, parts } = sections(sb, SCRIPT, (c) => {
      withLimits(c);
      withoutCgroupNs(c);
    });
    const dirs = placeContainer(layout, `${CGROUP_PARENT}/${id}`, id).dirs;
    const own = parseProcCgroup(parts.cgroup!);
    for (const d of dirs) expect(own.get(d.hierarchy), d.hierarchy || 'unified').toBe(d.cgroupPath);
    // Each mount is the container's cgroup of the host's hierarchy (its root in mountinfo).
    const mounts = cgroupMounts(parts.mountinfo!);
    for (const d of dirs) {
      const h = layout.hierarchies.find((x) => x.name === d.hierarchy)!;
      expect(mounts.get(mountPointIn(h)), mountPointIn(h)).toEqual([h.version === 2 ? 'cgroup2' : 'cgroup', d.cgroupPath]);
    }
    expect(Number(parts.memory!.trim())).toBe(MEMORY);
    expect(parts.pids!.trim()).toBe(String(PIDS));
    expect(parts.write!.trim()).toBe('read-only');
    expect(traces(id)).toEqual([]);
  });

  it('without "ro": the container may make cgroups below its own, and delete removes them', () => {
    const sub = v2 ? '/sys/fs/cgroup/sub' : `/sys/fs/cgroup/${dirOf('pids')}/sub`;
    const id = sb.id('rw');
    const bundle = sb.bundle(id, ['sh', '-c', `mkdir ${sub} && echo made; sleep 60`], (c) => {
      const m = cgroupMount(c);
      m.options = (m.options ?? []).filter((o) => o !== 'ro');
    });
    const r = runts(['run', '-d', '-b', bundle, id]);
    expect(r.code, r.stderr).toBe(0);
    const pids = placeContainer(layout, `${CGROUP_PARENT}/${id}`, id).dirs.find((d) => (v2 ? d.version === 2 : d.hierarchy.split(',').includes('pids')))!;
    const made = path.join(pids.dir, 'sub');
    let seen = false;
    for (let i = 0; i < 200 && !seen; i++) {
      try {
        readFileSync(path.join(made, 'cgroup.procs'));
        seen = true;
      } catch {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
    expect(seen).toBe(true);
    expect(runts(['delete', '--force', id]).code).toBe(0);
    expect(traces(id)).toEqual([]);
  });
});
