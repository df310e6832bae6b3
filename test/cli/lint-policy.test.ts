import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LintReport } from '../../src/policy/lint/lint.js';

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const ROOT = join(import.meta.dirname, '../..');
const fixture = (name: string) => join('test/fixtures/lint', name);

function agt(args: string[], env: Record<string, string> = { NO_COLOR: '1' }) {
  const result = spawnSync(process.execPath, [AGT, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('agt lint-policy', () => {
  it('exits 0 with a one-line summary for clean policies', () => {
    const { code, stdout, stderr } = agt(['lint-policy', fixture('clean'), 'examples/policy.yaml']);
    expect([code, stdout, stderr]).toEqual([0, '3 files linted: no problems found\n', '']);
  });

  it('prints one line per finding (file:line:col severity code message) with its hint indented below, and exits 1 on errors', () => {
    const { code, stdout } = agt(['lint-policy', fixture('same-condition.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toBe(
      [
        `${fixture('same-condition.yaml')}:10:16  error    conflicting-rules  rules[1].condition: rules 'block-shell' (deny) and 'allow-shell' (allow) have the same condition (tool_name == "shell" && has(args.cmd)) but different actions`,
        '    hint: merge them into one rule, or make their conditions differ',
        `${fixture('same-condition.yaml')}:16:16  warning  redundant-rule  rules[3].condition: rule 'log-search-again' repeats rule 'log-search': same stage, condition and action`,
        '    hint: delete one of them',
        '1 file linted: 1 error, 1 warning',
        '',
      ].join('\n'),
    );
  });

  it('exits 0 on warnings alone, and 1 with --strict', () => {
    const plain = agt(['lint-policy', fixture('unguarded.yaml')]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/unguarded\.yaml:6:16 {2}warning {2}unguarded-field {2}rules\[0\]\.condition: /);
    expect(plain.stdout).toMatch(/1 file linted: 0 errors, 2 warnings\n$/);
    expect(agt(['lint-policy', '--strict', fixture('unguarded.yaml')]).code).toBe(1);
    expect(agt(['lint-policy', '--strict', fixture('clean')]).code).toBe(0);
  });

  it('prints one JSON document with --json: { files, findings, errors, warnings }', () => {
    const { code, stdout } = agt(['lint-policy', '--json', fixture('never-fires.yaml'), fixture('cross')]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as LintReport;
    expect(Object.keys(report)).toEqual(['files', 'findings', 'errors', 'warnings']);
    expect(report.files).toEqual([fixture('never-fires.yaml'), fixture('cross/first.yaml'), fixture('cross/second.yaml')]);
    expect([report.errors, report.warnings]).toEqual([1, 4]);
    expect(report.findings[1]).toEqual({
      severity: 'error',
      code: 'unreachable-rule',
      file: fixture('never-fires.yaml'),
      line: 14,
      column: 5,
      key: 'rules[2]',
      message: expect.stringMatching(/^rule 'block-drop' \(deny\) never decides/),
      hint: "give 'block-drop' a higher priority than 'allow-everything', give 'allow-everything' a condition, or delete 'block-drop'",
    });
    for (const finding of report.findings) {
      expect(Object.keys(finding).sort()).toEqual(['code', 'column', 'file', 'hint', 'key', 'line', 'message', 'severity']);
    }
  });

  it('lints every path given, directories recursively, skipping policy test files', () => {
    const { stdout } = agt(['lint-policy', '--json', fixture('')]);
    const report = JSON.parse(stdout) as LintReport;
    expect(report.files).toContain(fixture('extends/cycle-a.yaml'));
    expect(report.files).toContain(fixture('clean/child.yaml'));
    expect(report.files.some((f) => f.endsWith('.test.yaml'))).toBe(false);
    expect(new Set(report.findings.map((f) => f.code))).toEqual(
      new Set([
        'unknown-key', 'invalid-value', 'missing-key', 'yaml-syntax', 'invalid-condition', 'duplicate-rule-name', 'duplicate-policy-name',
        'conflicting-rules', 'redundant-rule', 'rule-disabled', 'unreachable-rule', 'unguarded-field', 'invalid-limit', 'not-enforced',
        'limit-too-large', 'ineffective-limit', 'extends-missing', 'extends-cycle', 'invalid-transform',
      ]),
    );
    // extends/outside.yaml reaches ../clean/base.yaml: outside extends/, but inside the directory linted here
    expect(report.findings.some((f) => f.file === fixture('extends/outside.yaml'))).toBe(false);
  });

  it('colors only a terminal: never with NO_COLOR, never into a pipe', () => {
    expect(agt(['lint-policy', fixture('unguarded.yaml')], {}).stdout).not.toContain('\u001b[');
    expect(agt(['lint-policy', fixture('unguarded.yaml')], { NO_COLOR: '1' }).stdout).not.toContain('\u001b[');
  });

  it('exits 2 for a path that does not exist, naming it, without a stack trace', () => {
    const { code, stdout, stderr } = agt(['lint-policy', fixture('clean'), 'no/such/policy.yaml']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('error: no/such/policy.yaml: no such file or directory\n');
    expect(agt(['lint-policy']).code).toBe(2);
    expect(agt(['lint-policy', relative(ROOT, join(ROOT, 'src'))]).stderr).toMatch(/no policy files/);
  });

  it('explains itself in --help, with examples', () => {
    const { code, stdout } = agt(['lint-policy', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--strict[\s\S]*--json[\s\S]*Examples:\n {2}agt lint-policy policy\.yaml/);
    expect(agt(['--help']).stdout).toMatch(/lint-policy/);
  });
});
