import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPoliciesSync } from '../../../src/policy/loader.js';
import { loadIssues, policyWith, tree } from './tree.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/engines');

describe('Cedar engine', () => {
  const evaluator = loadPoliciesSync(join(FIXTURES, 'support-cedar.yaml'));

  it('maps a tool call to principal Agent, action Action and resource Tool, and names the deciding policy', () => {
    const read = evaluator.evaluate({ agent: 'a1', tool_name: 'db', action: 'read' });
    expect(read).toMatchObject({ verdict: 'allow', rule: 'cedar:allow-db-read', policy: 'support-cedar' });
    const drop = evaluator.evaluate({ tool_name: 'db', action: 'drop' });
    expect(drop).toMatchObject({ verdict: 'deny', rule: 'cedar:block-destructive', reason: 'Destructive database operations are not allowed' });
  });

  it('reads args into the context, and leaves null fields out so `has` sees them as absent', () => {
    expect(evaluator.evaluate({ tool_name: 'db', action: 'read', args: { rows: 5000 } }).rule).toBe('cedar:block-bulk-read');
    expect(evaluator.evaluate({ tool_name: 'db', action: 'read', args: { rows: null } }).verdict).toBe('allow');
  });

  it('turns @verdict("require_approval") and @approvers on a permit into require_approval', () => {
    expect(evaluator.evaluate({ tool_name: 'send_email' })).toMatchObject({ verdict: 'require_approval', approvers: ['security-team'], rule: 'cedar:approve-email' });
  });

  it("denies by Cedar's default when no permit applies, and says so", () => {
    const decision = evaluator.evaluate({ tool_name: 'shell' });
    expect(decision).toMatchObject({ verdict: 'deny', rule: 'cedar' });
    expect(decision.reason).toMatch(/no Cedar permit policy applies/i);
  });

  it('lists every determining policy in diagnostics', () => {
    const root = tree({
      'p.cedar': '@id("a") permit(principal, action, resource);\n@id("b") permit(principal, action == Action::"read", resource);\n',
      'p.yaml': policyWith('  cedar: { policies: p.cedar }\n'),
    });
    const decision = loadPoliciesSync(join(root, 'p.yaml')).evaluate({ tool_name: 'db', action: 'read' });
    expect(decision.diagnostics.matchedRules.map((m) => m.rule).sort()).toEqual(['cedar:a', 'cedar:b']);
  });

  it('passes fractions of up to four places as Cedar decimals', () => {
    const root = tree({
      'p.cedar': '@id("trusted") permit(principal, action, resource) when { context.agent has trust && context.agent.trust.greaterThan(decimal("0.5")) };\n',
      'p.yaml': policyWith('  cedar: { policies: p.cedar }\n'),
    });
    const trusted = loadPoliciesSync(join(root, 'p.yaml'));
    expect(trusted.evaluate({ agent: { id: 'a', trust: 0.75 }, tool_name: 'db' }).verdict).toBe('allow');
    expect(trusted.evaluate({ agent: { id: 'a', trust: 0.25 }, tool_name: 'db' }).verdict).toBe('deny');
  });

  it('fails closed on a request Cedar cannot represent (inexact numbers, entity escapes)', () => {
    const fraction = evaluator.evaluate({ tool_name: 'db', action: 'read', args: { rows: 1.23456 } });
    expect(fraction.verdict).toBe('deny');
    expect(fraction.reason).toMatch(/^runtime_error:cedar_request: /);
    const forged = evaluator.evaluate({ tool_name: 'db', action: 'read', args: { owner: { __entity: { type: 'Agent', id: 'root' } } } });
    expect(forged.verdict).toBe('deny');
    expect(forged.reason).toMatch(/Cedar JSON escape/);
  });

  it('counts a forbid that errors as matched (fail closed) and surfaces the error', () => {
    const root = tree({
      'p.cedar': '@id("open") permit(principal, action, resource);\n@id("big") forbid(principal, action, resource) when { context.args.rows > 10 };\n',
      'p.yaml': policyWith('  cedar: { policies: p.cedar }\n'),
    });
    const decision = loadPoliciesSync(join(root, 'p.yaml')).evaluate({ tool_name: 'db', args: { rows: 'many' } });
    expect(decision).toMatchObject({ verdict: 'deny', rule: 'cedar:big' });
    expect(decision.diagnostics.errors[0]).toMatchObject({ kind: 'cedar_error', rule: 'cedar:big' });
    expect(decision.diagnostics.errors[0]?.message).toMatch(/expected long/);
  });

  it('skips a permit that errors (Cedar semantics) and reports it', () => {
    const root = tree({
      'p.cedar': '@id("small") permit(principal, action, resource) when { context.args.rows < 10 };\n',
      'p.yaml': policyWith('  cedar: { policies: p.cedar }\n'),
    });
    const decision = loadPoliciesSync(join(root, 'p.yaml')).evaluate({ tool_name: 'db', args: { rows: 'many' } });
    expect(decision.verdict).toBe('deny');
    expect(decision.diagnostics.errors).toHaveLength(1);
  });

  it('puts the sources into the policy revision', () => {
    const root = tree({ 'p.cedar': 'permit(principal, action, resource);\n', 'p.yaml': policyWith('  cedar: { policies: p.cedar }\n') });
    const other = tree({ 'p.cedar': 'forbid(principal, action, resource);\n', 'p.yaml': policyWith('  cedar: { policies: p.cedar }\n') });
    expect(loadPoliciesSync(join(root, 'p.yaml')).revision).not.toBe(loadPoliciesSync(join(other, 'p.yaml')).revision);
  });

  it('validates against a schema and entities at load', () => {
    const root = tree({
      'p.cedar': '@id("staff") permit(principal in Group::"staff", action == Action::"read", resource);\n',
      's.cedarschema': 'entity Group;\nentity Agent in [Group];\nentity Tool;\naction read appliesTo { principal: Agent, resource: Tool, context: {} };\n',
      'e.json': JSON.stringify([
        { uid: { type: 'Agent', id: 'alice' }, attrs: {}, parents: [{ type: 'Group', id: 'staff' }] },
        { uid: { type: 'Group', id: 'staff' }, attrs: {}, parents: [] },
      ]),
      'p.yaml': policyWith('  cedar: { policies: p.cedar, schema: s.cedarschema, entities: e.json }\n'),
    });
    const evaluator = loadPoliciesSync(join(root, 'p.yaml'));
    expect(evaluator.evaluate({ agent: 'alice', tool_name: 'db', action: 'read' }).verdict).toBe('allow');
    expect(evaluator.evaluate({ agent: 'bob', tool_name: 'db', action: 'read' }).verdict).toBe('deny');
  });

  describe('load errors are located', () => {
    it('a syntax error names the .cedar file, line and column', () => {
      const root = tree({ 'p.cedar': 'permit(principal, action, resource);\npermit(principal, action ==, resource);\n', 'p.yaml': policyWith('  cedar: { policies: p.cedar }\n') });
      const [issue] = loadIssues(join(root, 'p.yaml'));
      expect(issue).toMatchObject({ code: 'cedar-syntax', line: 2, column: 28 });
      expect(issue?.file).toMatch(/p\.cedar$/);
      expect(issue?.message).toMatch(/unexpected token/);
    });

    it('a schema validation error names the policy and its place', () => {
      const root = tree({
        'p.cedar': 'permit(principal, action, resource);\n@id("bad") permit(principal, action == Action::"drop", resource);\n',
        's.cedarschema': 'entity Agent;\nentity Tool;\naction read appliesTo { principal: Agent, resource: Tool };\n',
        'p.yaml': policyWith('  cedar: { policies: p.cedar, schema: s.cedarschema }\n'),
      });
      const [issue] = loadIssues(join(root, 'p.yaml'));
      expect(issue).toMatchObject({ code: 'cedar-validation', line: 2 });
      expect(issue?.message).toMatch(/policy 'bad'.*unrecognized action/);
    });

    it('a missing file points at the key that names it', () => {
      const root = tree({ 'p.yaml': policyWith('  cedar:\n    policies: nope.cedar\n') });
      const [issue] = loadIssues(join(root, 'p.yaml'));
      expect(issue).toMatchObject({ code: 'engine-file-missing', key: 'engines.cedar.policies', line: 5, column: 15 });
    });

    it('duplicate ids and verdicts Cedar cannot mean are refused', () => {
      const root = tree({
        'p.cedar': '@id("x") permit(principal, action, resource);\n@id("x") @verdict("deny") permit(principal, action, resource);\n',
        'p.yaml': policyWith('  cedar: { policies: p.cedar }\n'),
      });
      const messages = loadIssues(join(root, 'p.yaml')).map((i) => i.message);
      expect(messages.some((m) => /id 'x' is used by another policy/.test(m))).toBe(true);
      expect(messages.some((m) => /@verdict\("deny"\) is not one of/.test(m))).toBe(true);
    });

    it('annotations asking for effects Cedar cannot have, and reserved reasons, are refused rather than ignored', () => {
      const root = tree({
        'p.cedar': '@id("redacting") @transform("ssn") permit(principal, action, resource);\n@id("liar") @reason("runtime_error:internal: fine") forbid(principal, action, resource);\n',
        'p.yaml': policyWith('  cedar: { policies: p.cedar }\n'),
      });
      const issues = loadIssues(join(root, 'p.yaml'));
      expect(issues.map((i) => i.code)).toEqual(['cedar-annotation', 'cedar-annotation']);
      expect(issues[0]).toMatchObject({ line: 1, message: expect.stringMatching(/policy 'redacting': @transform asks for an effect/) as string });
      expect(issues[1]).toMatchObject({ line: 2, message: expect.stringMatching(/policy 'liar': @reason may not start with 'runtime_error:'/) as string });
    });

    it('an unknown engine key gets a did-you-mean', () => {
      const root = tree({ 'p.yaml': policyWith('  cedar:\n    polices: p.cedar\n') });
      const issues = loadIssues(join(root, 'p.yaml'));
      expect(issues.find((i) => i.code === 'unknown-key')).toMatchObject({ key: 'engines.cedar.polices', hint: "did you mean 'policies'?" });
    });
  });
});
