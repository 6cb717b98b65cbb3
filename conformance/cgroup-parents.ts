// Containers placed by default or by a test's cgroupsPath leave their parent
// cgroups behind (/runts, /conformance-rel under the caller's own cgroup...):
// runtimes never remove parents, since an administrator may have made them.
// Test runs made these themselves, so they remove the ones that did not exist
// before the run (and only when empty: rmdir refuses anything else).
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

function hierarchyDirs(): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(CGROUP_ROOT);
  } catch {
    return [];
  }
  return [CGROUP_ROOT, ...names.map((n) => path.join(CGROUP_ROOT, n))];
}

/** The caller's own cgroup in each hierarchy, where relative cgroupsPaths go. */
function ownCgroupPaths(): string[] {
  try {
    return readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .map((l) => l.split(':').slice(2).join(':'))
      .filter((p) => p.startsWith('/') && p !== '/');
  } catch {
    return [];
  }
}

function candidates(names: readonly string[]): string[] {
  const bases = hierarchyDirs().flatMap((h) => [h, ...ownCgroupPaths().map((own) => path.join(h, own))]);
  return [...new Set(bases.flatMap((b) => names.map((n) => path.join(b, n))))];
}

/**
 * Notes which of the parent directories named `names` exist now; the returned
 * function removes those that appeared since (when empty) and returns them.
 */
export function sweepNewCgroupParents(names: readonly string[]): () => string[] {
  const before = new Set(candidates(names).filter((d) => existsSync(d)));
  return () => {
    const removed: string[] = [];
    for (const d of candidates(names)) {
      if (before.has(d) || !existsSync(d)) continue;
      try {
        rmdirSync(d);
        removed.push(d);
      } catch {
        // Not empty: a container is still in it, which the leftover checks report.
      }
    }
    return removed;
  };
}
