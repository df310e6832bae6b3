import { failedDecision } from '../../core/failed-decision.js';
import { uuidv7 } from '../../core/ids.js';
import { isAllowingVerdict, type Decision, type DecisionError, type MatchedRule, type RuntimeErrorKind, type Stage } from '../../core/types.js';
import type { Candidate } from './conflict.js';

/**
 * Building {@link Decision}s: from the procedure's winner, or for a request that failed closed.
 * The evaluator's decisions never carry a rate limit (`rateLimited: false`, `retryAfterMs: null`:
 * limits are the kernel's step after policy) nor identities (computed by the kernel).
 */

/** The decision for `winner`, with the candidates that matched and the errors met. */
export function decisionOf(winner: Candidate, matched: readonly Candidate[], errors: DecisionError[], stage: Stage, revision: string, started: number): Decision {
  const matchedRules: MatchedRule[] = matched.map((c) => ({ policy: c.document.name, rule: c.name ?? '(default)', verdict: c.verdict, priority: c.priority }));
  return {
    verdict: winner.verdict,
    allowed: isAllowingVerdict(winner.verdict),
    rule: winner.name,
    policy: winner.document.name,
    reason: winner.reason,
    message: winner.reason,
    approvers: [...winner.approvers],
    transform: winner.verdict === 'transform' || winner.verdict === 'require_approval' ? winner.transform : null,
    rateLimited: false,
    retryAfterMs: null,
    decisionId: uuidv7(),
    policyRevision: revision,
    stage,
    inputIdentity: null,
    enforcedIdentity: null,
    durationUs: elapsedUs(started),
    diagnostics: { matchedRules, errors },
  };
}

/** The deny for a request that could not be decided: `runtime_error:<kind>: <message>`. */
export function failureOf(kind: RuntimeErrorKind, message: string, stage: Stage, revision: string, started: number): Decision {
  return failedDecision(kind, message, stage, revision, elapsedUs(started));
}

function elapsedUs(started: number): number {
  return Math.round((performance.now() - started) * 10_000) / 10;
}
