// The commonest test shape: one config edit, one checker run, and checks on
// its report. Shared by config.ts, linux.ts and process-fields.ts.
import type { OciConfig } from '../../src/config/types';
import type { ConformanceTest, HostRequirement, Report, TestContext } from '../harness';

/** A MUST test that runs the checker (with requests) in a bundle edit() made, and hands its report to check(). */
export function processTest(
  id: string,
  section: string,
  requirement: string,
  edit: (c: OciConfig) => void,
  check: (t: TestContext, r: Report) => void,
  requests: string[] = [],
  requires: HostRequirement[] = [],
): ConformanceTest {
  return {
    id,
    section,
    level: 'MUST',
    requirement,
    requires,
    run(t) {
      check(t, t.check(edit, requests));
    },
  };
}
