// Which cgroup hierarchies this host has, read from /proc/self/mountinfo
// and /proc/self/cgroup. Three layouts exist in the wild:
//   v2      one unified hierarchy at /sys/fs/cgroup;
//   v1      one hierarchy per controller (or group of controllers);
//   hybrid  v1 controllers plus an empty cgroup2 (usually at
//           /sys/fs/cgroup/unified), which systemd uses for tracking.
// runts places containers in every hierarchy of the layout, hybrid
// included (crun 1.8 refuses hybrid hosts).
import { readFileSync } from 'node:fs';

export interface CgroupHierarchy {
  version: 1 | 2;
  /** "memory", "cpu,cpuacct", "name=systemd", or "" for the unified hierarchy. */
  name: string;
  controllers: string[];
  mountPoint: string;
  /** The mount's root inside the hierarchy ("/" unless it is a bind of a sub-cgroup). */
  mountRoot: string;
  /** This process's own cgroup in the hierarchy, from /proc/self/cgroup. */
  ownPath: string;
}

export interface CgroupLayout {
  mode: 'v1' | 'v2' | 'hybrid' | 'none';
  hierarchies: CgroupHierarchy[];
}

const V1_OPTION_NOISE = new Set(['rw', 'ro', 'xattr', 'noprefix', 'clone_children', 'cpuset_v2_mode', 'favordynmods']);

/** Undoes mountinfo's octal escapes (\040 for a space). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

interface CgroupMount {
  fstype: 'cgroup' | 'cgroup2';
  root: string;
  mountPoint: string;
  superOptions: string[];
}

export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const before = line.slice(0, sep).split(' ');
    const after = line.slice(sep + 3).split(' ');
    const fstype = after[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    mounts.push({
      fstype,
      root: unescape(before[3] ?? '/'),
      mountPoint: unescape(before[4] ?? ''),
      superOptions: (after[2] ?? '').split(','),
    });
  }
  return mounts;
}

/** Maps the hierarchy key ("memory", "cpu,cpuacct", "name=systemd", "") to the process's path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) paths.set(m[1] ?? '', m[2] ?? '/');
  }
  return paths;
}

function v1Name(superOptions: string[]): { name: string; controllers: string[] } {
  const controllers = superOptions.filter((o) => !V1_OPTION_NOISE.has(o) && !o.startsWith('release_agent='));
  return { name: controllers.join(','), controllers };
}

export function detectLayout(mountinfo: string, procSelfCgroup: string): CgroupLayout {
  const own = parseProcCgroup(procSelfCgroup);
  const hierarchies: CgroupHierarchy[] = [];
  const seen = new Set<string>();
  for (const m of parseCgroupMounts(mountinfo)) {
    if (m.fstype === 'cgroup2') {
      if (seen.has('')) continue;
      seen.add('');
      hierarchies.push({ version: 2, name: '', controllers: [], mountPoint: m.mountPoint, mountRoot: m.root, ownPath: own.get('') ?? '/' });
      continue;
    }
    const { name, controllers } = v1Name(m.superOptions);
    if (!name || seen.has(name)) continue;
    seen.add(name);
    hierarchies.push({ version: 1, name, controllers, mountPoint: m.mountPoint, mountRoot: m.root, ownPath: own.get(name) ?? '/' });
  }
  const hasV1 = hierarchies.some((h) => h.version === 1);
  const hasV2 = hierarchies.some((h) => h.version === 2);
  const mode = hasV1 ? (hasV2 ? 'hybrid' : 'v1') : hasV2 ? 'v2' : 'none';
  return { mode, hierarchies };
}

export function hostLayout(): CgroupLayout {
  return detectLayout(readFileSync('/proc/self/mountinfo', 'utf8'), readFileSync('/proc/self/cgroup', 'utf8'));
}
