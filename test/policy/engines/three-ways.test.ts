import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../../src/core/errors.js';
import type { Decision } from '../../../src/core/types.js';
import { govern } from '../../../src/kernel/govern.js';
import { lintPolicies } from '../../../src/policy/lint/lint.js';
import { loadPoliciesSync } from '../../../src/policy/loader.js';
import { policyWith, tree } from './tree.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/engines');

/** The shared table: each request, and the decision the scenario gives it however it is written. */
const TABLE: { request: Record<string, unknown>; verdict: string; rule: string; approvers?: string[] }[] = [
  { request: { agent: 'a1', tool_name: 'db', action: 'read', args: { table: 'users' } }, verdict: 'allow', rule: 'allow-db-read' },
  { request: { agent: 'a1', tool_name: 'db', action: 'read', args: { table: 'users', rows: 10 } }, verdict: 'allow', rule: 'allow-db-read' },
  { request: { agent: 'a1', tool_name: 'db', action: 'read', args: { table: 'users', rows: 5000 } }, verdict: 'deny', rule: 'block-bulk-read' },
  { request: { agent: 'a1', tool_name: 'db', action: 'drop', args: { table: 'users' } }, verdict: 'deny', rule: 'block-destructive' },
  { request: { agent: 'a2', tool_name: 'db', action: 'delete' }, verdict: 'deny', rule: 'block-destructive' },
  { request: { agent: 'a2', tool_name: 'db', action: 'update' }, verdict: 'deny', rule: 'default' },
  { request: { tool_name: 'search', args: { q: 'refund policy' } }, verdict: 'allow', rule: 'allow-search' },
  { request: { tool_name: 'send_email', args: { to: 'x@example.com' } }, verdict: 'require_approval', rule: 'approve-email', approvers: ['security-team'] },
  { request: { tool_name: 'shell', args: { cmd: 'rm -rf /' } }, verdict: 'deny', rule: 'default' },
  { request: { agent: { id: 'a3', roles: ['admin'] }, tool_name: 'db', action: 'truncate' }, verdict: 'deny', rule: 'default' },
];

/** The deciding rule without its engine prefix; every way's "nothing allowed it" as `default`. */
function baseRule(decision: Decision): string {
  const rule = decision.rule ?? 'default';
  const bare = rule.replace(/^(cedar|rego):/, '');
  return bare === 'cedar' ? 'default' : bare;
}

describe('one scenario written three ways (YAML rules, Cedar, Rego)', () => {
  const ways = {
    yaml: loadPoliciesSync(join(FIXTURES, 'support.yaml')),
    cedar: loadPoliciesSync(join(FIXTURES, 'support-cedar.yaml')),
    rego: loadPoliciesSync(join(FIXTURES, 'support-rego.yaml')),
    all: loadPoliciesSync(join(FIXTURES, 'support-all.yaml')),
  };

  for (const row of TABLE) {
    it(`${JSON.stringify(row.request)} → ${row.verdict} (${row.rule})`, () => {
      for (const [way, evaluator] of Object.entries(ways)) {
        const decision = evaluator.evaluate(row.request);
        expect({ way, verdict: decision.verdict }).toEqual({ way, verdict: row.verdict });
        if (way !== 'all') expect({ way, rule: baseRule(decision) }).toEqual({ way, rule: row.rule });
        if (row.approvers) expect(decision.approvers).toEqual(row.approvers);
      }
    });
  }

  it('the combined document names which engine decided', () => {
    const decision = ways.all.evaluate({ tool_name: 'db', action: 'drop' });
    // YAML rules come first, then Cedar, then Rego: deny_overrides keeps the first deny.
    expect(decision.rule).toBe('block-destructive');
    expect(decision.diagnostics.matchedRules.map((m) => m.rule)).toEqual(['block-destructive', 'cedar:block-destructive', 'rego:block-destructive']);
    expect(ways.all.evaluate({ tool_name: 'shell' }).rule).toBe('cedar');
  });

  it('govern() enforces it on the synchronous path; evaluateAsync agrees without remote engines', async () => {
    expect(ways.all.needsAsync).toBe(false);
    const db = govern((args: { action: string; rows?: number }) => `ran ${args.action}`, { name: 'db', policy: ways.all, audit: false });
    await expect(db({ action: 'read' })).resolves.toBe('ran read');
    await expect(db({ action: 'read', rows: 5000 })).rejects.toBeInstanceOf(GovernanceDenied);
    for (const row of TABLE) expect((await ways.all.evaluateAsync(row.request)).verdict).toBe(row.verdict);
  });

  it('explain reaches the same decisions and says how the parts combined', () => {
    for (const row of TABLE) {
      const { decision, explanation } = ways.all.explain(row.request);
      expect(decision.verdict).toBe(row.verdict);
      expect(explanation.decidedBy.by).toBe('engines');
    }
    const { explanation } = ways.all.explain({ tool_name: 'send_email' });
    expect(explanation.decidedBy).toMatchObject({ by: 'engines', combine: 'deny_overrides', winner: { rule: 'approve-email' } });
  });
});

describe('combining rules and engines', () => {
  const cedarForbidsShell = '@id("no-shell") forbid(principal, action, resource == Tool::"shell");\n@id("open") permit(principal, action, resource);\n';
  const regoApprovesMail = 'package agt\n\nimport rego.v1\n\ndefault decision := {"decision": "allow"}\n\ndecision := {"decision": "require_approval", "rule": "mail"} if input.tool_name == "mail"\n';
  const files = (combine: string, rules = '') => ({
    'p.cedar': cedarForbidsShell,
    'p.rego': regoApprovesMail,
    'p.yaml': policyWith(`  cedar: { policies: p.cedar }\n  rego: { source: p.rego, query: agt/decision, verdict: object }\n  combine: ${combine}\n`, rules),
  });
  const allowShell = 'rules:\n  - { name: yaml-shell, condition: "tool_name == \'shell\'", action: allow }\n';

  it('deny_overrides (default): any deny wins, then require_approval, then allow', () => {
    const evaluator = loadPoliciesSync(join(tree(files('deny_overrides', allowShell)), 'p.yaml'));
    expect(evaluator.evaluate({ tool_name: 'shell' })).toMatchObject({ verdict: 'deny', rule: 'cedar:no-shell' });
    expect(evaluator.evaluate({ tool_name: 'mail' })).toMatchObject({ verdict: 'require_approval', rule: 'rego:mail' });
    expect(evaluator.evaluate({ tool_name: 'search' })).toMatchObject({ verdict: 'allow', rule: 'cedar:open' });
  });

  it('allow_overrides takes any allow; first_applicable the first answer (rules, then Cedar, then Rego)', () => {
    const anyAllow = loadPoliciesSync(join(tree(files('allow_overrides', allowShell)), 'p.yaml'));
    expect(anyAllow.evaluate({ tool_name: 'shell' })).toMatchObject({ verdict: 'allow', rule: 'yaml-shell' });
    const first = loadPoliciesSync(join(tree(files('first_applicable', allowShell)), 'p.yaml'));
    expect(first.evaluate({ tool_name: 'shell' }).rule).toBe('yaml-shell');
    expect(first.evaluate({ tool_name: 'mail' })).toMatchObject({ verdict: 'allow', rule: 'cedar:open' });
  });

  it('an engine error denies under every combination', () => {
    for (const combine of ['deny_overrides', 'allow_overrides', 'first_applicable']) {
      const evaluator = loadPoliciesSync(join(tree(files(combine, allowShell)), 'p.yaml'));
      const decision = evaluator.evaluate({ tool_name: 'shell', args: { ratio: 1 / 3 } });
      expect(decision.verdict).toBe('deny');
      expect(decision.reason).toMatch(/^runtime_error:cedar_request: /);
    }
  });

  it('a document without engines keeps its default beside one with engines', () => {
    const root = tree({ ...files('deny_overrides'), 'q.yaml': 'apiVersion: governance.toolkit/v1\nname: q\ndefault_action: deny\n' });
    expect(loadPoliciesSync(root).evaluate({ tool_name: 'search' })).toMatchObject({ verdict: 'deny', policy: 'q', rule: null });
  });

  it('engines decide tool calls only: content stages keep their rules', () => {
    const evaluator = loadPoliciesSync(join(tree(files('deny_overrides')), 'p.yaml'));
    expect(evaluator.evaluate({ stage: 'post_tool', tool_name: 'shell', output: 'ok' }).verdict).toBe('allow');
  });

  it('inherited engines resolve against the parent file', () => {
    const root = tree({ 'base/p.cedar': cedarForbidsShell, 'base/base.yaml': policyWith('  cedar: { policies: p.cedar }\n'), 'child.yaml': 'apiVersion: governance.toolkit/v1\nname: child\nextends: base/base.yaml\n' });
    expect(loadPoliciesSync(root).evaluate({ tool_name: 'shell' }).rule).toBe('cedar:no-shell');
  });

  it('lint reports engine load errors as findings', () => {
    const root = tree({ 'p.cedar': 'permit(principal, action, resource)\n', 'p.yaml': policyWith('  cedar: { policies: p.cedar }\n  rego: { source: missing.rego, query: a/allow }\n') });
    const report = lintPolicies([root]);
    expect(report.findings.map((f) => f.code).sort()).toEqual(['cedar-syntax', 'engine-file-missing']);
    expect(report.findings.find((f) => f.code === 'engine-file-missing')).toMatchObject({ key: 'engines.rego.source', line: 5 });
  });
});
