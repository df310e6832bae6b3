import { PolicyLoadError, type PolicyIssue } from '../core/errors.js';
import { describeZodIssue, parseLocatedYaml, type Locate } from '../policy/document/source.js';
import { readTextFile } from '../policy/document/read-file.js';
import { DeploymentConfigError } from './config-error.js';
import { deploymentSchema, knownKeysAt, type ValidatedDeploymentFile } from './schema.js';

/**
 * Parse and validate: the deployment file's text (or a config object) → its validated content,
 * with a way to locate any key in the file. Files are not touched here (see resolve-config.ts).
 */

/** A deployment file is a page of YAML; anything much larger is a mistake. */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** Validated content and where its keys sit. */
export interface ValidatedConfig {
  readonly spec: ValidatedDeploymentFile;
  /** How the file is named in messages (the path as given). */
  readonly label: string;
  readonly locate: Locate;
}

/** Reads and validates the file at `path` (`label` names it in messages). Throws {@link DeploymentConfigError}. */
export function readDeploymentFile(path: string, label = path): ValidatedConfig {
  const { data, locate } = asConfigError(() => parseLocatedYaml(readTextFile(path, label, MAX_CONFIG_BYTES, 'deployment file'), label, 'deployment file'));
  return validateDeploymentData(data, label, locate);
}

/** Validates a config object (or parsed file). Throws {@link DeploymentConfigError} with every problem. */
export function validateDeploymentData(data: unknown, label: string, locate: Locate = () => undefined): ValidatedConfig {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DeploymentConfigError([{ severity: 'error', code: 'not-a-mapping', file: label, message: 'the deployment file must be a mapping', hint: 'start it with `version: 1`' }]);
  }
  const result = deploymentSchema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues.flatMap((issue) => describeZodIssue(issue, data, label, locate, knownKeysAt));
    throw new DeploymentConfigError(issues.map(withFix));
  }
  return { spec: result.data, label, locate };
}

/** Every problem says what to do about it. */
function withFix(issue: PolicyIssue): PolicyIssue {
  if (issue.hint) return issue;
  if (issue.code === 'missing-key') return { ...issue, hint: 'add it (docs/configuration.md lists every key)' };
  return { ...issue, hint: 'see docs/configuration.md for the allowed values' };
}

function asConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof PolicyLoadError) throw new DeploymentConfigError(error.issues.map((issue) => ({ ...issue, message: issue.message.replace(/\bpolicy file\b/, 'deployment file') })).map(withFixForFile));
    throw error;
  }
}

function withFixForFile(issue: PolicyIssue): PolicyIssue {
  if (issue.hint) return issue;
  if (issue.code === 'no-such-file') return { ...issue, hint: 'pass the path of an agt.config.yaml (`agt init` writes one)' };
  if (issue.code === 'yaml-syntax') return { ...issue, hint: 'fix the YAML syntax at that line' };
  return { ...issue, hint: 'pass the path of a readable agt.config.yaml' };
}
