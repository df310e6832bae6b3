import { isAllowingVerdict, VERDICTS_BY_RESTRICTIVENESS, type Verdict } from '../core/types.js';
import type { ConflictStrategy } from './schema.js';

/**
 * When a rule can never affect a decision because an earlier rule of the same document and stage
 * always matches. "Earlier" is evaluation order: higher priority first, then rule order; that is
 * also the order every strategy breaks ties in (see conflict.ts).
 *
 * The earlier rule is unconditional (no condition, or `true`), so it is a candidate for every
 * request of its stage that its document applies to, which is every request the later rule could
 * match. Whether that settles the decision depends on the strategy:
 *
 * - priority_first_match takes the first candidate: the earlier rule, always.
 * - most_specific_wins takes the first candidate of the most specific document; both rules are in
 *   one document, so never the later one.
 * - deny_overrides takes the most restrictive verdict, ties to the first. The later rule never
 *   wins when it is no more restrictive; but two matched transforms are merged (the later one
 *   still rewrites), and a later rule with a `limit` turns into a deny once the limit is spent,
 *   which it can be whenever the winner lets calls through.
 * - allow_overrides takes the first allow, else the most restrictive. An earlier unlimited allow
 *   always wins (a limited one turns into a deny once spent). An earlier rule of any other verdict
 *   outranks later rules that are neither allows nor more restrictive, except a later limited rule
 *   that turns into a deny past an earlier verdict that is not itself a deny.
 *
 * The strategy is the document's own; an evaluator told another strategy, or loading documents
 * that disagree (they then fall back to deny_overrides), may decide differently.
 */

/** The facts about a rule that decide whether it can be shadowed or shadow another. */
export interface RuleEffect {
  verdict: Verdict;
  /** The rule has a `limit`: past it, its verdict becomes deny. */
  limited: boolean;
}

/** True when `later` can never affect a decision because the unconditional `earlier` always matches first. */
export function isShadowed(earlier: RuleEffect, later: RuleEffect, strategy: ConflictStrategy): boolean {
  switch (strategy) {
    case 'priority_first_match':
    case 'most_specific_wins':
      return true;
    case 'deny_overrides':
      if (earlier.verdict === 'transform' && later.verdict === 'transform') return false;
      if (later.limited && isAllowingVerdict(earlier.verdict)) return false;
      return rank(later.verdict) >= rank(earlier.verdict);
    case 'allow_overrides':
      if (earlier.verdict === 'allow') return !earlier.limited;
      if (later.verdict === 'allow') return false;
      if (later.limited && earlier.verdict !== 'deny') return false;
      return rank(later.verdict) >= rank(earlier.verdict);
  }
}

/** Position in VERDICTS_BY_RESTRICTIVENESS: 0 is the most restrictive (deny). */
export function rank(verdict: Verdict): number {
  return VERDICTS_BY_RESTRICTIVENESS.indexOf(verdict);
}
