import { describe, expect, it } from 'vitest';
import { PolicyLoadError } from '../../src/core/errors.js';
import { PolicyAction, PolicyCondition, PolicyDefaults, PolicyDocument, PolicyOperator, PolicyRule } from '../../src/policy/document/document.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

describe('PolicyEvaluator with AGT programmatic documents', () => {
  it('runs the seed example', () => {
    const evaluator = new PolicyEvaluator({
      policies: [
        new PolicyDocument({
          name: 'my-policy',
          version: '1.0',
          defaults: new PolicyDefaults({ action: PolicyAction.ALLOW }),
          rules: [
            new PolicyRule({
              name: 'block-dangerous-tools',
              condition: new PolicyCondition({ field: 'tool_name', operator: PolicyOperator.IN, value: ['execute_code', 'delete_file'] }),
              action: PolicyAction.DENY,
              priority: 100,
            }),
          ],
        }),
      ],
    });
    expect(evaluator.evaluate({ tool_name: 'web_search' })).toMatchObject({ verdict: 'allow', allowed: true });
    expect(evaluator.evaluate({ tool_name: 'delete_file' })).toMatchObject({ verdict: 'deny', allowed: false, rule: 'block-dangerous-tools', policy: 'my-policy' });
  });

  it('accepts plain object literals of the same shape, with the same results and revision', () => {
    const literal = {
      name: 'my-policy',
      version: '1.0',
      defaults: { action: 'allow' },
      rules: [{ name: 'block-dangerous-tools', condition: { field: 'tool_name', operator: 'in', value: ['execute_code', 'delete_file'] }, action: 'deny', priority: 100 }],
    };
    const viaLiteral = new PolicyEvaluator({ policies: [literal] });
    expect(viaLiteral.evaluate({ tool_name: 'delete_file' }).rule).toBe('block-dangerous-tools');
    expect(viaLiteral.evaluate({ tool_name: 'web_search' }).verdict).toBe('allow');
  });

  it('compiles structured conditions and CEL strings to the same engine', () => {
    const structured = new PolicyEvaluator({
      policies: [{ name: 's', default_action: 'allow', rules: [{ name: 'r', condition: { field: 'args.rows', operator: 'gt', value: 100 }, action: 'deny' }] }],
    });
    const cel = new PolicyEvaluator({ policies: [{ name: 's', default_action: 'allow', rules: [{ name: 'r', condition: 'args.rows > 100.0', action: 'deny' }] }] });
    for (const args of [{ rows: 5 }, { rows: 500 }, {}, { rows: 'many' }]) {
      expect(structured.evaluate({ tool_name: 't', args }).verdict).toBe(cel.evaluate({ tool_name: 't', args }).verdict);
    }
    // and a missing field fails closed for a deny rule, in both forms
    expect(structured.evaluate({ tool_name: 't', args: {} }).verdict).toBe('deny');
  });

  const operatorCases: [PolicyOperator, unknown, Record<string, unknown>, boolean][] = [
    ['eq', 'a', { v: 'a' }, true],
    ['eq', 3, { v: 3 }, true],
    ['eq', true, { v: false }, false],
    ['ne', 'a', { v: 'b' }, true],
    ['gt', 10, { v: 11 }, true],
    ['gt', 10, { v: 10 }, false],
    ['gte', 10, { v: 10 }, true],
    ['lt', 2.5, { v: 2 }, true],
    ['lte', 2, { v: 3 }, false],
    ['in', ['x', 'y'], { v: 'y' }, true],
    ['in', [1, 2], { v: 3 }, false],
    ['not_in', ['x', 'y'], { v: 'z' }, true],
    ['not_in', ['x', 'y'], { v: 'x' }, false],
    ['matches', '^db_[a-z]+$', { v: 'db_read' }, true],
    ['matches', '(?i)^DROP', { v: 'drop table' }, true],
    ['matches', '^db_', { v: 'read_db' }, false],
    ['contains', 'secret', { v: 'top secret file' }, true],
    ['contains', 'admin', { v: ['user', 'admin'] }, true],
    ['contains', 'root', { v: ['user'] }, false],
  ];
  it.each(operatorCases)('operator %s %j on %j → %s', (operator, value, args, expected) => {
    const evaluator = new PolicyEvaluator({
      policies: [{ name: 'ops', default_action: 'allow', rules: [{ name: 'r', condition: { field: 'args.v', operator, value }, action: 'warn' }] }],
    });
    expect(evaluator.evaluate({ tool_name: 't', args }).verdict).toBe(expected ? 'warn' : 'allow');
  });

  it('rejects structured conditions on fields a request does not have, suggesting context', () => {
    expect(() => new PolicyEvaluator({ policies: [{ name: 'x', rules: [{ name: 'r', condition: { field: 'token_count', operator: 'gt', value: 5 }, action: 'deny' }] }] })).toThrow(
      /field 'token_count' is not part of a request.*context.token_count/,
    );
  });

  it('validates object literals with the same errors as files', () => {
    try {
      new PolicyEvaluator({ policies: [{ name: 'x', rules: [{ name: 'r', action: 'alow' }] }] });
      throw new Error('expected a load error');
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyLoadError);
      expect((error as Error).message).toMatch(/<policies\[0\]>: rules.0.action: "alow" is not one of .* \(did you mean 'allow'\?\)/);
    }
  });
});
