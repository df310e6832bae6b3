import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { HeldCalls, MAX_HELD_DECISIONS, MAX_PENDING_APPROVALS } from '../../src/kernel/held-calls.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

const POLICY = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: held
default_action: allow
rules:
  - name: ask-mail
    condition: "tool_name == 'send_email'"
    action: require_approval
  - name: no-delete
    condition: "tool_name == 'delete_file'"
    action: deny
`);

describe('decide now, run later: bounded, and keyed by the decided tool', () => {
  it('caps waiting approvals and held decisions; the oldest goes first', async () => {
    const kernel = new Kernel({ policy: POLICY, audit: false });
    for (let i = 0; i < MAX_PENDING_APPROVALS + 50; i++) await kernel.handle({ tool: 'send_email', args: { i }, callId: `m${i}` });
    for (let i = 0; i < MAX_HELD_DECISIONS + 50; i++) await kernel.handle({ tool: 'search', args: { i }, callId: `s${i}` }, undefined, { hold: true });
    expect(kernel.held.size).toEqual({ pending: MAX_PENDING_APPROVALS, decided: MAX_HELD_DECISIONS });
    expect(kernel.held.waiting('m0')).toBeUndefined();
    expect(kernel.held.waiting(`m${MAX_PENDING_APPROVALS + 49}`)).toBeDefined();
  });

  it('holds identities, not arguments: a held decision for a large call stays small', async () => {
    const kernel = new Kernel({ policy: POLICY, audit: false });
    await kernel.handle({ tool: 'search', args: { blob: 'x'.repeat(500_000) }, callId: 'big' }, undefined, { hold: true });
    const held = kernel.held.peek('big');
    expect(held?.inputIdentity).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(held).length).toBeLessThan(5_000);
  });

  it('a run under another tool name does not spend the held decision: it is decided under its own name', async () => {
    const audit = new AuditLog();
    const kernel = new Kernel({ policy: POLICY, audit });
    const asked = await kernel.handle({ tool: 'send_email', args: { path: '/x' }, callId: 'c1' });
    expect(asked.kind).toBe('approval');
    await kernel.settle('c1', true);
    let ran = false;
    const outcome = await kernel.handle({ tool: 'delete_file', args: { path: '/x' }, callId: 'c1' }, () => (ran = true));
    expect(ran).toBe(false);
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.decision.rule).toBe('no-delete');
    expect(audit.entries().map((e) => `${e.tool} ${e.verdict}`)).toEqual(['send_email require_approval', 'send_email allow', 'delete_file deny']);
  });

  it('an approved call runs once: a second run of the same call id is decided afresh', async () => {
    const kernel = new Kernel({ policy: POLICY, audit: false });
    await kernel.handle({ tool: 'send_email', args: { to: 'a' }, callId: 'c2' });
    await kernel.settle('c2', true);
    let runs = 0;
    const first = await kernel.handle({ tool: 'send_email', args: { to: 'a' }, callId: 'c2' }, () => (runs += 1));
    const second = await kernel.handle({ tool: 'send_email', args: { to: 'a' }, callId: 'c2' }, () => (runs += 1));
    expect(first.kind).toBe('output');
    expect(second.kind).toBe('refused'); // require_approval again, and no approver is configured
    expect(runs).toBe(1);
  });

  it('HeldCalls on its own: take is spent once, and only by the decided tool', () => {
    const held = new HeldCalls(2, 2);
    const decision = { allowed: true } as never;
    held.hold('x', { tool: 't', decision, inputIdentity: 'i', approved: false });
    expect(held.take('x', 'other')).toBeUndefined();
    expect(held.take('x', 't')).toBeUndefined(); // dropped by the mismatched take
    held.hold('y', { tool: 't', decision, inputIdentity: 'i', approved: false });
    expect(held.take('y', 't')?.inputIdentity).toBe('i');
    expect(held.take('y', 't')).toBeUndefined();
  });
});

describe('withhold: a tool call of a refused model answer', () => {
  it('is refused when it runs, whatever tool and arguments it presents, once, with the recorded refusal', async () => {
    const audit = new AuditLog();
    const kernel = new Kernel({ policy: POLICY, audit });
    const refusal = kernel.decide({ stage: 'pre_tool', tool_name: 'delete_file', args: {} });
    kernel.withhold('call-9', refusal);
    let ran = false;
    const outcome = await kernel.handle({ tool: 'search', args: { q: 'x' }, callId: 'call-9' }, () => (ran = true));
    expect(ran).toBe(false);
    expect(outcome.kind === 'refused' && outcome.decision.decisionId).toBe(refusal.decisionId);
    expect((await kernel.handle({ tool: 'search', args: { q: 'x' }, callId: 'call-9' }, () => 'ran')).kind).toBe('output');
    expect(audit.entries()).toHaveLength(2); // the refusal when made, and the fresh allow; none for the withheld run
  });
});
