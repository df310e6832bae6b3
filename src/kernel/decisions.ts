import { failedDecision } from '../core/failed-decision.js';
import { uuidv7 } from '../core/ids.js';
import { isAllowingVerdict, type Decision, type Verdict } from '../core/types.js';

/**
 * A follow-up decision (an approval's answer, an audit failure, a guard's denial of a decided
 * request): a new decision id, the new verdict and reason, and everything else of the original:
 * its rule and policy, its identities, and its transform (an approved call still runs transformed).
 */
export function derive(decision: Decision, verdict: Verdict, reason: string): Decision {
  return {
    ...decision,
    verdict,
    allowed: isAllowingVerdict(verdict),
    reason,
    message: reason,
    decisionId: uuidv7(),
    diagnostics: { matchedRules: decision.diagnostics.matchedRules, errors: decision.diagnostics.errors },
  };
}

/** A deny that no rule made: `runtime_error:<kind>: <message>`, naming no rule or policy. */
export const failed = failedDecision;
