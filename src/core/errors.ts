import type { Decision } from './types.js';

/**
 * Thrown by a governed call that was not allowed to run. Carries the full decision, so a caller
 * can show why and an operator can look the decision up in the audit log.
 */
export class GovernanceDenied extends Error {
  override name = 'GovernanceDenied';
  constructor(
    readonly decision: Decision,
    message: string = deniedMessage(decision),
  ) {
    super(message);
  }
}

/** "Action denied by policy rule 'block-destructive': Destructive operations require human approval" */
export function deniedMessage(decision: Decision): string {
  if (decision.rule) return `Action denied by policy rule '${decision.rule}': ${decision.reason}`;
  if (decision.policy) return `Action denied by policy '${decision.policy}': ${decision.reason}`;
  return `Action denied: ${decision.reason}`;
}

/** One problem found in a policy source, located as precisely as the source allows. */
export interface PolicyIssue {
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** Dotted path of the offending key, e.g. `rules.0.action`. */
  key?: string;
  /** A suggested fix, e.g. "did you mean 'condition'?". */
  hint?: string;
  /** Errors stop the load; warnings are reported and the policy loads. */
  severity: 'error' | 'warning';
  /**
   * Stable name of the kind of problem, e.g. `unknown-key` or `extends-cycle`. Messages may be
   * reworded; codes may not, so tools (`agt lint-policy --json`, editors, CI filters) key on them.
   */
  code?: string;
}

/** Formats an issue the way compilers do: `file:line:column: key: message (hint)`. */
export function formatIssue(issue: PolicyIssue): string {
  const where = [issue.file, issue.line, issue.column].filter((part) => part !== undefined).join(':');
  const key = issue.key ? `${issue.key}: ` : '';
  const hint = issue.hint ? ` (${issue.hint})` : '';
  const severity = issue.severity === 'warning' ? 'warning: ' : '';
  return `${where ? where + ': ' : ''}${severity}${key}${issue.message}${hint}`;
}

/** A policy could not be loaded. `issues` lists every error found, not just the first. */
export class PolicyLoadError extends Error {
  override name = 'PolicyLoadError';
  constructor(readonly issues: PolicyIssue[]) {
    super(issues.filter((i) => i.severity === 'error').map(formatIssue).join('\n') || 'policy could not be loaded');
  }
}
