// Validation on its own, for tools and the library: every problem of a
// config (schema and semantics) without creating anything.
import path from 'node:path';
import type { ConfigProblem } from '../errors';
import { realHost } from '../plan/host';
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
  return { problems: [...schemaProblems(config), ...semantic.problems], warnings: semantic.warnings };
}
