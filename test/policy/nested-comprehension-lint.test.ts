import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintPolicies } from '../../src/policy/lint/lint.js';
import { describeNesting } from '../../src/policy/lint/nested-comprehensions.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/budget/nested-comprehension.yaml');

describe('lint: nested comprehensions over request data', () => {
  const findings = lintPolicies([FIXTURE]).findings.filter((f) => f.code === 'nested-comprehension');

  it('warns at each condition that nests comprehensions over request data, with the worst case', () => {
    expect(findings.map((f) => [f.severity, f.line, f.key])).toEqual([
      ['warning', 6, 'rules[0].condition'],
      ['warning', 9, 'rules[1].condition'],
    ]);
    expect(findings[0]?.message).toBe(
      "rule 'duplicate-pairs' nests comprehensions over request data: it iterates up to n² elements of args.items (n = its length), so a request with long lists spends the evaluation budget and is denied (runtime_error:budget)",
    );
    expect(findings[0]?.hint).toBe('bound the lists first (size(args.items) <= 100 && ...), or avoid the nesting');
    expect(findings[1]?.message).toContain('iterates up to n·m·n elements of args.a × args.b × args.a');
  });

  it('does not warn for one level, sequential comprehensions, a literal outer list, or a walk into each element', () => {
    expect(findings.some((f) => f.message.includes("'flat'"))).toBe(false);
    // x.children is part of x: all of them together are no longer than the request
    expect(findings.some((f) => f.message.includes("'children'"))).toBe(false);
  });

  it('describes powers and products', () => {
    expect(describeNesting(['args.items', 'args.items', 'args.items'])).toBe('iterates up to n³ elements of args.items (n = its length)');
  });
});
