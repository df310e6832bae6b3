import { describe, expect, it } from 'vitest';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { issuesOf } from './policy-issues.js';


const HEAD = 'apiVersion: governance.toolkit/v1\nname: p\n';

describe('policy errors name the file, line, column and key, with a fix where one fits', () => {
  it('unknown keys, with did-you-mean', () => {
    const [issue] = issuesOf(`${HEAD}rules:\n  - name: a\n    conditon: "true"\n    action: deny\n`);
    expect(issue).toMatchObject({ file: 'policy.yaml', line: 5, column: 5, key: 'rules.0.conditon', message: "unknown key 'conditon'", hint: "did you mean 'condition'?" });
  });

  it('unknown top-level keys', () => {
    const [issue] = issuesOf(`${HEAD}default_acton: allow\nrules: []\n`);
    expect(issue).toMatchObject({ line: 3, column: 1, key: 'default_acton', hint: "did you mean 'default_action'?" });
  });

  it('bad enum values, with did-you-mean', () => {
    const [issue] = issuesOf(`${HEAD}rules:\n  - name: a\n    action: dney\n`);
    expect(issue).toMatchObject({ line: 5, column: 13, key: 'rules.0.action', hint: "did you mean 'deny'?" });
    expect(issue?.message).toMatch(/"dney" is not one of allow, deny/);
  });

  it('missing required keys', () => {
    const issues = issuesOf(`apiVersion: governance.toolkit/v1\nrules:\n  - action: deny\n`);
    expect(issues.map((i) => i.message)).toEqual(expect.arrayContaining(["required key 'name' is missing"]));
    expect(issues.map((i) => i.key)).toEqual(expect.arrayContaining(['name', 'rules.0.name']));
  });

  it('a missing required enum key (a rule without action) says it is missing', () => {
    const [issue] = issuesOf(`${HEAD}rules:\n  - name: a\n`);
    expect(issue).toMatchObject({ key: 'rules.0.action', code: 'missing-key', message: "required key 'action' is missing" });
  });

  it('every issue carries a stable code', () => {
    const codes = (yaml: string) => issuesOf(yaml).map((i) => i.code).sort();
    expect(codes(`${HEAD}rules:\n  - name: a\n    conditon: "true"\n    action: dney\n`)).toEqual(['invalid-value', 'unknown-key']);
    expect(codes(`${HEAD}rules:\n  - { name: a, action: deny }\n  - { name: a, action: allow, limit: 0/minute }\n`)).toEqual(['duplicate-rule-name', 'invalid-limit']);
    expect(codes(`${HEAD}rules:\n  - { name: a, action: transform }\n  - { name: b, action: deny, condition: "1 +" }\n`)).toEqual(['invalid-transform']);
    expect(codes(`${HEAD}blocked_patterns: ['(a']\nrules:\n  - { name: b, action: deny, condition: "1 +" }\n`)).toEqual(['invalid-condition', 'invalid-pattern']);
    expect(codes(`${HEAD}rules: [\n`)).toEqual(['yaml-syntax']);
  });

  it('duplicate rule names', () => {
    const [issue] = issuesOf(`${HEAD}rules:\n  - { name: a, action: deny }\n  - { name: a, action: allow }\n`);
    expect(issue).toMatchObject({ line: 5, key: 'rules.1.name' });
    expect(issue?.message).toMatch(/duplicate rule name 'a'/);
  });

  it('conditions that do not parse, naming the rule', () => {
    const [issue] = issuesOf(`${HEAD}rules:\n  - name: broken\n    condition: "args.rows >"\n    action: deny\n`);
    expect(issue).toMatchObject({ line: 5, column: 16, key: 'rules.0.condition' });
    expect(issue?.message).toMatch(/rule 'broken': condition does not compile: Unexpected token/);
  });

  it('conditions that do not type-check: unknown names, with did-you-mean', () => {
    const [issue] = issuesOf(`${HEAD}rules:\n  - name: typo\n    condition: "tool == 'x'"\n    action: deny\n`);
    expect(issue?.message).toMatch(/rule 'typo'.*Unknown variable: tool/);
    const [other] = issuesOf(`${HEAD}rules:\n  - name: t\n    condition: "toolname == 'x'"\n    action: deny\n`);
    expect(other?.hint).toBe("did you mean 'tool_name'?");
  });

  it('conditions that are not boolean', () => {
    const [issue] = issuesOf(`${HEAD}rules:\n  - name: n\n    condition: "1 + 2"\n    action: deny\n`);
    expect(issue?.message).toMatch(/must be boolean.*int/);
  });

  it('bad regular expressions, in conditions and blocked_patterns', () => {
    const [inCondition] = issuesOf(`${HEAD}rules:\n  - name: r\n    condition: "input.matches('(unclosed')"\n    action: deny\n`);
    expect(inCondition?.message).toMatch(/rule 'r'.*invalid regular expression/);
    const [backref] = issuesOf(`${HEAD}rules:\n  - name: r\n    condition: "matches(input, 'a(?=b)')"\n    action: deny\n`);
    expect(backref?.message).toMatch(/invalid regular expression/);
    const [blocked] = issuesOf(`${HEAD}blocked_patterns: ["ok", "(?<=x)y"]\nrules: []\n`);
    expect(blocked).toMatchObject({ line: 3, key: 'blocked_patterns.1', hint: expect.stringMatching(/RE2/) });
  });

  it('bad limits and misplaced transform keys', () => {
    const issues = issuesOf(`${HEAD}rules:\n  - { name: a, action: allow, limit: "ten per minute" }\n  - { name: b, action: deny, redact: [x] }\n  - { name: c, action: transform }\n`);
    expect(issues.map((i) => `${i.key}: ${i.message}`)).toEqual([
      expect.stringMatching(/rules.0.limit: must look like "10\/minute"/),
      expect.stringMatching(/rules.1.redact: `redact` only applies to action: transform/),
      expect.stringMatching(/rules.2.action: a transform rule needs `redact` or `set`/),
    ]);
  });

  it('reports every error at once, not just the first', () => {
    expect(issuesOf(`${HEAD}rules:\n  - { name: a, action: nope }\n  - { name: b, action: deny, when: x }\n`)).toHaveLength(2);
  });

  it('malformed YAML', () => {
    const [issue] = issuesOf(`${HEAD}rules:\n  - name: a\n   action: deny\n`);
    expect(issue?.message).toMatch(/^YAML syntax/);
    expect(issue?.line).toBeGreaterThanOrEqual(4);
  });

  it('duplicate YAML keys', () => {
    expect(issuesOf(`${HEAD}name: q\nrules: []\n`)[0]?.message).toMatch(/YAML syntax:.*unique/i);
  });

  it('alias bombs', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
    const [issue] = issuesOf(`${HEAD}${bomb.join('\n')}\nrules: []\n`);
    expect(issue?.message).toMatch(/alias/i);
  });

  it('oversized policies', () => {
    const [issue] = issuesOf(`${HEAD}description: "${'x'.repeat(1024 * 1024)}"\nrules: []\n`);
    expect(issue?.message).toMatch(/limit is 1048576/);
  });

  it('more than one YAML document per file', () => {
    expect(issuesOf(`${HEAD}rules: []\n---\nname: q\n`)[0]?.message).toMatch(/one policy document per file/);
  });

  it('a document that is not a mapping', () => {
    expect(issuesOf(`- just\n- a list\n`)[0]?.message).toMatch(/must be a mapping/);
  });

  it('formats issues as file:line:column: key: message (hint)', () => {
    try {
      PolicyEvaluator.fromYaml(`${HEAD}rules:\n  - name: a\n    conditon: "true"\n    action: deny\n`, { origin: 'policy.yaml' });
    } catch (error) {
      expect((error as Error).message).toBe("policy.yaml:5:5: rules.0.conditon: unknown key 'conditon' (did you mean 'condition'?)");
    }
  });
});

describe('transform paths', () => {
  it('must be dotted names without prototype keys', () => {
    const issues = issuesOf(`${HEAD}rules:\n  - { name: t, action: transform, redact: ["a..b", "x.__proto__.y"], set: { "constructor.z": 1 } }\n`);
    expect(issues.map((i) => `${i.key}: ${i.message}`)).toEqual([
      "rules.0.redact.0: field path 'a..b' has an empty segment",
      "rules.0.redact.1: field path 'x.__proto__.y' may not use '__proto__'",
      "rules.0.set.constructor.z: field path 'constructor.z' may not use 'constructor'",
    ]);
  });

  it('are checked at load: a $-rooted path is an error with file, line, column and a hint, never a literal "$snap" key', () => {
    const issues = issuesOf(`${HEAD}rules:\n  - name: bad-transform-target\n    stage: input\n    action: transform\n    set: { "$snap.input.text": forbidden }\n`);
    expect(issues).toEqual([
      expect.objectContaining({
        file: 'policy.yaml',
        line: 7,
        column: 12,
        code: 'invalid-transform',
        key: 'rules.0.set.$snap.input.text',
        message: "field path '$snap.input.text' starts a segment with '$' ('$snap'): paths are relative to the stage's subject (input), not rooted",
        hint: expect.stringMatching(/nothing outside the input can be transformed at pre_input/) as string,
      }),
    ]);
    const [policyTarget] = issuesOf(`${HEAD}rules:\n  - { name: t, stage: input, action: transform, redact: [$policy_target.text] }\n`);
    expect(policyTarget).toMatchObject({ key: 'rules.0.redact.0', hint: "write 'text' for the subject's field" });
  });

  it("must stay inside the stage's subject: output.x at pre_tool, args.x at post_tool, input.x at output are errors", () => {
    const cases: [string, string, RegExp][] = [
      ['pre_tool', 'output.x', /names the output, but at pre_tool a transform rewrites the args/],
      ['post_tool', 'args.x', /names the args, but at post_tool a transform rewrites the output/],
      ['output', 'input.text', /names the input, but at pre_output a transform rewrites the output/],
      ['input', 'output', /names the output, but at pre_input/],
    ];
    for (const [stage, path, message] of cases) {
      const [issue] = issuesOf(`${HEAD}rules:\n  - { name: t, stage: ${stage}, action: transform, redact: ["${path}"] }\n`);
      expect(issue?.message, `${path} at ${stage}`).toMatch(message);
      expect(issue?.hint, `${path} at ${stage}`).toMatch(/relative to the/);
      expect(issue).toMatchObject({ code: 'invalid-transform', line: 4 });
    }
  });

  it('accept names relative to the subject, * for any key, and a leading subject name that matches the stage', () => {
    const ok = [
      ['pre_tool', ['ssn', 'customer.email', 'rows.*.card', 'args.ssn', 'args', 'args.output.format']],
      ['post_tool_call', ['output.ssn', 'rows.*.card', 'output']],
      ['input', ['text', 'input.text']],
      ['post_model_call', ['output.content', 'content']],
    ] as const;
    for (const [stage, paths] of ok) {
      expect(() => PolicyEvaluator.fromYaml(`${HEAD}rules:\n  - { name: t, stage: ${stage}, action: transform, redact: [${paths.map((p) => `"${p}"`).join(', ')}] }\n`)).not.toThrow();
    }
  });
});
