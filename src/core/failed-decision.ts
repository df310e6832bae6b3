import { uuidv7 } from './ids.js';
import type { Decision, RuntimeErrorKind, Stage } from './types.js';

/**
 * The deny for a request that failed closed: `runtime_error:<kind>: <message>`, naming no rule or
 * policy, with the error in its diagnostics. Shared by the evaluator (a request it cannot read, an
 * engine that fails) and the kernel (a guard, the bounds step, an approval answered for nothing).
 */
export function failedDecision(kind: RuntimeErrorKind, message: string, stage: Stage, policyRevision: string, durationUs = 0): Decision {
  const reason = `runtime_error:${kind}: ${message}`;
  return {
    verdict: 'deny',
    allowed: false,
    rule: null,
    policy: null,
    reason,
    message: reason,
    approvers: [],
    transform: null,
    rateLimited: false,
    retryAfterMs: null,
    decisionId: uuidv7(),
    policyRevision,
    stage,
    inputIdentity: null,
    enforcedIdentity: null,
    durationUs,
    diagnostics: { matchedRules: [], errors: [{ kind, message }] },
  };
}
