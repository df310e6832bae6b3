import { describe, expect, it } from 'vitest';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { PolicyLoadError } from '../../src/core/errors.js';
import { compileCondition } from '../../src/policy/language/cel.js';
import { DEFAULT_EVALUATION_BUDGET, EvaluationBudget, EvaluationBudgetSpent } from '../../src/policy/language/budget.js';
import type { Decision } from '../../src/core/types.js';

/**
 * The evaluation budget (issue 9): CEL over request arrays must not make one decision slow. Every
 * decision's conditions share a budget of cost units; spent, the decision is a deny with
 * `runtime_error:budget`. The time bounds below are generous sanity bounds on a noisy machine,
 * not benchmarks (bench/worst-cel-rows.mjs measures): on main these cases take seconds or hang.
 */

const SANITY_MS = 2_000;

const policy = (conditions: readonly string[], defaults = '') =>
  PolicyEvaluator.fromYaml(
    `apiVersion: governance.toolkit/v1\nname: budget-test\ndefault_action: allow\n${defaults}rules:\n${conditions
      .map((condition, i) => `  - name: rule-${i}\n    condition: ${JSON.stringify(condition)}\n    action: deny\n`)
      .join('')}`,
  );

const numbers = (n: number) => Array.from({ length: n }, (_, i) => i);
const request = (args: Record<string, unknown>) => ({ tool_name: 'search', agent: { id: 'agent-1' }, args });

function timed(evaluator: PolicyEvaluator, input: object): { decision: Decision; ms: number } {
  const started = performance.now();
  const decision = evaluator.evaluate(input);
  return { decision, ms: performance.now() - started };
}

function expectBudgetDeny(decision: Decision): void {
  expect(decision.verdict).toBe('deny');
  expect(decision.allowed).toBe(false);
  expect(decision.reason).toMatch(/^runtime_error:budget: the conditions evaluated for this request needed more than the evaluation budget of [\d,]+ units, at rule 'rule-\d+' of policy 'budget-test'/);
  expect(decision.diagnostics.errors.map((e) => e.kind)).toEqual(['budget']);
}

describe('evaluation budget: the issue\'s hostile requests are denied quickly', () => {
  it('nested all over 4,000 elements (2.6 s on main)', () => {
    const evaluator = policy(['args.items.all(x, args.items.all(y, x != y || x == y)) == false']);
    const { decision, ms } = timed(evaluator, request({ items: numbers(4000) }));
    expectBudgetDeny(decision);
    expect(ms).toBeLessThan(SANITY_MS);
  });

  it('triple exists over 300 elements (4.7 s on main)', () => {
    const evaluator = policy(['args.items.exists(x, args.items.exists(y, args.items.exists(z, x + y + z < 0)))']);
    const { decision, ms } = timed(evaluator, request({ items: numbers(300) }));
    expectBudgetDeny(decision);
    expect(ms).toBeLessThan(SANITY_MS);
  });

  it('a 1 MiB request with nested comprehensions (no answer after 20 s on main)', () => {
    const items = numbers(165_000);
    expect(JSON.stringify(items).length).toBeGreaterThan(1_000_000);
    const evaluator = policy(['args.items.exists(x, args.items.filter(y, y == x).size() > 1)']);
    const { decision, ms } = timed(evaluator, request({ items }));
    expectBudgetDeny(decision);
    expect(ms).toBeLessThan(SANITY_MS);
  });

  it('a quadratic `in` inside one comprehension', () => {
    const evaluator = policy(['args.items.all(x, x in args.items) == false']);
    const { decision, ms } = timed(evaluator, request({ items: numbers(20_000) }));
    expectBudgetDeny(decision);
    expect(ms).toBeLessThan(SANITY_MS);
  });

  it('a quadratic string search inside one comprehension', () => {
    const evaluator = policy(['args.items.exists(x, args.text.contains(string(x) + "!"))']);
    const { decision, ms } = timed(evaluator, request({ items: numbers(20_000), text: 'a'.repeat(500_000) }));
    expectBudgetDeny(decision);
    expect(ms).toBeLessThan(SANITY_MS);
  });

  it('a comprehension over a large map, nested', () => {
    const map = Object.fromEntries(numbers(20_000).map((i) => [`k${i}`, i]));
    const evaluator = policy(['args.items.exists(x, args.map.exists(k, k == "none"))']);
    const { decision, ms } = timed(evaluator, request({ items: numbers(20_000), map }));
    expectBudgetDeny(decision);
    expect(ms).toBeLessThan(SANITY_MS);
  });

  it('the reason carries no request data', () => {
    const secret = 'sk-live-SECRET-VALUE';
    const items = numbers(3000).map((i) => `${secret}-${i}`);
    const evaluator = policy(['args.items.all(x, args.items.all(y, x != y || x == y)) == false']);
    const decision = evaluator.evaluate(request({ items, [secret]: 1 }));
    expectBudgetDeny(decision);
    expect(JSON.stringify(decision)).not.toContain(secret);
  });

  it('explain says the budget decided', () => {
    const evaluator = policy(['args.items.all(x, args.items.all(y, x != y || x == y)) == false']);
    const { decision, explanation } = evaluator.explain(request({ items: numbers(4000) }));
    expectBudgetDeny(decision);
    expect(explanation.decidedBy).toMatchObject({ by: 'request_error', kind: 'budget' });
  });
});

describe('evaluation budget: ordinary conditions are unaffected', () => {
  it('a comprehension over a small list allows and denies as before', () => {
    const evaluator = policy(['args.recipients.exists(r, !r.endsWith("@example.com"))']);
    expect(evaluator.evaluate(request({ recipients: ['a@example.com', 'b@example.com'] })).verdict).toBe('allow');
    const denied = evaluator.evaluate(request({ recipients: ['a@example.com', 'eve@evil.test'] }));
    expect(denied).toMatchObject({ verdict: 'deny', rule: 'rule-0' });
  });

  it('nested comprehensions over short lists are decided', () => {
    const evaluator = policy(['args.items.exists(x, args.items.exists(y, x != y && x.startsWith(y)))']);
    expect(evaluator.evaluate(request({ items: ['ab', 'cd', 'ef'] })).verdict).toBe('allow');
    expect(evaluator.evaluate(request({ items: ['ab', 'cd', 'abc'] })).verdict).toBe('deny');
  });

  it('map, filter and exists_one compute the same values under metering', () => {
    const evaluator = policy(['args.items.map(x, x + "!").filter(y, y.startsWith("a")).size() == 2 && args.items.exists_one(x, x == "b")']);
    expect(evaluator.evaluate(request({ items: ['a1', 'b', 'a2'] })).verdict).toBe('deny');
    expect(evaluator.evaluate(request({ items: ['a1', 'b', 'b', 'a2'] })).verdict).toBe('allow');
    expect(evaluator.evaluate(request({ items: ['a1', 'b'] })).verdict).toBe('allow');
  });

  it('a condition error inside a comprehension is still a condition error, not a budget deny', () => {
    const evaluator = policy(['args.items.all(x, x.missing == 1)']);
    const decision = evaluator.evaluate(request({ items: [{}, {}] }));
    expect(decision.reason).not.toMatch(/runtime_error:budget/);
    expect(decision.diagnostics.errors[0]?.kind).toBe('condition_error');
  });

  it('a linear pass over a large request fits the default budget', () => {
    const evaluator = policy(['"needle" in args.items', 'args.text.contains("needle")']);
    const items = numbers(50_000).map((i) => `id-${i}`);
    expect(evaluator.evaluate(request({ items, text: 'a'.repeat(400_000) })).verdict).toBe('allow');
  });
});

describe('evaluation budget: one per decision, configurable', () => {
  // Each condition alone spends about 60% of the budget set below; together they spend it.
  const half = 'args.items.all(x, x >= 0) == false';
  const items = numbers(1000);
  const units = (condition: string) => {
    const budget = new EvaluationBudget(Number.MAX_SAFE_INTEGER);
    compileCondition(condition).test({ args: { items } }, budget);
    return Number.MAX_SAFE_INTEGER - budget.remaining;
  };

  it('is shared by every condition evaluated for one request', () => {
    const cost = units(half);
    const budget = Math.ceil(cost / 0.6);
    const one = policy([half], `defaults:\n  evaluation_budget: ${budget}\n`);
    expect(one.evaluate(request({ items })).verdict).toBe('allow');
    const two = policy([half, half.replace('x >= 0', 'x > -1')], `defaults:\n  evaluation_budget: ${budget}\n`);
    const decision = two.evaluate(request({ items }));
    expectBudgetDeny(decision);
    expect(decision.reason).toContain("at rule 'rule-1'");
  });

  it('a configured budget is respected, above and below the default', () => {
    const condition = 'args.items.all(x, args.items.all(y, x != y || x == y)) == false';
    const small = { items: numbers(100) };
    expect(policy([condition]).evaluate(request(small)).verdict).toBe('allow');
    const tight = policy([condition], 'defaults:\n  evaluation_budget: 1000\n').evaluate(request(small));
    expectBudgetDeny(tight);
    expect(tight.reason).toContain('evaluation budget of 1,000 units');
    const large = { items: numbers(400) };
    expectBudgetDeny(policy([condition]).evaluate(request(large)));
    expect(policy([condition], `defaults:\n  evaluation_budget: ${DEFAULT_EVALUATION_BUDGET * 10}\n`).evaluate(request(large)).verdict).toBe('allow');
  });

  it('is a fresh budget for every decision', () => {
    const evaluator = policy([half], `defaults:\n  evaluation_budget: ${Math.ceil(units(half) / 0.6)}\n`);
    for (let i = 0; i < 5; i++) expect(evaluator.evaluate(request({ items })).verdict).toBe('allow');
  });

  it('refuses a budget that is not a whole number from 1 to the maximum, located', () => {
    for (const value of ['0', '-5', '1.5', '1000000000000', '"lots"']) {
      let error: unknown;
      try {
        policy([half], `defaults:\n  evaluation_budget: ${value}\n`);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PolicyLoadError);
      const issue = (error as PolicyLoadError).issues[0];
      expect(issue).toMatchObject({ key: 'defaults.evaluation_budget', line: 5 });
      if (value !== '"lots"') expect(issue?.code).toBe('invalid-limit');
    }
  });

  it('CompiledCondition.test throws EvaluationBudgetSpent once its budget runs out', () => {
    const condition = compileCondition('args.items.all(x, x >= 0)');
    expect(() => condition.test({ args: { items } }, new EvaluationBudget(100))).toThrow(EvaluationBudgetSpent);
    expect(condition.test({ args: { items } })).toBe(true);
  });
});
