import { systemClock, type Clock } from '../core/clock.js';
import { uuidv7 } from '../core/ids.js';
import type { Decision, Verdict } from '../core/types.js';
import { MemorySlidingWindowStore, type SlidingWindowStore } from '../state/sliding-window.js';

/** One rule's rate limit, as the policy states it (`limit: "10/minute"`). */
export interface RateLimitSpec {
  /** The policy document and rule the limit belongs to: with the agent id, they key the window. */
  policy: string;
  rule: string;
  /** Calls allowed per window. */
  count: number;
  windowMs: number;
  /** The limit as written, for reasons (`10/minute`). */
  text: string;
}

/** What consuming a call's limits decided. */
export type RateLimitOutcome =
  | { exceeded: false }
  | { exceeded: true; spec: RateLimitSpec; retryAfterMs: number; reason: string };

const WITHIN: RateLimitOutcome = Object.freeze({ exceeded: false });

/**
 * Counts calls against the rate limits of the rules they matched: a sliding window per
 * (agent, policy, rule), kept in a {@link SlidingWindowStore}. A call that goes ahead counts once
 * against every limit it matched; a call over any of them counts against none and is refused.
 */
export class RateLimiter {
  constructor(
    readonly store: SlidingWindowStore = new MemorySlidingWindowStore(),
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Checks every limit, then counts the call against each. With one limit (the common case) the
   * store's atomic consume is the whole step; with several, a full window is found by a peek
   * before anything is counted, so a refused call uses up no other limit.
   */
  consume(agentId: string, specs: readonly RateLimitSpec[]): RateLimitOutcome {
    if (specs.length === 0) return WITHIN;
    const now = this.clock();
    if (specs.length > 1) {
      for (const spec of specs) {
        const window = this.store.peek(keyOf(agentId, spec), spec.windowMs, now);
        if (window.count >= spec.count) return exceeded(spec, Math.max(0, (window.oldestExpiresAt ?? now) - now));
      }
    }
    for (const spec of specs) {
      const result = this.store.consume(keyOf(agentId, spec), spec.windowMs, spec.count, now);
      if (!result.allowed) return exceeded(spec, result.retryAfterMs);
    }
    return WITHIN;
  }
}

function keyOf(agentId: string, spec: RateLimitSpec): string {
  return `${agentId}\u0000${spec.policy}\u0000${spec.rule}`;
}

function exceeded(spec: RateLimitSpec, retryAfterMs: number): RateLimitOutcome {
  return {
    exceeded: true,
    spec,
    retryAfterMs,
    reason: `Rate limit exceeded for rule '${spec.rule}': ${spec.text} per agent; retry in ${retryAfterMs} ms`,
  };
}

/**
 * True for a verdict whose call counts against its rate limits: one that goes ahead (allow, warn,
 * log, transform) or waits for a human (require_approval: a held call uses up the budget too, so
 * a stream of calls cannot queue unbounded approvals). A deny counts against nothing.
 */
export function countsAgainstLimits(verdict: Verdict): boolean {
  return verdict !== 'deny';
}

/**
 * The decision after its rate limits were consumed: unchanged when within them, else a deny
 * (`rateLimited: true`, `retryAfterMs`, the outcome's reason, a new decision id) naming the
 * limited rule and its policy. The matched rules and errors are kept; identities are kept for
 * the kernel to recompute if it wants (the denied call enforces nothing).
 *
 * @example
 * const limits = evaluator.rateLimitsOf(decision);
 * if (countsAgainstLimits(decision.verdict)) decision = limitDecision(decision, limiter.consume(agentId, limits));
 */
export function limitDecision(decision: Decision, outcome: RateLimitOutcome): Decision {
  if (!outcome.exceeded) return decision;
  return {
    ...decision,
    verdict: 'deny',
    allowed: false,
    rule: outcome.spec.rule,
    policy: outcome.spec.policy,
    reason: outcome.reason,
    message: outcome.reason,
    approvers: [],
    transform: null,
    rateLimited: true,
    retryAfterMs: outcome.retryAfterMs,
    decisionId: uuidv7(),
    diagnostics: { matchedRules: decision.diagnostics.matchedRules, errors: decision.diagnostics.errors },
  };
}
