import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { GovernanceDenied } from '../../src/core/errors.js';
import { govern } from '../../src/kernel/govern.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { SEED_POLICY } from '../fixtures/seed-policy.js';

const SEED = SEED_POLICY;

const dir = mkdtempSync(join(tmpdir(), 'agt-govern-'));
const policyPath = join(dir, 'policy.yaml');
writeFileSync(policyPath, SEED);

async function rejection(promise: Promise<unknown>): Promise<GovernanceDenied> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GovernanceDenied);
    return error as GovernanceDenied;
  }
  throw new Error('expected GovernanceDenied');
}

describe('govern() — the seed example', () => {
  it('runs allowed calls and blocks destructive ones with the documented message', async () => {
    const myTool = vi.fn(async ({ table }: { action: string; table: string }) => ({ table, rows: 42 }));
    const safeTool = govern(myTool, { policy: policyPath, name: 'my_tool', audit: new AuditLog() });
    expect(await safeTool({ action: 'read', table: 'users' })).toEqual({ table: 'users', rows: 42 });
    const denied = await rejection(safeTool({ action: 'drop', table: 'users' }));
    expect(denied.message).toBe("Action denied by policy rule 'block-destructive': Destructive operations require human approval");
    expect(denied.name).toBe('GovernanceDenied');
    expect(denied).toBeInstanceOf(Error);
    expect(denied.decision).toMatchObject({ verdict: 'deny', rule: 'block-destructive', policy: 'production-policy' });
    expect(myTool).toHaveBeenCalledTimes(1); // the denied call never reached the tool
  });
});

describe('govern()', () => {
  const evaluator = PolicyEvaluator.fromYaml(SEED);

  it('keeps the parameter and result types, and wraps sync functions too', async () => {
    function add(this: unknown, input: { a: number; b: number }): number {
      return input.a + input.b;
    }
    const safeAdd = govern(add, { policy: evaluator, audit: false });
    expectTypeOf(safeAdd).parameters.toEqualTypeOf<[{ a: number; b: number }]>();
    expectTypeOf(safeAdd).returns.toEqualTypeOf<Promise<number>>();
    expect(await safeAdd({ a: 2, b: 3 })).toBe(5);
    expect(safeAdd.toolName).toBe('add');
    expect(safeAdd.name).toBe('add');
  });

  it('passes `this` and positional arguments through; conditions see them as args.positional', async () => {
    const positional = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules:\n  - { name: no-root, condition: "args.positional[0] == 'root'", action: deny }\n`);
    const obj = {
      prefix: 'user:',
      lookup(this: { prefix: string }, name: string, n: number) {
        return `${this.prefix}${name}:${n}`;
      },
    };
    const safeLookup = govern(obj.lookup, { policy: positional, name: 'lookup', audit: false });
    expect(await safeLookup.call(obj, 'ann', 2)).toBe('user:ann:2');
    await rejection(safeLookup.call(obj, 'root', 1));
  });

  it('takes action.type from args.action, else the tool name', async () => {
    const deleteFile = vi.fn(async (_input: { action?: string; path: string }) => 'deleted');
    await rejection(govern(deleteFile, { policy: evaluator, name: 'delete', audit: false })({ path: '/tmp/x' }));
    expect(await govern(deleteFile, { policy: evaluator, name: 'delete', audit: false })({ action: 'preview', path: '/tmp/x' })).toBe('deleted');
  });

  it('records every decision in the audit log, linked by decision id', async () => {
    const audit = new AuditLog();
    const safe = govern(async (_input: { action: string }) => 'ok', { policy: evaluator, name: 'db', audit, agent: 'agent-7' });
    await safe({ action: 'read' });
    await rejection(safe({ action: 'truncate' }));
    const entries = audit.entries();
    expect(entries.map((e) => [e.agent, e.tool, e.actionType, e.verdict])).toEqual([
      ['agent-7', 'db', 'read', 'allow'],
      ['agent-7', 'db', 'truncate', 'deny'],
    ]);
    expect(audit.verify().ok).toBe(true);
  });

  it('calls onDeny with the decision before throwing, and survives a failing onDeny', async () => {
    const onDeny = vi.fn(() => {
      throw new Error('observer bug');
    });
    const denied = await rejection(govern(async (_input: { action: string }) => 1, { policy: evaluator, name: 'db', audit: false, onDeny })({ action: 'drop' }));
    expect(onDeny).toHaveBeenCalledWith(denied.decision, expect.objectContaining({ tool_name: 'db' }));
  });

  it('rejects calls it cannot decide instead of running them', async () => {
    const tool = vi.fn(async (_input: Record<string, unknown>) => 'ran');
    const safe = govern(tool, { policy: evaluator, name: 'db', audit: false });
    const cyclic: Record<string, unknown> = { action: 'read' };
    cyclic.self = cyclic;
    const denied = await rejection(safe(cyclic));
    expect(denied.message).toMatch(/^Action denied: runtime_error:invalid_request: args\.<key 1>: cyclic reference/);
    expect(tool).not.toHaveBeenCalled();
  });

  it('explains misuse at wrap time', () => {
    expect(() => govern((() => 1) as () => number, { policy: evaluator, name: '' })).toThrow(/needs options.name/);
    expect(() => govern(async () => 1, { policy: undefined as never })).toThrow(/needs options.policy/);
    expect(() => govern(async () => 1, { policy: evaluator, name: 'x', conflictStrategy: 'allow_overrides' })).toThrow(/conflictStrategy/);
    expect(() => govern(async () => 1, { policy: join(dir, 'missing.yaml'), name: 'x' })).toThrow(/no such file/);
  });
});

describe('govern() approvals', () => {
  const evaluator = PolicyEvaluator.fromYaml(SEED);
  const send = () => vi.fn(async (input: { action: string; to: string }) => `sent to ${input.to}`);

  it('without a handler, require_approval denies and says no approver is configured', async () => {
    const tool = send();
    const denied = await rejection(govern(tool, { policy: evaluator, name: 'mailer', audit: false })({ action: 'send_email', to: 'a@b.c' }));
    expect(denied.message).toBe(
      "Action denied by policy rule 'require-approval-for-send': requires approval (approvers: security-team), but no approver is configured",
    );
    expect(tool).not.toHaveBeenCalled();
  });

  it('approved runs the tool; both the request and the approval are audited', async () => {
    const tool = send();
    const audit = new AuditLog();
    const approvals = vi.fn(async () => 'approved' as const);
    const safe = govern(tool, { policy: evaluator, name: 'mailer', audit, approvals });
    expect(await safe({ action: 'send_email', to: 'a@b.c' })).toBe('sent to a@b.c');
    expect(approvals).toHaveBeenCalledWith(expect.objectContaining({ tool_name: 'mailer' }), expect.objectContaining({ verdict: 'require_approval', approvers: ['security-team'] }));
    expect(audit.entries().map((e) => [e.verdict, e.rule])).toEqual([
      ['require_approval', 'require-approval-for-send'],
      ['allow', 'require-approval-for-send'],
    ]);
  });

  it.each([
    ['denied', async () => 'denied' as const, /approval denied/],
    ['throws', async () => { throw new Error('pager down'); }, /approval handler failed: pager down/],
    ['answers something else', async () => 'yes' as 'approved', /answered "yes"/],
    ['times out', () => new Promise<'approved'>(() => {}), /timed out after 30 ms/],
  ])('a handler that %s denies', async (_name, approvals, reason) => {
    const tool = send();
    const safe = govern(tool, { policy: evaluator, name: 'mailer', audit: false, approvals, approvalTimeoutMs: 30 });
    const denied = await rejection(safe({ action: 'send_email', to: 'x' }));
    expect(denied.decision.verdict).toBe('deny');
    expect(denied.message).toMatch(reason);
    expect(tool).not.toHaveBeenCalled();
  });
});

describe('govern() transforms and output checks', () => {
  const evaluator = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: data
default_action: allow
rules:
  - name: scrub-card
    condition: "action.type == 'charge'"
    action: transform
    redact: [card.number]
    set: { "card.masked": true }
  - name: redact-customer
    stage: post_tool
    condition: "tool_name == 'crm' && has(output.customer)"
    action: transform
    redact: [output.customer.ssn, "customer.cards.*.number"]
  - name: no-leaks
    stage: post_tool
    condition: "type(output) == string && output.contains('BEGIN PRIVATE KEY')"
    action: deny
    message: "output contains a private key"
`);

  it('rewrites arguments before the tool sees them, without touching the caller’s object', async () => {
    const charge = vi.fn(async (input: { action: string; card: { number: string } }) => input);
    const input = { action: 'charge', card: { number: '4111111111111111' } };
    const seen = await govern(charge, { policy: evaluator, name: 'payments', audit: false })(input);
    expect(seen).toEqual({ action: 'charge', card: { number: '[REDACTED]', masked: true } });
    expect(input.card.number).toBe('4111111111111111');
  });

  it('redacts the result before the caller gets it', async () => {
    const crm = async (_input: { action: string }) => ({ customer: { name: 'Ann', ssn: '123-45-6789', cards: [{ number: '4111', brand: 'visa' }] } });
    const result = await govern(crm, { policy: evaluator, name: 'crm', audit: false })({ action: 'lookup' });
    expect(result).toEqual({ customer: { name: 'Ann', ssn: '[REDACTED]', cards: [{ number: '[REDACTED]', brand: 'visa' }] } });
  });

  it('withholds a result a post_tool rule denies', async () => {
    const audit = new AuditLog();
    const leak = vi.fn(async (_input: { action: string }) => '-----BEGIN PRIVATE KEY-----');
    const denied = await rejection(govern(leak, { policy: evaluator, name: 'files', audit })({ action: 'read' }));
    expect(denied.message).toBe("Action denied by policy rule 'no-leaks': output contains a private key");
    expect(audit.entries().map((e) => [e.stage, e.verdict])).toEqual([
      ['pre_tool', 'allow'],
      ['post_tool', 'deny'],
    ]);
  });
});

describe('the default audit log', () => {
  it('is shared by governed tools that are not given one, and warns once when it grows large', async () => {
    const { defaultAuditLog, DEFAULT_LOG_WARNING_AT } = await import('../../src/kernel/default-audit-log.js');
    const evaluator = PolicyEvaluator.fromYaml(SEED_POLICY);
    const safe = govern(async (_input: { action: string }) => 'ok', { policy: evaluator, name: 'db' });
    const before = defaultAuditLog().length;
    await safe({ action: 'read' });
    expect(defaultAuditLog().length).toBe(before + 1);
    const warnings: string[] = [];
    const listener = (warning: Error) => warnings.push(warning.message);
    process.on('warning', listener);
    const request = { tool_name: 'db' };
    const decision = evaluator.evaluate(request);
    for (let i = defaultAuditLog().length; i < DEFAULT_LOG_WARNING_AT + 5; i++) defaultAuditLog().append({ request, decision });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', listener);
    expect(warnings).toEqual([expect.stringMatching(/default in-memory audit log holds 100000 entries/)]);
  });
});

describe('govern() runs exactly what was checked', () => {
  it('a call held for approval runs the arguments as approved, even if the caller changes them meanwhile', async () => {
    const evaluator = PolicyEvaluator.fromYaml(SEED_POLICY);
    const seen: unknown[] = [];
    const mailer = async (input: { action: string; to: string }) => {
      seen.push(structuredClone(input));
      return 'sent';
    };
    let release: (answer: 'approved') => void = () => {};
    const approvals = () => new Promise<'approved'>((resolve) => (release = resolve));
    const input = { action: 'send_email', to: 'bob@example.com' };
    const pending = govern(mailer, { policy: evaluator, name: 'mailer', audit: false, approvals })(input);
    await new Promise((resolve) => setImmediate(resolve));
    input.to = 'eve@evil.test'; // changed after the check, while the approval is pending
    release('approved');
    expect(await pending).toBe('sent');
    expect(seen).toEqual([{ action: 'send_email', to: 'bob@example.com' }]);
  });

  it('denies, and audits, arguments that cannot even be read', async () => {
    const evaluator = PolicyEvaluator.fromYaml(SEED_POLICY);
    const audit = new AuditLog();
    const tool = vi.fn(async (_input: Record<string, unknown>) => 'ran');
    const hostile = new Proxy({}, { get: () => { throw new Error('gotcha'); } });
    const denied = await rejection(govern(tool, { policy: evaluator, name: 'db', audit })(hostile));
    expect(denied.decision.reason).toMatch(/^runtime_error:invalid_request: /);
    expect(tool).not.toHaveBeenCalled();
    expect(audit.entries().map((e) => e.verdict)).toEqual(['deny']);
  });
});
