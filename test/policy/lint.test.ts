import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyLoadError } from '../../src/core/errors.js';
import { lintPolicies, type LintFinding } from '../../src/policy/lint/lint.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/lint');
const fixture = (name: string) => join(FIXTURES, name);
/** How findings name a file: relative to the working directory, as the loader does. */
const label = (name: string) => relative(process.cwd(), fixture(name));

/** [code, severity, line:column, key]: the part of a finding that must never drift. */
const located = (findings: readonly LintFinding[]) => findings.map((f) => [f.code, f.severity, `${f.line}:${f.column}`, f.key]);

describe('lintPolicies: what loading refuses', () => {
  it('reports every schema error of a file, located, with a hint', () => {
    const { findings, errors, warnings } = lintPolicies([fixture('schema.yaml')]);
    expect(located(findings)).toEqual([
      ['unknown-key', 'error', '7:5', 'rules[0].conditon'],
      ['invalid-value', 'error', '10:13', 'rules[1].action'],
      ['missing-key', 'error', '11:5', 'rules[2].action'],
    ]);
    expect(findings[0]).toMatchObject({ file: label('schema.yaml'), message: "unknown key 'conditon'", hint: "did you mean 'condition'?" });
    expect(findings[1]?.hint).toBe("did you mean 'deny'?");
    expect(findings[2]?.message).toBe("required key 'action' is missing");
    expect([errors, warnings]).toEqual([3, 0]);
  });

  it('reports transform paths that are rooted or outside the subject, at the path, with a hint', () => {
    const { findings } = lintPolicies([fixture('transform-paths.yaml')]);
    expect(located(findings)).toEqual([
      ['invalid-transform', 'error', '8:12', 'rules[0].set.$snap.input.text'],
      ['invalid-transform', 'error', '11:14', 'rules[1].redact[0]'],
    ]);
    expect(findings.every((f) => typeof f.hint === 'string' && f.hint.length > 0)).toBe(true);
  });

  it('reports YAML syntax errors at their position', () => {
    expect(located(lintPolicies([fixture('yaml-syntax.yaml')]).findings)).toEqual([['yaml-syntax', 'error', '6:1', '']]);
  });

  it('reports conditions that do not parse or do not type-check, each at its condition', () => {
    const { findings } = lintPolicies([fixture('conditions.yaml')]);
    expect(located(findings)).toEqual([
      ['invalid-condition', 'error', '7:16', 'rules[0].condition'],
      ['invalid-condition', 'error', '10:16', 'rules[1].condition'],
      ['invalid-condition', 'error', '13:16', 'rules[2].condition'],
    ]);
    expect(findings[0]?.message).toMatch(/rule 'does-not-parse': condition does not compile: Unexpected token/);
    expect(findings[1]?.hint).toMatch(/context\.tool/);
    expect(findings[2]?.message).toMatch(/must be boolean/);
  });

  it('reports duplicate rule names within a document as errors', () => {
    const { findings } = lintPolicies([fixture('duplicate-names.yaml')]);
    expect(located(findings)).toEqual([['duplicate-rule-name', 'error', '8:11', 'rules[1].name']]);
    expect(findings[0]?.message).toMatch(/duplicate rule name 'no-shell' \(first used by rules\[0\]\)/);
  });

  it('reports limits the schema refuses', () => {
    expect(located(lintPolicies([fixture('limits-schema.yaml')]).findings)).toEqual([
      ['invalid-limit', 'error', '9:12', 'rules[0].limit'],
      ['invalid-limit', 'error', '13:12', 'rules[1].limit'],
    ]);
  });

  it('reports extends problems: a missing parent, a parent outside the directory, a cycle', () => {
    const missing = lintPolicies([fixture('extends/missing.yaml')]).findings;
    expect(located(missing)).toEqual([['extends-missing', 'error', '3:10', 'extends']]);
    expect(missing[0]?.message).toMatch(/extends '\.\/no-such-base\.yaml': no such file/);

    expect(located(lintPolicies([fixture('extends/outside.yaml')]).findings)).toEqual([['extends-outside-root', 'error', '3:10', 'extends']]);

    const cycle = lintPolicies([fixture('extends/cycle-a.yaml')]).findings;
    expect(cycle.map((f) => [f.code, f.file, `${f.line}:${f.column}`])).toEqual([['extends-cycle', label('extends/cycle-b.yaml'), '3:10']]);
    expect(cycle[0]?.message).toMatch(/cycle-a\.yaml → cycle-b\.yaml → cycle-a\.yaml/);
  });

  it('lints every file it is given, not stopping at the first that fails', () => {
    const report = lintPolicies([fixture('schema.yaml'), fixture('conditions.yaml'), fixture('extends')]);
    expect(report.files).toEqual([
      label('schema.yaml'),
      label('conditions.yaml'),
      label('extends/cycle-a.yaml'),
      label('extends/cycle-b.yaml'),
      label('extends/missing.yaml'),
      label('extends/outside.yaml'),
    ]);
    const codesByFile = new Map<string, string[]>();
    for (const f of report.findings) codesByFile.set(f.file, [...(codesByFile.get(f.file) ?? []), f.code]);
    expect(Object.fromEntries(codesByFile)).toEqual({
      [label('schema.yaml')]: ['unknown-key', 'invalid-value', 'missing-key'],
      [label('conditions.yaml')]: ['invalid-condition', 'invalid-condition', 'invalid-condition'],
      // the cycle is found from both ends; the parent of outside.yaml is outside extends/ either way
      [label('extends/cycle-a.yaml')]: ['extends-cycle'],
      [label('extends/cycle-b.yaml')]: ['extends-cycle'],
      [label('extends/missing.yaml')]: ['extends-missing'],
      [label('extends/outside.yaml')]: ['extends-outside-root'],
    });
  });
});

describe('lintPolicies: likely mistakes', () => {
  it('reports two rules with one condition: different actions are an error, the same action a redundant warning', () => {
    const { findings } = lintPolicies([fixture('same-condition.yaml')]);
    expect(located(findings)).toEqual([
      ['conflicting-rules', 'error', '10:16', 'rules[1].condition'],
      ['redundant-rule', 'warning', '16:16', 'rules[3].condition'],
    ]);
    expect(findings[0]?.message).toBe(`rules 'block-shell' (deny) and 'allow-shell' (allow) have the same condition (tool_name == "shell" && has(args.cmd)) but different actions`);
    expect(findings[1]?.message).toMatch(/'log-search-again' repeats rule 'log-search'/);
  });

  it('reports rules that never apply (disabled, always false) or never decide (shadowed)', () => {
    const { findings } = lintPolicies([fixture('never-fires.yaml')]);
    expect(located(findings)).toEqual([
      ['rule-disabled', 'warning', '10:14', 'rules[0].enabled'],
      ['unreachable-rule', 'error', '14:5', 'rules[2]'],
      ['unreachable-rule', 'warning', '22:16', 'rules[4].condition'],
    ]);
    expect(findings[1]?.message).toMatch(/'block-drop' \(deny\) never decides: rule 'allow-everything' \(allow, no condition\) comes first .* priority_first_match/);
    expect(findings[1]?.hint).toMatch(/higher priority/);
  });

  it('reasons about the document strategy: under deny_overrides an unconditional hold shadows a later allow but not a deny', () => {
    const { findings } = lintPolicies([fixture('deny-overrides-shadow.yaml')]);
    expect(located(findings)).toEqual([['unreachable-rule', 'warning', '9:5', 'rules[1]']]);
    expect(findings[0]?.message).toMatch(/'allow-reads' \(allow\) never decides: .*'hold-everything'.*deny_overrides/);
  });

  it('reports optional fields read without a has() guard, with the guard to write', () => {
    const { findings } = lintPolicies([fixture('unguarded.yaml')]);
    expect(located(findings)).toEqual([
      ['unguarded-field', 'warning', '6:16', 'rules[0].condition'],
      ['unguarded-field', 'warning', '9:16', 'rules[1].condition'],
    ]);
    expect(findings[0]?.message).toMatch(/reads args\.table without a guard: .* counts as matched: this deny rule applies/);
    expect(findings[1]?.message).toMatch(/without context\.user makes .* not matched: this allow rule is skipped/);
    expect(findings[1]?.hint).toBe('guard the read: has(context.user) && has(context.user.role) && ...');
  });

  it('reports limits the schema accepts but that cannot work as written', () => {
    const { findings } = lintPolicies([fixture('limits.yaml')]);
    expect(located(findings)).toEqual([
      ['not-enforced', 'warning', '6:19', 'defaults.max_tool_calls'],
      ['invalid-limit', 'error', '6:19', 'defaults.max_tool_calls'],
      ['not-enforced', 'warning', '7:25', 'defaults.confidence_threshold'],
      ['invalid-limit', 'error', '7:25', 'defaults.confidence_threshold'],
      ['limit-too-large', 'warning', '12:12', 'rules[0].limit'],
      ['ineffective-limit', 'warning', '16:12', 'rules[1].limit'],
    ]);
    expect(findings[4]?.hint).toMatch(/"3473\/minute"/);
  });

  it('warns about rule and policy names shared across the documents of one run', () => {
    const { findings } = lintPolicies([fixture('cross')]);
    expect(findings.map((f) => [f.code, f.severity, f.file, `${f.line}:${f.column}`])).toEqual([
      ['duplicate-policy-name', 'warning', label('cross/second.yaml'), '2:7'],
      ['duplicate-rule-name', 'warning', label('cross/second.yaml'), '5:11'],
    ]);
  });
});

describe('lintPolicies: clean policies and usage', () => {
  it('finds nothing in a clean directory (with extends), skipping policy test files', () => {
    const report = lintPolicies([fixture('clean')]);
    expect(report).toEqual({ files: [label('clean/base.yaml'), label('clean/child.yaml')], findings: [], errors: 0, warnings: 0 });
  });

  it('finds nothing in examples/policy.yaml', () => {
    expect(lintPolicies([join(import.meta.dirname, '../../examples/policy.yaml')]).findings).toEqual([]);
  });

  it('reports a parent problem once, however many children extend it', () => {
    const report = lintPolicies([fixture('extends')]);
    const cycles = report.findings.filter((f) => f.code === 'extends-cycle');
    expect(new Set(cycles.map((f) => `${f.file}:${f.line}`)).size).toBe(cycles.length);
  });

  it('throws a located usage error for a path that does not exist', () => {
    expect(() => lintPolicies([fixture('nope.yaml')])).toThrow(PolicyLoadError);
    try {
      lintPolicies([fixture('clean'), fixture('nope.yaml')]);
    } catch (error) {
      expect((error as PolicyLoadError).issues).toMatchObject([{ code: 'no-such-file' }]);
    }
  });
});
