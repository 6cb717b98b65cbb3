// Builds the busybox root filesystem that every integration test copies, and
// at the end removes the default /runts cgroup parents the tests made.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { sweepNewCgroupParents, TEST_CGROUP_PARENTS } from '../../conformance/cgroup-parents';

let template: string | undefined;
let sweepParents: (() => string[]) | undefined;

export function setup(project: TestProject): void {
  if (process.getuid?.() !== 0) {
    console.warn('integration tests need root: they are skipped');
    project.provide('templateBundle', '');
    return;
  }
  sweepParents = sweepNewCgroupParents(TEST_CGROUP_PARENTS);
  template = mkdtempSync(path.join(tmpdir(), 'runts-test-template-'));
  execFileSync(path.resolve('scripts/make-bundle.sh'), [template], { stdio: 'inherit' });
  project.provide('templateBundle', template);
}

export function teardown(): void {
  if (template) rmSync(template, { recursive: true, force: true });
  sweepParents?.();
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateBundle: string;
  }
}
