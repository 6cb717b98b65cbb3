// Containers placed by default or by a test's cgroupsPath leave their parent
// cgroups behind (/runts, /conformance-rel under the caller's own cgroup...):
// runtimes never remove parents, since an administrator may have made them.
// Test runs made these themselves, so they remove the ones that did not exist
// before the run (and only when empty: rmdir refuses anything else).
import { existsSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { hostLayout } from '../src/cgroups/layout';

/** The parents the test runs' containers go under: runts' default and the suite's own. */
export const TEST_CGROUP_PARENTS = ['runts', 'conformance', 'conformance-cg', 'conformance-rel'];

/** Where parents can appear: each hierarchy's root and the caller's own cgroup in it (relative cgroupsPaths go there). */
function candidates(names: readonly string[]): string[] {
  const bases = hostLayout().hierarchies.flatMap((h) => [h.mountPoint, path.join(h.mountPoint, path.relative(h.mountRoot, h.ownPath))]);
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
