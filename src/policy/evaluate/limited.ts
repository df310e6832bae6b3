import type { Decision } from '../../core/types.js';
import { countsAgainstLimits, limitDecision, type RateLimiter } from '../../reliability/rate-limits.js';
import type { CompiledEvaluator } from './evaluator.js';
import type { ExplainedDecision, ExplainOptions } from './explanation.js';

/**
 * The policy step followed by the limits step, for the tools that decide streams of requests
 * without a kernel (`agt policy test`, `agt policy eval`): evaluate, then consume the decision's
 * rate limits with a {@link RateLimiter}, exactly as the kernel's limits step does. A call that
 * goes ahead or waits for approval counts once against every limit of the rules it matched; one
 * over any of them becomes a deny (`rateLimited: true`) and counts against none.
 */

/** {@link CompiledEvaluator.evaluate}, then the rate limits. */
export function evaluateWithLimits(evaluator: CompiledEvaluator, limiter: RateLimiter, request: unknown): Decision {
  return applyLimits(evaluator, limiter, request, evaluator.evaluate(request));
}

/**
 * {@link CompiledEvaluator.explain}, then the rate limits (none counted with `dryRun`), with the
 * explanation's `rateLimits` saying whether each was exceeded and whether this call counted.
 */
export function explainWithLimits(evaluator: CompiledEvaluator, limiter: RateLimiter, request: unknown, options: ExplainOptions = {}): ExplainedDecision {
  const explained = evaluator.explain(request, options);
  if (options.dryRun === true) return explained;
  const decision = applyLimits(evaluator, limiter, request, explained.decision);
  if (decision === explained.decision) {
    const counted = countsAgainstLimits(decision.verdict);
    return { decision, explanation: { ...explained.explanation, rateLimits: explained.explanation.rateLimits.map((limit) => ({ ...limit, counted })) } };
  }
  const rateLimits = explained.explanation.rateLimits.map((limit) =>
    limit.policy === decision.policy && limit.rule === decision.rule ? { ...limit, exceeded: true, retryAfterMs: decision.retryAfterMs } : limit,
  );
  return { decision, explanation: { ...explained.explanation, rateLimits } };
}

function applyLimits(evaluator: CompiledEvaluator, limiter: RateLimiter, request: unknown, decision: Decision): Decision {
  if (!countsAgainstLimits(decision.verdict)) return decision;
  const limits = evaluator.rateLimitsOf(decision);
  if (limits.length === 0) return decision;
  return limitDecision(decision, limiter.consume(agentIdOfRequest(request), limits));
}

/** The agent id of a request as written (`agent: 'id'` or `agent: { id }`), else `anonymous`, as the evaluator reads it. */
export function agentIdOfRequest(request: unknown): string {
  if (typeof request !== 'object' || request === null) return 'anonymous';
  const agent = (request as { agent?: unknown }).agent;
  if (typeof agent === 'string') return agent;
  const id = typeof agent === 'object' && agent !== null ? (agent as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : 'anonymous';
}
