import { VERDICTS_BY_RESTRICTIVENESS, type Verdict } from '../../core/types.js';
import type { ConflictStrategy } from '../document/schema.js';

/**
 * When a rule can never affect a decision because an earlier rule of the same document and stage
 * always matches. "Earlier" is evaluation order: higher priority first, then rule order; that is
 * also the order every strategy breaks ties in (see evaluate/conflict.ts).
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
 *   still rewrites).
 * - allow_overrides takes the first allow, else the most restrictive. An earlier allow always
 *   wins; an earlier rule of any other verdict outranks later rules that are neither allows nor
 *   more restrictive.
 *
 * A require_approval decision carries every transform its request matched (what a human
 * approves, and what then runs, is the transformed call), and any rule may hold a call for
 * approval, so a later transform is shadowed only where the decision is certainly a deny
 * (deny_overrides behind an earlier deny).
 *
 * Rate limits apply after the decision, to every matched rule that has one: a call that is not
 * denied counts against each, and one past any of them is denied. So a later rule with a `limit`
 * matters whenever the decision can be something other than deny: always, except under
 * deny_overrides behind an earlier deny.
 *
 * The strategy is the document's own; an evaluator told another strategy, or loading documents
 * that disagree (they then fall back to deny_overrides), may decide differently.
 */

/** The facts about a rule that decide whether it can be shadowed or shadow another. */
export interface RuleEffect {
  verdict: Verdict;
  /** The rule has a `limit`: past it, a decision it matched becomes a deny. */
  limited: boolean;
}

/** True when `later` can never affect a decision because the unconditional `earlier` always matches first. */
export function isShadowed(earlier: RuleEffect, later: RuleEffect, strategy: ConflictStrategy): boolean {
  // Only deny_overrides with an earlier deny guarantees a deny (which counts against nothing):
  // under the other strategies a rule of higher priority, or an allow, may still win.
  const laterLimitCounts = later.limited && (strategy !== 'deny_overrides' || earlier.verdict !== 'deny');
  if (laterLimitCounts) return false;
  // A call held for approval carries every transform it matched, under any strategy, and some
  // rule may hold it for approval: a later transform still rewrites what the human approves and
  // what then runs, unless the decision is certainly a deny.
  if (later.verdict === 'transform' && !(strategy === 'deny_overrides' && earlier.verdict === 'deny')) return false;
  switch (strategy) {
    case 'priority_first_match':
    case 'most_specific_wins':
      return true;
    case 'deny_overrides':
      if (earlier.verdict === 'transform' && later.verdict === 'transform') return false;
      return rank(later.verdict) >= rank(earlier.verdict);
    case 'allow_overrides':
      if (earlier.verdict === 'allow') return true;
      if (later.verdict === 'allow') return false;
      return rank(later.verdict) >= rank(earlier.verdict);
  }
}

/** Position in VERDICTS_BY_RESTRICTIVENESS: 0 is the most restrictive (deny). */
export function rank(verdict: Verdict): number {
  return VERDICTS_BY_RESTRICTIVENESS.indexOf(verdict);
}
