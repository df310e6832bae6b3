// INTERIM: replaced by the lint library when it lands.
import { PolicyLoadError } from '../core/errors.js';
import { loadPoliciesSync } from '../policy/loader.js';

export async function lintPaths(paths: string[]): Promise<{ files: number; errors: number; warnings: number }> {
  let errors = 0;
  let warnings = 0;
  for (const path of paths) {
    try {
      warnings += loadPoliciesSync(path).warnings.length;
    } catch (error) {
      if (!(error instanceof PolicyLoadError)) throw error;
      errors += error.issues.length;
    }
  }
  return { files: paths.length, errors, warnings };
}
