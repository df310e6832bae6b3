import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyTestReport } from '../../src/policy/testing/policy-test.js';
import { SEED_POLICY } from '../fixtures/seed-policy.js';

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');

function agt(args: string[], cwd?: string) {
  const result = spawnSync(process.execPath, [AGT, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'agt-cli-test-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

const PASSING = `cases:
  - name: drop is denied
    input: { tool_name: db, action: drop }
    expect: { verdict: deny, rule: block-destructive }
  - name: reads are allowed
    input: { tool_name: db, action: read }
    expect: { verdict: allow }
`;

const FAILING = `cases:
  - name: reads are denied
    input: { tool_name: db, action: read }
    expect: { verdict: deny, rule: block-destructive }
`;

describe('agt policy test', () => {
  it('prints one line per case, grouped by file, then the summary, and exits 0 when all pass', () => {
    const root = project({ 'policies/policy.yaml': SEED_POLICY, 'policies/policy.test.yaml': PASSING });
    const { code, stdout, stderr } = agt(['policy', 'test', 'policies'], root);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'policies/policy.test.yaml (policy policies/policy.yaml)',
        '  ok   drop is denied',
        '  ok   reads are allowed',
        '',
        '2 passed, 0 failed',
        '',
      ].join('\n'),
    );
  });

  it('searches the current directory by default', () => {
    const root = project({ 'policy.yaml': SEED_POLICY, 'policy.test.yaml': PASSING });
    expect(agt(['policy', 'test'], root)).toMatchObject({ code: 0, stdout: expect.stringMatching(/\n2 passed, 0 failed\n$/) });
  });

  it('exits 1 with what was expected and what came, located, when a case fails', () => {
    const root = project({ 'policy.yaml': SEED_POLICY, 'ok.test.yaml': `policy: policy.yaml\n${PASSING}`, 'wrong.test.yaml': `policy: policy.yaml\n${FAILING}` });
    const { code, stdout } = agt(['policy', 'test', '.'], root);
    expect(code).toBe(1);
    expect(stdout).toContain('  FAIL reads are denied  expected deny (rule block-destructive), got allow (rule -)\n');
    expect(stdout).toContain('      at wrong.test.yaml:3:5; decided: No rule matched; default_action is allow\n');
    expect(stdout).toMatch(/\n2 passed, 1 failed\n$/);
  });

  it('exits 2 and reports file:line for a test file that does not load, still running the others', () => {
    const root = project({
      'policy.yaml': SEED_POLICY,
      'bad.test.yaml': 'policy: policy.yaml\ncases:\n  - name: x\n    input: {}\n    expect: { verdict: allowed }\n',
      'good.test.yaml': `policy: policy.yaml\n${PASSING}`,
    });
    const { code, stdout } = agt(['policy', 'test'], root);
    expect(code).toBe(2);
    expect(stdout).toContain('bad.test.yaml\n  FAIL could not be loaded\n      bad.test.yaml:5:24: cases.0.expect.verdict: "allowed" is not one of');
    expect(stdout).toMatch(/\n2 passed, 1 failed\n$/);
  });

  it('prints one JSON document with --json', () => {
    const root = project({ 'policy.yaml': SEED_POLICY, 'policy.test.yaml': FAILING });
    const { code, stdout } = agt(['policy', 'test', '--json'], root);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as PolicyTestReport;
    expect(report).toMatchObject({ passed: 0, failed: 1, unloadable: 0, files: [{ file: 'policy.test.yaml', policy: 'policy.yaml', errors: [] }] });
    expect(report.files[0]?.cases[0]).toMatchObject({
      name: 'reads are denied',
      passed: false,
      line: 2,
      failures: ['expected deny (rule block-destructive), got allow (rule -)'],
      decision: { verdict: 'allow', rule: null, policy: 'production-policy' },
    });
  });

  it('exits 2 with a clear message when there are no test files, or a path is wrong', () => {
    const root = project({ 'policy.yaml': SEED_POLICY });
    expect(agt(['policy', 'test'], root)).toMatchObject({ code: 2, stdout: '', stderr: 'error: no policy test files (*.test.yaml) in .; `agt init` writes a starter policy and its test\n' });
    expect(agt(['policy', 'test', 'missing'], root)).toMatchObject({ code: 2, stderr: 'error: missing: no such file or directory\n' });
    expect(agt(['policy', 'test', 'policy.yaml'], root)).toMatchObject({ code: 2, stderr: expect.stringMatching(/policy.yaml: not a policy test file \(policy test files are named \*\.test\.yaml/) });
  });

  it('documents the format, exit codes and examples in --help', () => {
    const { code, stdout } = agt(['policy', 'test', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/cases:[\s\S]*expect:[\s\S]*verdict: deny[\s\S]*Exit codes: 0 every case passed, 1 a case failed, 2[\s\S]*Examples:/);
  });
});

describe('agt policy test templates/', () => {
  it('passes every shipped template', () => {
    const { code, stdout, stderr } = agt(['policy', 'test', join(import.meta.dirname, '../../templates')]);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/\n\d+ passed, 0 failed\n$/);
    expect(code).toBe(0);
  });
});
