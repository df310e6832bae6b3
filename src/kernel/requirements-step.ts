import { failedDecision } from '../core/failed-decision.js';
import type { Decision } from '../core/types.js';
import { identityFailure, identityReason } from '../identity/failure.js';
import type { ProofKind } from '../identity/verified.js';
import type { PolicyEvaluator } from '../policy/index.js';
import { NO_REQUIREMENTS } from '../policy/compile/tool-requirements.js';
import type { Bounded } from './bounds.js';

/**
 * The tool-requirements step, after identity and before the guards: what the policy's `tools:`
 * section requires of a call (`verify: full`, `min_trust`) is checked against the verified
 * identity and the agent's live trust score. Its denials move no trust score (an agent below a
 * threshold is not pushed further down by asking).
 */

/** Proofs that count as a full verification: each is checked against a signature on its own, not a session secret. */
const FULL_PROOFS: ReadonlySet<string> = new Set<ProofKind>(['envelope', 'jwt', 'spiffe-x509', 'spiffe-jwt']);

/** Why a call was refused for trust: the reason reads `trust:<kind>: <message>`. */
export type TrustDenialKind =
  /** The agent's live trust score is below the tool's `min_trust`. */
  | 'below_minimum'
  /** The tool has a `min_trust` and the call carries no verified identity, so the agent has no score. */
  | 'unverified';

/** The denial that ends a pre_tool call whose tool requires more than it brings, or undefined. Never throws. */
export function checkToolRequirements(bounded: Bounded, evaluator: PolicyEvaluator): Decision | undefined {
  const request = bounded.request;
  const tool = request.tool_name;
  if (request.stage !== 'pre_tool' || tool === null) return undefined;
  const requires = evaluator.requirementsFor(tool);
  if (requires === NO_REQUIREMENTS) return undefined;
  const proof = bounded.identity?.proof;
  if (requires.verify === 'full' && (proof === undefined || !FULL_PROOFS.has(proof))) {
    const how = proof === undefined ? 'carries no verified proof' : `was proven by a ${proof === 'session' ? 'session MAC' : 'proof that is not a full verification'}`;
    const reason = identityReason(identityFailure('weak_proof', `this tool requires a full verification (signed envelope, JWT bearer or SPIFFE) and the call ${how}`));
    return denial(reason, evaluator.revision, request.stage);
  }
  if (requires.minTrust > 0) {
    const score = request.agent.trust;
    if (bounded.identity === undefined || typeof score !== 'number') {
      return denial(`trust:unverified: this tool requires a trust score of ${requires.minTrust} and the call carries no verified identity to score`, evaluator.revision, request.stage);
    }
    if (score < requires.minTrust) return denial(`trust:below_minimum: trust score ${score} is below the ${requires.minTrust} this tool requires`, evaluator.revision, request.stage);
  }
  return undefined;
}

function denial(reason: string, revision: string, stage: Decision['stage']): Decision {
  const decision = failedDecision('guard', reason, stage, revision);
  decision.reason = decision.message = reason;
  decision.diagnostics = { matchedRules: [], errors: [], step: 'requirements' };
  return decision;
}
