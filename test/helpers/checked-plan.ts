// buildPlan, with every plan it makes also read by runts-init's own plan
// reader (addon/init/plan.cc through the addon): a test that builds a plan
// also proves that the C++ side accepts it, field for field.
import { expect } from 'vitest';
import { native } from '../../src/native/binding';
import { buildPlan as realBuildPlan } from '../../src/plan/build';

export function buildCheckedPlan(...args: Parameters<typeof realBuildPlan>): ReturnType<typeof realBuildPlan> {
  const result = realBuildPlan(...args);
  expect(native().checkLaunchPlan(JSON.stringify(result.plan))).toBeNull();
  return result;
}
