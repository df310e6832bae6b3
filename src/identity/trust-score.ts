/**
 * Trust scores: 0-1000 per agent, deterministic. The rule, published so that an auditor can
 * recompute any score from the audit log:
 *
 * 1. An agent starts at its credential's `trust` (default 500): its **ceiling**. The issuer's
 *    statement is the most an agent is ever trusted; behaviour can only lose trust and win back
 *    what it lost.
 * 2. Between events, a score below the ceiling recovers toward it exponentially, halving the
 *    distance every `halfLifeMs` (default one hour): `ceiling - (ceiling - s) * 2^(-Δt / halfLife)`.
 * 3. Each event the kernel sees adds its weight (after the recovery up to the event's time),
 *    and the result is clamped to [0, ceiling] and rounded to a whole number: allowed +1,
 *    failed call -5, denied -10, screening hit -50, ring breach -100, replay attempt -200.
 *    Losses are fast and gains slow, so an agent cannot farm back trust it loses by misbehaving.
 * 4. A new credential with another ceiling applies from its first event: the score is clamped
 *    to the new ceiling (a lower one takes effect at once; a higher one is reached by recovery).
 *
 * Everything is a pure function of (previous state, event, time, ceiling): no clock is read here.
 */

/** Something the kernel saw an agent do that moves its trust. */
export type TrustEvent = 'allowed' | 'failed' | 'denied' | 'screening_hit' | 'ring_breach' | 'replay';

/** How much each event moves a score (before clamping to [0, ceiling]). */
export const TRUST_WEIGHTS: Readonly<Record<TrustEvent, number>> = Object.freeze({
  allowed: 1,
  failed: -5,
  denied: -10,
  screening_hit: -50,
  ring_breach: -100,
  replay: -200,
});

/** The lowest and highest score, and the ceiling an agent without a stated trust gets. */
export const TRUST_MIN = 0;
export const TRUST_MAX = 1000;
export const DEFAULT_TRUST = 500;
/** Recovery half-life: one hour. */
export const DEFAULT_TRUST_HALF_LIFE_MS = 60 * 60 * 1000;

/** A stored score: its value at `at` (ms since the epoch). */
export interface TrustState {
  readonly score: number;
  readonly at: number;
}

/** How scores recover. */
export interface TrustRule {
  /** Milliseconds for a lost score to win back half the distance to its ceiling. */
  readonly halfLifeMs: number;
}

const DEFAULT_RULE: TrustRule = { halfLifeMs: DEFAULT_TRUST_HALF_LIFE_MS };

/** `ceiling` as a valid ceiling: a whole number in [0, 1000]; anything else is refused (a credential's trust is verified before it gets here). */
export function trustCeiling(value: number | undefined): number {
  if (value === undefined) return DEFAULT_TRUST;
  if (!Number.isInteger(value) || value < TRUST_MIN || value > TRUST_MAX) throw new RangeError(`a trust ceiling is a whole number from ${TRUST_MIN} to ${TRUST_MAX}`);
  return value;
}

/** The score at time `now`: the stored one recovered toward `ceiling` (or the ceiling, for an agent with no state). */
export function trustAt(state: TrustState | undefined, now: number, ceiling: number, rule: TrustRule = DEFAULT_RULE): number {
  if (state === undefined) return ceiling;
  const score = Math.min(state.score, ceiling);
  const elapsed = Math.max(0, now - state.at); // a clock that went back recovers nothing, never loses
  if (score >= ceiling || elapsed === 0) return score;
  const recovered = ceiling - (ceiling - score) * 2 ** (-elapsed / rule.halfLifeMs);
  return Math.min(ceiling, Math.floor(recovered));
}

/** The state after `event` at `now`: recovery up to `now`, then the event's weight, clamped to [0, ceiling]. */
export function applyTrustEvent(state: TrustState | undefined, event: TrustEvent, now: number, ceiling: number, rule: TrustRule = DEFAULT_RULE): TrustState {
  const before = trustAt(state, now, ceiling, rule);
  const score = Math.max(TRUST_MIN, Math.min(ceiling, before + TRUST_WEIGHTS[event]));
  return { score, at: state === undefined ? now : Math.max(now, state.at) };
}
