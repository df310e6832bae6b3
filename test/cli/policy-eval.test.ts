import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/core/types.js';
import type { Explanation } from '../../src/policy/evaluate/explanation.js';
import { SEED_POLICY } from '../fixtures/seed-policy.js';

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const dir = mkdtempSync(join(tmpdir(), 'agt-cli-'));
const policy = join(dir, 'policy.yaml');
// The seed policy plus a rate-limited rule.
writeFileSync(
  policy,
  SEED_POLICY.replace('name: production-policy', 'name: cli-policy') +
    `  - name: search-budget
    condition: "tool_name == 'search'"
    action: allow
    limit: "2/minute"
`,
);

function agt(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [AGT, ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('agt policy eval', () => {
  it('prints one readable decision for --input', () => {
    const { code, stdout } = agt(['policy', 'eval', '--policy', policy, '--input', '{"tool_name":"db","action":{"type":"drop"}}']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^deny\s+rule=block-destructive policy=cli-policy {2}Destructive operations require human approval\n$/);
  });

  it('prints full decisions as JSON lines with --json', () => {
    const { code, stdout } = agt(['policy', 'eval', '--policy', policy, '--input', '{"tool_name":"db","action":"read"}', '--json']);
    expect(code).toBe(0);
    const decision = JSON.parse(stdout) as Decision;
    expect(decision).toMatchObject({ verdict: 'allow', allowed: true, policy: 'cli-policy', stage: 'pre_tool', rateLimited: false });
    expect(Object.keys(decision)).toEqual(
      expect.arrayContaining(['verdict', 'allowed', 'rule', 'policy', 'reason', 'message', 'approvers', 'transform', 'rateLimited', 'retryAfterMs', 'decisionId', 'policyRevision', 'stage', 'durationUs', 'diagnostics']),
    );
  });

  it('evaluates --inputs in order in one process, so rate limits apply across lines, and denies bad lines', () => {
    const inputs = join(dir, 'requests.jsonl');
    writeFileSync(inputs, ['{"tool_name":"search"}', '{"tool_name":"search"}', '', 'not json', '{"tool_name":"search"}', '{"tool_name":"x","args":{"__proto__":1}}', '{"tool_name":"db","action":"truncate"}'].join('\n'));
    const { code, stdout } = agt(['policy', 'eval', '--policy', policy, '--inputs', inputs, '--json']);
    expect(code).toBe(0);
    const decisions = stdout.trim().split('\n').map((line) => JSON.parse(line) as Decision);
    expect(decisions.map((d) => [d.verdict, d.rule, d.rateLimited])).toEqual([
      ['allow', 'search-budget', false],
      ['allow', 'search-budget', false],
      ['deny', null, false],
      ['deny', 'search-budget', true],
      ['deny', null, false],
      ['deny', 'block-destructive', false],
    ]);
    expect(decisions[2]?.reason).toMatch(/^runtime_error:invalid_request: not valid JSON/);
    expect(decisions[4]?.reason).toMatch(/^runtime_error:invalid_request: args\.<key 0>: the key '__proto__' is not allowed/);
  });

  it('reads requests from stdin with --inputs -', () => {
    const { code, stdout } = agt(['policy', 'eval', '--policy', policy, '--inputs', '-'], '{"tool_name":"db","action":"delete"}\n');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^deny/);
  });

  it('exits 2 with the located error for a policy that does not load, and never prints a stack trace', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: governance.toolkit/v1\nname: bad\nrules:\n  - name: r\n    conditon: "true"\n    action: deny\n');
    const { code, stdout, stderr } = agt(['policy', 'eval', '--policy', bad, '--input', '{}']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/bad.yaml:5:5: rules.0.conditon: unknown key 'conditon' \(did you mean 'condition'\?\)/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for usage errors', () => {
    expect(agt(['policy', 'eval', '--policy', policy]).stderr).toMatch(/exactly one of --input/);
    expect(agt(['policy', 'eval', '--policy', policy]).code).toBe(2);
    expect(agt(['policy', 'eval', '--policy', policy, '--inputs', join(dir, 'missing.jsonl')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read .*missing.jsonl: no such file/) });
    expect(agt(['policy', 'eval', '--input', '{}']).code).toBe(2);
    expect(agt(['polcy']).stderr).toMatch(/unknown command 'polcy'/);
  });

  it('--explain prints how each decision was reached, as a tree under its line', () => {
    const { code, stdout } = agt(['policy', 'eval', '--policy', policy, '--input', '{"tool_name":"db","action":{"type":"drop"}}', '--explain']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'deny             rule=block-destructive policy=cli-policy  Destructive operations require human approval',
        '  request: stage pre_tool, agent anonymous',
        `  policies: cli-policy (${relative(process.cwd(), policy)})`, // the loader names files relative to the working directory
        '  rules: 1 evaluated, 2 skipped by the rule index, 0 for other stages',
        "    matched  block-destructive  deny, priority 0  action.type in ['drop', 'delete', 'truncate'] → true",
        '  skipped:',
        "    require-approval-for-send: its condition needs action.type 'send_email'; the request's is 'drop'",
        "    search-budget: its condition needs tool_name 'search'; the request's is 'db'",
        '  decided by deny_overrides among block-destructive (deny):',
        "    'block-destructive' is the only matched rule",
        '',
      ].join('\n'),
    );
  });

  it('--explain --json adds an explanation to each decision line, and decides (and counts rate limits) exactly as without it', () => {
    const inputs = join(dir, 'explain.jsonl');
    writeFileSync(inputs, ['{"tool_name":"search"}', '{"tool_name":"search"}', 'not json', '{"tool_name":"search"}', '{"tool_name":"db","action":"read"}'].join('\n'));
    const plain = agt(['policy', 'eval', '--policy', policy, '--inputs', inputs, '--json']);
    const explained = agt(['policy', 'eval', '--policy', policy, '--inputs', inputs, '--json', '--explain']);
    expect(explained.code).toBe(0);
    // ids, timings and the wall-clock retry delay differ between two processes; nothing else may
    const strip = ({ decisionId: _id, durationUs: _us, explanation: _e, retryAfterMs, reason, message, ...rest }: Decision & { explanation?: unknown }) => ({
      ...rest,
      retryAfterMs: retryAfterMs === null ? null : 'ms',
      reason: reason.replace(/retry in \d+ ms/, 'retry in N ms'),
      message: message.replace(/retry in \d+ ms/, 'retry in N ms'),
    });
    const lines = explained.stdout.trim().split('\n').map((line) => JSON.parse(line) as Decision & { explanation: Explanation });
    expect(lines.map(strip)).toEqual(plain.stdout.trim().split('\n').map((line) => strip(JSON.parse(line) as Decision)));
    expect(lines.map((d) => [d.verdict, d.rateLimited])).toEqual([['allow', false], ['allow', false], ['deny', false], ['deny', true], ['allow', false]]);
    expect(lines[1]?.explanation.rateLimits).toEqual([{ policy: 'cli-policy', rule: 'search-budget', limit: '2/minute', exceeded: false, retryAfterMs: null, counted: true }]);
    expect(lines[2]?.explanation.decidedBy).toMatchObject({ by: 'request_error', kind: 'invalid_request' });
    expect(lines[4]?.explanation.decidedBy).toEqual({ by: 'default', policy: 'cli-policy', check: null, detail: 'No rule matched; default_action is allow' });
  });

  it('documents exit codes in agt --help', () => {
    const { code, stdout } = agt(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Exit codes:[\s\S]*2\s+usage or policy error/);
    expect(agt(['policy', 'eval', '--help']).stdout).toMatch(/--explain[\s\S]*Examples:[\s\S]*--explain/);
  });
});
