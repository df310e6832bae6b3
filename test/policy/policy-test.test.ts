import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyLoadError } from '../../src/core/errors.js';
import { findPolicyTestFiles, runPolicyTestFile, runPolicyTests } from '../../src/policy/testing/policy-test.js';
import { readPolicyTestFile } from '../../src/policy/testing/policy-test-file.js';
import { SEED_POLICY } from '../fixtures/seed-policy.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'agt-policy-test-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

const LIMITED_POLICY = `${SEED_POLICY}  - name: search-budget
    condition: "tool_name == 'search'"
    action: allow
    limit: "2/minute"
  - name: redact-ssn
    stage: post_tool
    condition: "tool_name == 'crm' && has(output.ssn)"
    action: transform
    redact: [ssn]
  - name: big-exports
    condition: "tool_name == 'export' && args.rows > 100"
    action: deny
`;

const DROP_CASE = `  - name: drop is denied
    input: { tool_name: db, action: drop }
    expect: { verdict: deny, rule: block-destructive }
`;

describe('policy test files', () => {
  it('run their cases in order against one evaluator, so a repeated case exhausts a rate limit', () => {
    const root = tree({
      'policy.yaml': LIMITED_POLICY,
      'policy.test.yaml': `cases:
${DROP_CASE}  - name: reads fall to the default
    input: { tool_name: db, action: read }
    expect: { verdict: allow, rule: null, policy: production-policy }
  - name: the third search in a minute is limited
    input: { tool_name: search }
    repeat: 3
    expect: { verdict: deny, rule: search-budget, rate_limited: true, reason_contains: Rate limit }
  - name: the budget is still spent in the next case
    input: { tool_name: search }
    expect: { verdict: deny, rate_limited: true }
  - name: emails wait for security
    input: { tool_name: mail, action: send_email }
    expect: { verdict: require_approval, approvers: [security-team] }
  - name: an ssn in a crm answer is redacted
    input: { stage: post_tool, tool_name: crm, output: { ssn: "123-45-6789" } }
    expect: { verdict: transform, redact: [ssn] }
`,
    });
    const result = runPolicyTestFile(join(root, 'policy.test.yaml'));
    expect(result.errors).toEqual([]);
    expect(result.cases.map((c) => [c.name, c.passed, c.failures])).toEqual([
      ['drop is denied', true, []],
      ['reads fall to the default', true, []],
      ['the third search in a minute is limited', true, []],
      ['the budget is still spent in the next case', true, []],
      ['emails wait for security', true, []],
      ['an ssn in a crm answer is redacted', true, []],
    ]);
    expect(result).toMatchObject({ passed: 6, failed: 0 });
    expect(result.cases[2]).toMatchObject({ calls: 3, line: 8, column: 5 });
  });

  it('say what each unmet expectation wanted and got', () => {
    const root = tree({
      'policy.yaml': LIMITED_POLICY,
      'policy.test.yaml': `cases:
  - name: everything wrong
    input: { tool_name: db, action: read }
    expect: { verdict: deny, rule: block-destructive, policy: other, reason_contains: destructive, rate_limited: true, approvers: [ops], redact: [ssn] }
  - name: right verdict, wrong rule
    input: { tool_name: db, action: drop }
    expect: { verdict: deny, rule: null }
`,
    });
    const [wrong, wrongRule] = runPolicyTestFile(join(root, 'policy.test.yaml')).cases;
    expect(wrong?.failures).toEqual([
      'expected deny (rule block-destructive), got allow (rule -)',
      'expected policy other, got production-policy',
      'expected a reason containing "destructive", got "No rule matched; default_action is allow"',
      'expected rate_limited true, got false',
      'expected approvers to include ops, got []',
      'expected the transform to redact ssn, got no transform',
    ]);
    expect(wrongRule?.failures).toEqual(['expected deny (rule -), got deny (rule block-destructive)']);
  });

  it('fail a case whose decision rested on a condition error, unless it expects one', () => {
    const root = tree({
      'policy.yaml': LIMITED_POLICY,
      'policy.test.yaml': `cases:
  - name: rows missing, denied only by the error
    input: { tool_name: export }
    expect: { verdict: deny, rule: big-exports }
  - name: the same, failing closed on purpose
    input: { tool_name: export }
    expect: { verdict: deny, rule: big-exports, condition_errors: true }
  - name: no error where one was expected
    input: { tool_name: export, args: { rows: 5 } }
    expect: { verdict: allow, condition_errors: true }
`,
    });
    const results = runPolicyTestFile(join(root, 'policy.test.yaml')).cases;
    expect(results.map((r) => r.passed)).toEqual([false, true, false]);
    expect(results[0]?.failures[0]).toMatch(/^a condition failed at run time: big-exports: .*\(guard optional fields with has\(\), or set condition_errors: true\)$/);
    expect(results[2]?.failures).toEqual(['expected a condition to fail at run time, but none did']);
  });

  it('test their namesake policy by default, else every policy in their directory, else the one named', () => {
    const root = tree({
      'a.yaml': 'apiVersion: governance.toolkit/v1\nname: a\ndefault_action: allow\nrules: []\n',
      'b.yaml': 'apiVersion: governance.toolkit/v1\nname: b\ndefault_action: deny\nrules: []\n',
      'a.test.yaml': 'cases:\n  - { name: a alone, input: { tool_name: x }, expect: { verdict: allow, policy: a } }\n',
      'all.test.yaml': 'cases:\n  - { name: both, input: { tool_name: x }, expect: { verdict: deny, policy: b } }\n',
      'sub/named.test.yaml': 'policy: ../b.yaml\ncases:\n  - { name: b alone, input: { tool_name: x }, expect: { verdict: deny, policy: b } }\n',
    });
    const report = runPolicyTests([root]);
    expect(report.files.map((f) => [relative(root, f.file), relative(root, f.policy as string), f.passed, f.failed])).toEqual([
      ['a.test.yaml', 'a.yaml', 1, 0],
      ['all.test.yaml', '', 1, 0],
      ['sub/named.test.yaml', 'b.yaml', 1, 0],
    ]);
    expect(report).toMatchObject({ passed: 3, failed: 0, unloadable: 0 });
  });

  it('that do not validate are reported with located errors, count as one failure, and do not stop the others', () => {
    const root = tree({
      'policy.yaml': LIMITED_POLICY,
      'bad.test.yaml': 'policy: policy.yaml\ncases:\n  - name: x\n    input: { tool_name: db }\n    expect: { verdict: dney, rul: x }\n',
      'good.test.yaml': `policy: policy.yaml\ncases:\n${DROP_CASE}`,
    });
    const report = runPolicyTests([root]);
    expect(report).toMatchObject({ passed: 1, failed: 1, unloadable: 1 });
    const bad = report.files[0];
    expect(bad?.policy).toBeNull();
    expect(bad?.errors).toEqual([
      expect.objectContaining({ line: 5, column: 24, key: 'cases.0.expect.verdict', hint: "did you mean 'deny'?" }),
      expect.objectContaining({ line: 5, column: 30, key: 'cases.0.expect.rul', message: "unknown key 'rul'", hint: "did you mean 'rule'?" }),
    ]);
  });

  it('reject duplicate case names, empty case lists, a missing policy and YAML errors, with locations', () => {
    const root = tree({
      'dup.test.yaml': `cases:\n${DROP_CASE}${DROP_CASE}`,
      'empty.test.yaml': 'cases: []\n',
      'missing.test.yaml': `policy: nowhere.yaml\ncases:\n${DROP_CASE}`,
      'broken.test.yaml': 'cases:\n  - name: [unclosed\n',
      'list.test.yaml': '- a\n',
    });
    const issue = (name: string) => {
      try {
        readPolicyTestFile(join(root, name));
      } catch (error) {
        expect(error).toBeInstanceOf(PolicyLoadError);
        return (error as PolicyLoadError).issues[0];
      }
      throw new Error(`${name} loaded`);
    };
    expect(issue('dup.test.yaml')).toMatchObject({ line: 5, key: 'cases.1.name', message: "duplicate case name 'drop is denied' (first used by cases[0])" });
    expect(issue('empty.test.yaml')).toMatchObject({ line: 1, key: 'cases', message: 'a policy test file needs at least one case' });
    expect(issue('missing.test.yaml')).toMatchObject({ line: 1, column: 9, key: 'policy', message: "policy 'nowhere.yaml': no such file or directory" });
    expect(issue('broken.test.yaml')?.message).toMatch(/^YAML syntax/);
    expect(issue('list.test.yaml')?.message).toMatch(/must be a mapping with `cases`/);
    expect(issue('.')).toMatchObject({ code: 'is-a-directory', message: 'is a directory, not a policy test file' });
    expect(issue('gone.test.yaml')?.message).toBe('no such file');
  });

  it('whose policy does not load report the policy error', () => {
    const root = tree({
      'p.yaml': 'apiVersion: governance.toolkit/v1\nname: p\nrules:\n  - { name: r, conditon: "true", action: deny }\n',
      'p.test.yaml': `cases:\n${DROP_CASE}`,
    });
    const result = runPolicyTestFile(join(root, 'p.test.yaml'));
    expect(result).toMatchObject({ passed: 0, failed: 1, cases: [] });
    expect(result.errors[0]).toMatchObject({ line: 4, key: 'rules.0.conditon', hint: "did you mean 'condition'?" });
  });
});

describe('findPolicyTestFiles', () => {
  it('searches directories recursively in name order, skipping node_modules and hidden directories, listing each file once', () => {
    const root = tree({
      'b/z.test.yaml': '',
      'b/a.test.yml': '',
      'a.test.json': '',
      'policy.yaml': '',
      'node_modules/pkg/x.test.yaml': '',
      '.git/y.test.yaml': '',
    });
    const files = findPolicyTestFiles([root, join(root, 'a.test.json')]);
    expect(files.map((f) => relative(root, f))).toEqual(['a.test.json', 'b/a.test.yml', 'b/z.test.yaml']);
  });

  it('rejects a path that does not exist and a file that is not a test file', () => {
    const root = tree({ 'policy.yaml': '' });
    expect(() => findPolicyTestFiles([join(root, 'nope')])).toThrow(/no such file or directory/);
    expect(() => findPolicyTestFiles([join(root, 'policy.yaml')])).toThrow(/not a policy test file/);
  });
});
