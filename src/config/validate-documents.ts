// Validation of the documents runts prints (state, features) against
// schemas/, for tests and tools. Not loaded by the CLI.
import type { ConfigProblem } from '../errors';
import { validateFeatures, validateState } from '../generated/document-validators.cjs';
import { toProblems } from './validate';

export function stateSchemaProblems(state: unknown): ConfigProblem[] {
  return validateState(state) ? [] : toProblems(validateState.errors);
}

export function featuresSchemaProblems(features: unknown): ConfigProblem[] {
  return validateFeatures(features) ? [] : toProblems(validateFeatures.errors);
}
