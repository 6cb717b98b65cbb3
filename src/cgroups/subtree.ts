// cgroup v2 delegation: a controller's files appear in a cgroup only when
// its parent lists the controller in cgroup.subtree_control, and so on up
// to the root. As runc (fs2 CreateCgroupPath) and crun do, runts enables
// every controller each ancestor has, from the mount's root down to the
// container's parent, so that the container's cgroup can take any limit,
// at create and at a later update. A controller that cannot be enabled (a
// parent with processes of its own, an outer container that does not
// delegate it) is not an error here: the resource writer names it if a
// limit needs it. Only pure v2 hosts: on a hybrid host the unified
// hierarchy only tracks processes (runc's fs driver leaves it alone too).
import path from 'node:path';
import type { CgroupPlacement } from './placement';
import { realResourceFiles, type ResourceFiles } from './resources-apply';

export interface SubtreeReport {
  /** "<dir>: +memory +pids" for each cgroup.subtree_control written. */
  enabled: string[];
  /** Controllers an ancestor refused, with the errno. */
  refused: string[];
}

function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter(Boolean);
}

/** The directories from the hierarchy's mount point down to `dir`'s parent. */
export function ancestorsOf(dir: string, mountPoint: string): string[] {
  const rel = path.posix.relative(mountPoint, path.posix.dirname(dir));
  if (rel.startsWith('..') || path.posix.isAbsolute(rel)) return [];
  const out = [mountPoint];
  let cur = mountPoint;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = path.posix.join(cur, part);
    out.push(cur);
  }
  return path.posix.dirname(dir) === dir ? [] : out;
}

export function enableSubtreeControllers(placement: Pick<CgroupPlacement, 'mode' | 'dirs'>, files: ResourceFiles = realResourceFiles): SubtreeReport {
  const report: SubtreeReport = { enabled: [], refused: [] };
  if (placement.mode !== 'v2') return report;
  for (const d of placement.dirs) {
    if (d.version !== 2) continue;
    for (const ancestor of ancestorsOf(d.dir, d.mountPoint)) {
      const available = words(files.read(path.join(ancestor, 'cgroup.controllers')));
      const on = new Set(words(files.read(path.join(ancestor, 'cgroup.subtree_control'))));
      const missing = available.filter((c) => !on.has(c));
      if (!missing.length) continue;
      const file = path.join(ancestor, 'cgroup.subtree_control');
      try {
        files.write(file, missing.map((c) => `+${c}`).join(' '));
        report.enabled.push(`${ancestor}: ${missing.map((c) => `+${c}`).join(' ')}`);
        continue;
      } catch {
        // One by one, as runc: enable what can be.
      }
      for (const c of missing) {
        try {
          files.write(file, `+${c}`);
          report.enabled.push(`${ancestor}: +${c}`);
        } catch (e) {
          report.refused.push(`${ancestor}: +${c}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
    }
  }
  return report;
}
