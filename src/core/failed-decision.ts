import { uuidv7 } from './ids.js';
import type { Decision, RuntimeErrorKind, Stage } from './types.js';

/**
 * The deny for a request that failed closed: `runtime_error:<kind>: <message>`, naming no rule or
 * policy, with the error in its diagnostics. Shared by the evaluator (a request it cannot read, an
 * engine that fails) and the kernel (a guard, the bounds step, an approval answered for nothing).
 */
export function failedDecision(kind: RuntimeErrorKind, message: string, stage: Stage, policyRevision: string, durationUs = 0): Decision {
  const decision = recordDecision({ verdict: 'deny', reason: `runtime_error:${kind}: ${message}`, stage, policyRevision });
  decision.durationUs = durationUs;
  decision.diagnostics.errors.push({ kind, message });
  return decision;
}

/** What {@link recordDecision} needs: the rest of a Decision takes its plain value. */
export interface RecordDecisionFields {
  verdict: 'deny' | 'log' | 'require_approval';
  reason: string;
  stage: Stage;
  policyRevision: string;
  /** A rule name the audit log can be searched by (e.g. `kill-switch`); null when none decided it. */
  rule?: string | null;
  /** The kernel step that made it, for `diagnostics.step`. */
  step?: string;
}

/**
 * A decision no policy rule made: a record the kernel writes of something that happened (a kill,
 * a lifecycle move, a saga step) or a deny a step of its own decided. `log` records count as
 * allowed (they stop nothing); nothing is matched, transformed or rate limited.
 */
export function recordDecision(fields: RecordDecisionFields): Decision {
  return {
    verdict: fields.verdict,
    allowed: fields.verdict === 'log',
    rule: fields.rule ?? null,
    policy: null,
    reason: fields.reason,
    message: fields.reason,
    approvers: [],
    transform: null,
    rateLimited: false,
    retryAfterMs: null,
    decisionId: uuidv7(),
    policyRevision: fields.policyRevision,
    stage: fields.stage,
    inputIdentity: null,
    enforcedIdentity: null,
    durationUs: 0,
    diagnostics: { matchedRules: [], errors: [], ...(fields.step === undefined ? {} : { step: fields.step }) },
  };
}
