import { readFileSync } from 'node:fs';
import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../src/policy/language/cel.js';
import { EvaluationBudget } from '../../src/policy/language/budget.js';
import type { ComprehensionArgs, InternalNode } from '../../src/policy/language/metering.js';

/**
 * The evaluation budget (src/policy/language/metering.ts) wraps functions inside cel-js's syntax
 * trees. These tests pin what it relies on, so that upgrading cel-js fails here, loudly, instead
 * of silently leaving conditions unmetered.
 */

describe('the cel-js internals metering relies on', () => {
  it('cel-js is pinned exactly to 8.0.0', () => {
    const project = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(project.dependencies['@marcbachmann/cel-js']).toBe('8.0.0');
    const installed = JSON.parse(readFileSync(new URL('../../node_modules/@marcbachmann/cel-js/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(installed.version).toBe('8.0.0');
  });

  it('macros expand at parse time to comprehension nodes with a step, a range and a loop condition', () => {
    const env = new Environment().registerVariable('items', 'list<int>');
    for (const [macro, kind] of [['all', 'quantifier'], ['exists', 'quantifier'], ['exists_one', 'quantifier'], ['map', undefined], ['filter', undefined]] as const) {
      const body = macro === 'map' ? 'x + 1' : 'x > 0';
      const program = env.parse(`items.${macro}(x, ${body})`);
      const call = program.ast as unknown as InternalNode;
      const comprehension = call.meta.alternate as InternalNode;
      expect(comprehension.op).toBe('comprehension');
      const args = comprehension.args as ComprehensionArgs;
      expect(args.kind).toBe(kind);
      expect(['?:', 'accuPush']).toContain(args.step.op);
      expect(args.iterable.op).toBe('id');
      if (macro === 'all' || macro === 'exists') {
        expect(args.errorsAreFatal).toBe(false);
        expect(typeof args.condition).toBe('function');
      }
      expect(program.check().valid).toBe(true);
      // what the type check leaves: the step's meta.evaluate, the comprehension's handle
      expect(typeof args.step.meta.evaluate).toBe('function');
      expect(typeof comprehension.handle).toBe('function');
    }
  });

  it("a node's evaluate is taken from meta.evaluate on first use, and operators call their handle", () => {
    const env = new Environment().registerVariable('items', 'list<int>');
    const program = env.parse('items.all(x, x in items)');
    expect(program.check().valid).toBe(true);
    const args = (program.ast as unknown as InternalNode).meta.alternate?.args as ComprehensionArgs;
    const membership = (args.step.args as InternalNode[])[0] as InternalNode;
    expect(membership.op).toBe('in');
    let steps = 0;
    let handled = 0;
    const step = args.step.meta.evaluate as (...a: unknown[]) => unknown;
    args.step.setMeta('evaluate', function (this: unknown, ...a: unknown[]) {
      steps++;
      return step.apply(this, a);
    });
    const handle = membership.handle as (...a: unknown[]) => unknown;
    membership.handle = (...a: unknown[]) => {
      handled++;
      return handle(...a);
    };
    expect(program({ items: [1n, 2n, 3n] })).toBe(true);
    expect([steps, handled]).toEqual([3, 3]);
  });

  it('a quantifier keeps iterating after a step throws (why a spent budget ends loops by value)', () => {
    const env = new Environment().registerVariable('items', 'list<int>');
    const program = env.parse('items.exists(x, x == 3)');
    program.check();
    const args = (program.ast as unknown as InternalNode).meta.alternate?.args as ComprehensionArgs;
    const step = args.step.meta.evaluate as (...a: unknown[]) => unknown;
    let calls = 0;
    args.step.setMeta('evaluate', function (this: unknown, ...a: unknown[]) {
      if (calls++ === 0) throw new Error('first');
      return step.apply(this, a);
    });
    expect(program({ items: [1n, 2n, 3n] })).toBe(true);
    expect(calls).toBe(3);
  });
});

describe('metering charges every comprehension and sized operator', () => {
  const charged = (condition: string, args: Record<string, unknown>): number => {
    const budget = new EvaluationBudget(Number.MAX_SAFE_INTEGER);
    compileCondition(condition).test({ args }, budget);
    return Number.MAX_SAFE_INTEGER - budget.remaining;
  };
  const items = (n: number) => Array.from({ length: n }, (_, i) => `item-${i}`);

  it.each([
    ['all', 'args.items.all(x, x != "")'],
    ['exists', 'args.items.exists(x, x == "")'],
    ['exists_one', 'args.items.exists_one(x, x == "item-0")'],
    ['map', 'args.items.map(x, x + "!").size() > 0'],
    ['filter', 'args.items.filter(x, x != "").size() > 0'],
  ])('%s: at least a unit per element, linear in the length', (_, condition) => {
    const small = charged(condition, { items: items(100) });
    const large = charged(condition, { items: items(1000) });
    expect(small).toBeGreaterThanOrEqual(100);
    expect(large / small).toBeGreaterThan(8);
    expect(large / small).toBeLessThan(12);
  });

  it('nesting multiplies, at any depth', () => {
    const two = charged('args.items.all(x, args.items.all(y, x != "" && y != ""))', { items: items(30) });
    const three = charged('args.items.all(x, args.items.all(y, args.items.all(z, z != "")))', { items: items(30) });
    expect(two).toBeGreaterThan(30 * 30);
    expect(three).toBeGreaterThan(30 * 30 * 30);
  });

  it('`in` over a list and string functions pay for what they are given', () => {
    expect(charged('args.items.all(x, x in args.items)', { items: items(300) })).toBeGreaterThan(300 * 300);
    const text = 'a'.repeat(64 * 1000);
    expect(charged('args.items.all(x, !args.text.contains(x))', { items: items(100), text })).toBeGreaterThan(100 * 1000);
    expect(charged('args.items.all(x, !args.text.matches(x))', { items: items(10), text })).toBeGreaterThan(10 * text.length);
  });

  it('a condition without comprehensions over small values costs (almost) nothing', () => {
    expect(charged('args.rows > 5 && args.table == "users"', { rows: 10, table: 'users' })).toBe(0);
  });
});
