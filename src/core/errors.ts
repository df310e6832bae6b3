import type { Decision } from './types.js';

/**
 * Stable codes of what the toolkit throws. Messages may be reworded; codes may not, so callers
 * branch on `error.code` (as with jose's `ERR_JWT_EXPIRED`), never on message text.
 */
export type GovernanceErrorCode =
  /** A governed call was not allowed to run ({@link GovernanceDenied}). */
  | 'ERR_AGT_DENIED'
  /** A policy could not be loaded ({@link PolicyLoadError}). */
  | 'ERR_AGT_POLICY_LOAD'
  /** The audit store cannot take or commit entries, or is held by another writer. */
  | 'ERR_AGT_AUDIT_STORE'
  /** An audit store or export is malformed and must be verified before use. */
  | 'ERR_AGT_AUDIT_CORRUPT'
  /** The toolkit was configured or called wrongly (a missing option, a value of the wrong kind). */
  | 'ERR_AGT_CONFIG'
  /** A governed tool threw; what it threw was decided at post_tool like a result ({@link ToolFailed}). */
  | 'ERR_AGT_TOOL_FAILED'
  /** A saga step threw; the saga's completed steps were compensated (execution/saga). */
  | 'ERR_AGT_SAGA_STEP_FAILED'
  /** A saga step was refused by governance; the completed steps were compensated. */
  | 'ERR_AGT_SAGA_STEP_DENIED'
  /** A saga was aborted (its signal, a kill, an explicit compensate) while it ran; its completed steps were compensated. */
  | 'ERR_AGT_SAGA_ABORTED'
  /** A step or completion was asked of a saga that has already ended. */
  | 'ERR_AGT_SAGA_CLOSED';

/** The base of everything the toolkit throws on purpose: an Error with a stable {@link GovernanceErrorCode}. */
export class GovernanceError extends Error {
  override name = 'GovernanceError';
  constructor(
    readonly code: GovernanceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Thrown by a governed call that was not allowed to run. Carries the full decision, so a caller
 * can show why and an operator can look the decision up in the audit log.
 */
export class GovernanceDenied extends GovernanceError {
  override name = 'GovernanceDenied';
  constructor(
    readonly decision: Decision,
    message: string = deniedMessage(decision),
  ) {
    super('ERR_AGT_DENIED', message);
  }
}

/**
 * A governed tool threw. Its error was decided at post_tool like any result (deny rules and
 * redactions apply to `error.message`) and recorded: `message` is the error's message as the
 * policy let it through, never the raw text when a rule redacted it; `decision` is that decision.
 */
export class ToolFailed extends GovernanceError {
  override name = 'ToolFailed';
  constructor(
    readonly decision: Decision,
    /** The error's name as the tool threw it (`TypeError`, `Error`...), or `Error` when it had none. */
    readonly errorName: string,
    message: string,
  ) {
    super('ERR_AGT_TOOL_FAILED', message);
  }
}

/** The toolkit was configured or called wrongly; the message says what to change. */
export class GovernanceConfigError extends GovernanceError {
  override name = 'GovernanceConfigError';
  constructor(message: string) {
    super('ERR_AGT_CONFIG', message);
  }
}

/**
 * A thrown value as one line of text, for reasons and logs. Never throws, whatever was thrown:
 * an Error whose `message` getter throws, a null-prototype object, a revoked proxy, a symbol.
 */
export function describeError(thrown: unknown): string {
  try {
    if (typeof thrown === 'string') return thrown;
    if (thrown instanceof Error) {
      const message: unknown = thrown.message;
      if (typeof message === 'string') return message || thrown.name;
    }
    if (typeof thrown === 'object' && thrown !== null) {
      const message: unknown = (thrown as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
    return String(thrown);
  } catch {
    // The value fights back (a throwing getter or proxy trap, no toString): name its kind only.
  }
  try {
    return `an unreadable ${thrown === null ? 'null' : typeof thrown} was thrown`;
  } catch {
    return 'an unreadable value was thrown';
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
export class PolicyLoadError extends GovernanceError {
  override name = 'PolicyLoadError';
  constructor(readonly issues: PolicyIssue[]) {
    super('ERR_AGT_POLICY_LOAD', issues.filter((i) => i.severity === 'error').map(formatIssue).join('\n') || 'policy could not be loaded');
  }
}
