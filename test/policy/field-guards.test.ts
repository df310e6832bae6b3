import { describe, expect, it } from 'vitest';
import { parseConditionSyntax } from '../../src/policy/language/cel.js';
import { findUnguardedReads } from '../../src/policy/lint/field-guards.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

const unguarded = (condition: string) => findUnguardedReads(parseConditionSyntax(condition).ast).map((read) => read.field);

describe('findUnguardedReads', () => {
  it.each([
    ["args.table == 'users'", ['args.table']],
    ["context.user.role in ['admin']", ['context.user.role']],
    ["agent.id == 'bot'", ['agent.id']],
    ["output.status == 'ok'", ['output.status']],
    ["args['my-key'] == 1", ['args["my-key"]']],
    ["args.x in ['a'] && args.x == 'b'", ['args.x']], // `in` reads; each field is reported once
    ['has(context.user.role)', ['context.user']], // has() reads all but the last field
    ['args.items.exists(i, i.size > 1)', ['args.items']],
  ])('reports %s', (condition, fields) => {
    expect(unguarded(condition)).toEqual(fields);
  });

  it.each([
    "has(args.table) && args.table == 'users'",
    "args.table == 'users' and has(args.table)", // CEL's && absorbs the error when the guard is false
    "'table' in args && args.table == 'users'",
    'not has(args.dry_run) or args.dry_run == False',
    'has(args.x) ? args.x == 1 : false',
    "has(context.user) && has(context.user.role) && context.user.role == 'admin'",
    "action.type == 'drop' && tool_name == 'db'", // always present
    'has(output.customer)',
    'size(args) > 0 && stage == "pre_tool"',
    '[1, 2].exists(args, args > 1)', // a comprehension variable, not the request's args
    "has(args.a) && has(args.b) ? args.a == args.b : true",
  ])('accepts %s', (condition) => {
    expect(unguarded(condition)).toEqual([]);
  });

  it('names the guards to write, shortest prefix first', () => {
    expect(findUnguardedReads(parseConditionSyntax("context.user.role == 'a' && args['k-1'] == 1").ast)).toEqual([
      { field: 'context.user.role', unguarded: ['context.user', 'context.user.role'], guards: ['has(context.user)', 'has(context.user.role)'] },
      { field: 'args["k-1"]', unguarded: ['args["k-1"]'], guards: ['"k-1" in args'] },
    ]);
  });

  it('agrees with the engine: what it accepts never errors on a request without the fields, what it reports does', () => {
    const run = (condition: string) => {
      const evaluator = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules:\n  - name: r\n    condition: ${JSON.stringify(condition)}\n    action: deny\n`);
      return evaluator.evaluate({ tool_name: 't', args: {}, context: {} }).diagnostics.errors.length;
    };
    for (const condition of ["has(args.t) && args.t == 'x'", "'t' in args && args.t == 'x'", '!has(args.t) || args.t == 1', "args.t == 'x' && has(args.t)"]) {
      expect(unguarded(condition)).toEqual([]);
      expect(run(condition)).toBe(0);
    }
    for (const condition of ["args.t == 'x'", 'has(context.u.r)', "args.t == 'x' || has(args.t)"]) {
      expect(unguarded(condition)).not.toEqual([]);
      expect(run(condition)).toBe(1);
    }
  });
});
