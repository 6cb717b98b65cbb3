// Which low-level runtime the engine tests point the engines at: runts (this
// worktree's bin/runts, the default) or runc (/usr/sbin/runc), chosen with
// RUNTS_ENGINE_RUNTIME. Running the same tests against runc shows they are
// correct tests: what fails with runts only is a gap of runts.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export type RuntimeName = 'runts' | 'runc';

export interface EngineRuntime {
  name: RuntimeName;
  /** The binary the engine runs. */
  path: string;
  /** The runtime's default --root, where Podman (which passes none) has it keep state. */
  defaultRoot: string;
}

export const RUNTS_BINARY = path.resolve(__dirname, '../../../bin/runts');
export const RUNC_BINARY = '/usr/sbin/runc';

function choose(): EngineRuntime {
  const wanted = process.env.RUNTS_ENGINE_RUNTIME ?? 'runts';
  if (wanted === 'runts') return { name: 'runts', path: RUNTS_BINARY, defaultRoot: '/run/runts' };
  if (wanted === 'runc') return { name: 'runc', path: RUNC_BINARY, defaultRoot: '/run/runc' };
  throw new Error(`RUNTS_ENGINE_RUNTIME=${wanted}: use runts (the default) or runc`);
}

export const RUNTIME = choose();

export const isRoot = process.getuid?.() === 0;

/** Whether an executable is on PATH (or at that absolute path). */
export function hasBinary(name: string): boolean {
  const dirs = name.includes('/') ? [''] : (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const d of dirs) {
    try {
      accessSync(d ? path.join(d, name) : name, constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * Why an engine's tests cannot run on this machine (a missing binary, not
 * root), or undefined when they can. Only machine reasons: a runtime failure
 * is a test failure.
 */
export function machineGap(binaries: readonly string[]): string | undefined {
  if (!isRoot) return 'the engine tests run as root';
  const missing = [...binaries, RUNTIME.path].filter((b) => !hasBinary(b));
  return missing.length ? `missing: ${missing.join(', ')} (scripts/setup.sh installs them)` : undefined;
}
