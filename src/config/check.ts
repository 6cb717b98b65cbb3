// Validation on its own, for tools and the library: every problem of a
// config (schema and semantics) without creating anything.
import path from 'node:path';
import type { ConfigProblem } from '../errors';
import { hostLayout } from '../cgroups/layout';
import { realHost } from '../plan/host';
import { realResourceHost, resourceProblems } from './resources';
import { semanticProblems } from './semantic';
import { schemaProblems } from './validate';

export interface ValidationResult {
  problems: ConfigProblem[];
  warnings: string[];
}

export function validateConfig(config: unknown, bundle = '.'): ValidationResult {
  const semantic = semanticProblems(config, {
    bundle: path.resolve(bundle),
    host: realHost,
    terminalHandled: true,
    consoleSocket: false,
  });
  const linux = config !== null && typeof config === 'object' ? (config as { linux?: unknown }).linux : undefined;
  const raw = linux !== null && typeof linux === 'object' ? (linux as { resources?: unknown }).resources : undefined;
  const resources = resourceProblems(raw, 'linux.resources', realResourceHost(hostLayout()), { types: false });
  return {
    problems: [...schemaProblems(config), ...semantic.problems, ...resources.problems],
    warnings: [...semantic.warnings, ...resources.warnings],
  };
}
