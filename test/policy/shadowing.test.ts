import { describe, expect, it } from 'vitest';
import { VERDICTS_BY_RESTRICTIVENESS, type Decision, type Verdict } from '../../src/core/types.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { evaluateWithLimits } from '../../src/policy/evaluate/limited.js';
import { RateLimiter } from '../../src/reliability/rate-limits.js';
import { MemorySlidingWindowStore } from '../../src/state/sliding-window.js';
import { CONFLICT_STRATEGIES, type ConflictStrategy } from '../../src/policy/document/schema.js';
import { isShadowed, type RuleEffect } from '../../src/policy/lint/shadowing.js';

/**
 * Lint may call a rule unreachable only when it truly never affects a decision. This checks every
 * combination lint would report against the evaluator itself: with and without the "shadowed" rule,
 * the same requests (in the same order, so rate limits fill up) must get the same decisions, among
 * other rules of every verdict placed before and after, whatever the strategy.
 */

const ruleYaml = (name: string, effect: RuleEffect, extra: string) =>
  `  - name: ${name}\n    action: ${effect.verdict}\n${extra}` +
  (effect.limited ? '    limit: 2/minute\n' : '') +
  (effect.verdict === 'transform' ? `    redact: [${name}]\n` : '') +
  (effect.verdict === 'require_approval' ? `    approvers: [${name}-team]\n` : '');

/** Bystanders: one rule of each verdict, some before the pair and some after, each with its own trigger. */
const bystanders = VERDICTS_BY_RESTRICTIVENESS.map((verdict, i) =>
  ruleYaml(`other-${verdict}`, { verdict, limited: i % 2 === 0 }, `    condition: "has(args.${verdict})"\n    priority: ${i % 2 === 0 ? 20 : -20}\n`),
).join('');

function policy(strategy: ConflictStrategy, earlier: RuleEffect, later: RuleEffect | null): string {
  return (
    `apiVersion: governance.toolkit/v1\nname: p\nconflict_strategy: ${strategy}\ndefault_action: allow\nrules:\n` +
    ruleYaml('earlier', earlier, '    priority: 5\n') +
    (later ? ruleYaml('later', later, '    condition: "has(args.later)"\n') : '') +
    bystanders
  );
}

/** A deterministic pseudo-random stream, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const essentials = (d: Decision) => [d.verdict, d.rule, d.reason, d.transform, d.rateLimited, d.approvers];

describe('isShadowed is sound', () => {
  const effects: RuleEffect[] = VERDICTS_BY_RESTRICTIVENESS.flatMap((verdict: Verdict) => [
    { verdict, limited: false },
    { verdict, limited: true },
  ]);
  for (const strategy of CONFLICT_STRATEGIES) {
    it(`under ${strategy}, a rule it calls shadowed never changes a decision`, () => {
      let checked = 0;
      for (const earlier of effects) {
        for (const later of effects) {
          if (!isShadowed(earlier, later, strategy)) continue;
          checked++;
          const clock = () => 1_000_000;
          // Limits apply after the decision, as the kernel applies them: each evaluator has its own limiter.
          const withRule = PolicyEvaluator.fromYaml(policy(strategy, earlier, later));
          const without = PolicyEvaluator.fromYaml(policy(strategy, earlier, null));
          const withLimiter = new RateLimiter(new MemorySlidingWindowStore(), clock);
          const withoutLimiter = new RateLimiter(new MemorySlidingWindowStore(), clock);
          const next = random(checked);
          for (let i = 0; i < 40; i++) {
            const args: Record<string, boolean> = { later: next() < 0.7 };
            for (const verdict of VERDICTS_BY_RESTRICTIVENESS) if (next() < 0.25) args[verdict] = true;
            const request = { tool_name: 't', args };
            expect(essentials(evaluateWithLimits(withRule, withLimiter, request)), `${JSON.stringify(earlier)} then ${JSON.stringify(later)}, request ${i}`).toEqual(essentials(evaluateWithLimits(without, withoutLimiter, request)));
          }
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }

  it('is not vacuous: it keeps rules that can decide', () => {
    expect(isShadowed({ verdict: 'allow', limited: false }, { verdict: 'deny', limited: false }, 'deny_overrides')).toBe(false);
    expect(isShadowed({ verdict: 'transform', limited: false }, { verdict: 'transform', limited: false }, 'deny_overrides')).toBe(false);
    expect(isShadowed({ verdict: 'allow', limited: false }, { verdict: 'warn', limited: true }, 'deny_overrides')).toBe(false);
    // a later rule's limit applies to the whole decision (limits come after policy), whichever rule won
    expect(isShadowed({ verdict: 'allow', limited: false }, { verdict: 'log', limited: true }, 'allow_overrides')).toBe(false);
    expect(isShadowed({ verdict: 'deny', limited: false }, { verdict: 'log', limited: true }, 'allow_overrides')).toBe(false);
    expect(isShadowed({ verdict: 'require_approval', limited: false }, { verdict: 'log', limited: true }, 'priority_first_match')).toBe(false);
    expect(isShadowed({ verdict: 'deny', limited: false }, { verdict: 'allow', limited: false }, 'allow_overrides')).toBe(false);
  });
});
