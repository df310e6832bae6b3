import { describe, expect, it } from 'vitest';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { compileCondition } from '../../src/policy/language/cel.js';

/** A small deterministic PRNG so failures reproduce. */
function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const TOOLS = ['search', 'db', 'mail', 'shell', 'fs', 'http'];
const TYPES = ['read', 'write', 'drop', 'send', 'exec'];
const VERDICTS = ['allow', 'deny', 'warn', 'log', 'require_approval'];

function conditionFor(rand: () => number): string {
  const tool = TOOLS[Math.floor(rand() * TOOLS.length)];
  const type = TYPES[Math.floor(rand() * TYPES.length)];
  switch (Math.floor(rand() * 7)) {
    case 0: return `tool_name == '${tool}'`;
    case 1: return `action.type in ['${type}', 'read']`;
    case 2: return `tool_name == '${tool}' && args.n > ${Math.floor(rand() * 10)}`;
    case 3: return `'${tool}' == tool_name && action.type == '${type}'`;
    case 4: return `args.n > ${Math.floor(rand() * 10)}`;
    case 5: return `(tool_name in ['${tool}', 'fs']) and not action.type == '${type}'`;
    default: return `tool_name == '${tool}' || action.type == '${type}'`;
  }
}

describe('the rule index', () => {
  it('pins only what it can prove, and marks whole-condition pins exact', () => {
    expect(compileCondition("tool_name == 'a'").pins).toEqual({ field: 'tool_name', values: ['a'], exact: true });
    expect(compileCondition("action.type in ['x', \"y\"]").pins).toEqual({ field: 'action.type', values: ['x', 'y'], exact: true });
    expect(compileCondition("(action.type == 'x') && (tool_name == 'a')").pins).toEqual({ field: 'tool_name', values: ['a'], exact: false });
    expect(compileCondition("tool_name == 'a' || true").pins).toBeNull();
    expect(compileCondition("tool_name == 'a' ? true : false").pins).toBeNull();
    expect(compileCondition("tool_name in ['a', args.x]").pins).toBeNull();
    expect(compileCondition("tool_name in ['a', 1]").pins).toBeNull();
    expect(compileCondition("args.tool_name == 'a'").pins).toBeNull();
    expect(compileCondition("tool_name != 'a'").pins).toBeNull();
  });

  it('gives exactly the decisions of an unindexed evaluation, over random policies and requests', () => {
    const rand = random(42);
    for (let round = 0; round < 20; round++) {
      const rules = Array.from({ length: 60 }, (_, i) => ({
        name: `r${i}`,
        condition: conditionFor(rand),
        action: VERDICTS[Math.floor(rand() * VERDICTS.length)],
        priority: Math.floor(rand() * 4),
      }));
      const strategy = (['deny_overrides', 'allow_overrides', 'priority_first_match'] as const)[round % 3];
      const indexed = new PolicyEvaluator({ policies: [{ name: 'p', default_action: 'deny', rules }], conflictStrategy: strategy });
      // `(c) || false` means the same in CEL but has a top-level ||, so nothing can be pinned.
      const unindexed = new PolicyEvaluator({
        policies: [{ name: 'p', default_action: 'deny', rules: rules.map((r) => ({ ...r, condition: `(${r.condition}) || false` })) }],
        conflictStrategy: strategy,
      });
      for (let k = 0; k < 50; k++) {
        const request: Record<string, unknown> = {};
        if (rand() < 0.9) request.tool_name = TOOLS[Math.floor(rand() * TOOLS.length)];
        const shape = rand();
        if (shape < 0.6) request.action = { type: TYPES[Math.floor(rand() * TYPES.length)] };
        else if (shape < 0.7) request.action = { type: 7 };
        else if (shape < 0.8) request.action = {};
        if (rand() < 0.7) request.args = { n: Math.floor(rand() * 12) };
        const a = indexed.evaluate(request);
        const b = unindexed.evaluate(request);
        expect([a.verdict, a.rule, a.diagnostics.matchedRules.map((m) => m.rule)]).toEqual([b.verdict, b.rule, b.diagnostics.matchedRules.map((m) => m.rule)]);
      }
    }
  });
});
