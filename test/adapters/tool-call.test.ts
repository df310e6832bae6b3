import { describe, expect, it } from 'vitest';
import { ToolCallGovernor } from '../../src/adapters/tool-call.js';
import { AuditLog, MemoryAuditSink, type AuditSink } from '../../src/index.js';
import { governanceFixture, trail } from './fixtures.js';

/** A memory sink whose commits fail, as a full disk would. */
class FailingCommitSink extends MemoryAuditSink implements AuditSink {
  durable(): Promise<void> {
    return Promise.reject(new Error('disk full'));
  }
}

function governor(audit: AuditLog = new AuditLog()) {
  return { governor: new ToolCallGovernor({ policy: governanceFixture().evaluator, audit, agent: 'core' }), audit };
}

describe('ToolCallGovernor', () => {
  it('decides a held call once: the run consumes the decision made when the framework asked', async () => {
    const { governor: g, audit } = governor();
    const asked = await g.beforeTool({ tool: 'search', args: { query: 'a' }, callId: 'c1' }, { hold: true });
    const ran = await g.beforeTool({ tool: 'search', args: { query: 'a' }, callId: 'c1' });
    expect(ran).toEqual(asked);
    expect(trail(audit)).toEqual(['pre_tool search allow']);
  });

  it('denies an approved call whose arguments changed between the approval and the run (the approval binds to its identity)', async () => {
    const { governor: g, audit } = governor();
    const args = { to: 'ada@example.com', body: 'hi' };
    const held = await g.beforeTool({ tool: 'send_email', args, callId: 'e1' }, { hold: true });
    expect(held.kind).toBe('approval');
    await g.settleApproval('e1', true);
    args.to = 'eve@evil.test'; // mutated after approval, before the run
    expect(g.wasApproved('e1', args)).toBe(false);
    const run = await g.beforeTool({ tool: 'send_email', args, callId: 'e1' });
    expect(run.kind).toBe('refuse'); // not the approved call: the approval does not carry over
    expect(run.kind === 'refuse' && run.refusal.reason).toMatch(/^runtime_error:identity_mismatch: /);
    expect(trail(audit)).toEqual(['pre_tool send_email require_approval', 'pre_tool send_email allow', 'pre_tool send_email deny']);
  });

  it('decides afresh when the arguments of a call the policy cleared changed before its run', async () => {
    const { governor: g, audit } = governor();
    await g.beforeTool({ tool: 'search', args: { query: 'a' }, callId: 'c2' }, { hold: true });
    const run = await g.beforeTool({ tool: 'search', args: { query: 'b' }, callId: 'c2' });
    expect(run.kind === 'run' && run.args).toEqual({ query: 'b' });
    expect(trail(audit)).toEqual(['pre_tool search allow', 'pre_tool search allow']);
  });

  it('runs an approved call with the arguments that were checked, not the caller’s later copy', async () => {
    const { governor: g } = governor();
    const args = { to: 'ada@example.com', body: 'hi' };
    await g.beforeTool({ tool: 'send_email', args, callId: 'e1' }, { hold: true });
    const cleared = await g.settleApproval('e1', true);
    args.body = 'changed';
    expect(cleared.kind === 'run' && cleared.args).toEqual({ to: 'ada@example.com', body: 'hi' });
  });

  it('refuses an approval for a call that is not pending, and records it', async () => {
    const { governor: g, audit } = governor();
    const outcome = await g.settleApproval('nope', true);
    expect(outcome.kind).toBe('refuse');
    expect(outcome.kind === 'refuse' && outcome.refusal.reason).toContain("no approval is pending for call 'nope'");
    expect(trail(audit)).toEqual(['pre_tool - deny']);
  });

  it('runs nothing whose decision the audit store could not commit', async () => {
    const { governor: g } = governor(new AuditLog({ sink: new FailingCommitSink() }));
    let ran = false;
    const outcome = await g.callTool({ tool: 'search', args: { query: 'a' } }, () => (ran = true));
    expect(ran).toBe(false);
    expect(outcome.kind === 'refuse' && outcome.refusal.reason).toContain('runtime_error:audit');
  });

  it('denies arguments that are not a JSON object, with the reason', async () => {
    const { governor: g } = governor();
    for (const [args, why] of [
      ['text', 'got string'],
      [[1, 2], 'got an array'],
      [new Date(), 'plain JSON object'],
      [new Proxy({}, { getPrototypeOf: () => { throw new Error('trap'); } }), 'a Proxy is not allowed'],
    ] as const) {
      const outcome = await g.beforeTool({ tool: 'search', args });
      expect(outcome.kind === 'refuse' && outcome.refusal.reason).toContain(why);
    }
  });

  it('withholds a result that is not JSON data when the policy checks results', async () => {
    const { governor: g } = governor();
    const outcome = await g.callTool({ tool: 'lookup_customer', args: { id: 'c-1' } }, () => ({ id: 'c-1', at: new Map() }));
    expect(outcome.kind).toBe('refuse');
  });
});
