// Cleanup of what an engine run leaves on the host when a test fails half-way:
// mounts under a test directory, processes that name it on their command line
// (conmon, containerd shims), runtime state of its containers, and the cgroups
// under the test's parent. Everything is found through the test's own
// directory or cgroup name, so nothing else on the machine is touched.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Mount points at or under dir, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (!mountPoint) continue;
    const decoded = mountPoint.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (decoded === dir || decoded.startsWith(dir + '/')) found.push(decoded);
  }
  return found.sort((a, b) => b.length - a.length);
}

export function unmountUnder(dir: string): void {
  for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m]);
}

/** Pids of the processes whose command line contains marker. */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

export function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Deletes (with `runtime --root root delete --force`) the containers in a
 * runtime state root whose state names marker (their bundle is under the
 * test's directory), then removes what is left of their state directories.
 */
export function sweepRuntimeState(runtime: string, root: string, marker: string): string[] {
  if (!existsSync(root)) return [];
  const swept: string[] = [];
  for (const id of readdirSync(root)) {
    const stateFile = path.join(root, id, 'state.json');
    let state = '';
    try {
      state = readFileSync(stateFile, 'utf8');
    } catch {
      continue;
    }
    if (!state.includes(marker)) continue;
    swept.push(id);
    spawnSync(runtime, ['--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 20_000 });
    rmSync(path.join(root, id), { recursive: true, force: true });
  }
  return swept;
}

/** The directories of cgroup (a path like /runts-test/x) in every hierarchy. */
export function cgroupDirsOf(cgroup: string): string[] {
  const dirs: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const d = path.join('/sys/fs/cgroup', h, cgroup);
    if (existsSync(d)) dirs.push(d);
  }
  const unified = path.join('/sys/fs/cgroup', cgroup);
  if (existsSync(unified) && !dirs.includes(unified)) dirs.push(unified);
  return dirs;
}

/** Removes a cgroup and its children in every hierarchy (they must be empty). */
export function removeCgroupTree(cgroup: string): void {
  for (const d of cgroupDirsOf(cgroup)) removeCgroupDir(d);
}

function removeCgroupDir(d: string): void {
  for (const e of readdirSync(d)) {
    const child = path.join(d, e);
    try {
      if (statSync(child).isDirectory()) removeCgroupDir(child);
    } catch {
      // gone meanwhile
    }
  }
  try {
    rmdirSync(d);
  } catch {
    // busy: scripts/check-leftovers.sh reports it
  }
}
