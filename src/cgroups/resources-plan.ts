// The one entry to the planners: v1 (and hybrid) hosts get the v1 files,
// v2 hosts the unified ones.
import { PlanBuilder, type LinuxResources, type PlanContext, type ResourcePlan } from './resources';
import { planV1 } from './resources-v1';
import { planV2 } from './resources-v2';

export type PlanVersion = 1 | 2;

/** The writes that apply `r` to a cgroup of the given version. */
export function planResources(r: LinuxResources, version: PlanVersion, ctx: PlanContext): ResourcePlan {
  const b = new PlanBuilder(ctx);
  if (version === 1) planV1(r, b);
  else planV2(r, b);
  return b.result();
}
