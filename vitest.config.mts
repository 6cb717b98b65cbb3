import { defineConfig } from 'vitest/config';

/**
 * A project of tests that run real containers as root: they share the
 * machine's cgroups and /run, so one file runs at a time; the global setup
 * makes the busybox template bundle their bundles are copied from.
 */
function containerProject(name: string, include: string, timeouts: { testTimeout: number; hookTimeout: number }) {
  return {
    test: {
      name,
      include: [include],
      environment: 'node',
      globalSetup: ['test/integration/global-setup.ts'],
      fileParallelism: false,
      ...timeouts,
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      containerProject('integration', 'test/integration/**/*.test.ts', { testTimeout: 30_000, hookTimeout: 60_000 }),
      // Attack regression tests (one describe per advisory) and the create
      // fuzzer: real containers, as root, through bin/runts.
      containerProject('security', 'test/security/**/*.test.ts', { testTimeout: 30_000, hookTimeout: 60_000 }),
      // Podman, containerd (ctr) and containerd's CRI driving bin/runts (or runc,
      // RUNTS_ENGINE_RUNTIME=runc): private engine instances, one file at a time.
      containerProject('engines', 'test/engines/**/*.test.ts', { testTimeout: 90_000, hookTimeout: 120_000 }),
      // Runs inside the cgroup v2 VM only (scripts/cgroup-v2-vm.sh).
      containerProject('cgroup-v2', 'test/cgroup-v2/**/*.test.ts', { testTimeout: 120_000, hookTimeout: 300_000 }),
    ],
  },
});
