import { GovernanceConfigError, type PolicyIssue } from '../core/errors.js';

/**
 * A deployment file that cannot be used. Each problem is located and says how to fix it, one per
 * line: `agt.config.yaml:12: identity.freshness: "6o s" is not a duration; write a duration such
 * as 60s, 5m or 1h, or a whole number of milliseconds`. `issues` lists every problem found.
 */
export class DeploymentConfigError extends GovernanceConfigError {
  override name = 'DeploymentConfigError';
  constructor(readonly issues: readonly PolicyIssue[]) {
    super(issues.map(formatConfigIssue).join('\n') || 'the deployment file could not be used');
  }
}

/** `file:line: key: message; fix`, the parts that are known. */
export function formatConfigIssue(issue: PolicyIssue): string {
  const where = [issue.file, issue.line].filter((part) => part !== undefined).join(':');
  const key = issue.key ? `${issue.key}: ` : '';
  const fix = issue.hint ? `; ${issue.hint}` : '';
  return `${where ? `${where}: ` : ''}${key}${issue.message}${fix}`;
}
