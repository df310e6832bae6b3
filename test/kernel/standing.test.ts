import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { GovernanceDenied } from '../../src/core/errors.js';
import { Lifecycle } from '../../src/execution/lifecycle/lifecycle.js';
import { govern } from '../../src/kernel/govern.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { BrokenLifecycleStore } from '../../src/state/lifecycle-store.js';

// The standing guard: step 2 of every call, after identity and before the policy. A suspended
// or terminated agent is refused at every point, a quarantined one everywhere but the policy's
// quarantine allow-list, and a store that cannot be read refuses everyone. It also stops calls
// decided or approved before the agent was stopped.

const POLICY = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: standing
default_action: allow
quarantine:
  allow: [search, '*.read']
rules:
  - name: ask-mail
    condition: "tool_name == 'send_email'"
    action: require_approval
  - name: no-drop
    condition: "tool_name == 'db.drop'"
    action: deny
`);

function kernelWith(lifecycle = new Lifecycle(), audit: AuditLog | false = false, approvals?: () => 'approved' | 'denied') {
  return new Kernel({ policy: POLICY, audit, lifecycle, ...(approvals ? { approvals } : {}) });
}

async function run(kernel: Kernel, agent: string, tool: string, args: Record<string, unknown> = {}) {
  const outcome = await kernel.handle({ tool, args, agent }, async () => 'ran');
  return outcome.kind === 'refused' ? outcome.decision.reason : outcome.kind === 'output' ? 'ran' : outcome.kind;
}

describe('the standing guard', () => {
  it('lets active and unseen agents through, and refuses suspended and terminated ones at every tool', async () => {
    const lifecycle = new Lifecycle();
    const kernel = kernelWith(lifecycle);
    expect(await run(kernel, 'a1', 'search')).toBe('ran');
    await lifecycle.suspend('a1', { reason: 'looking into it', by: 'ops' });
    expect(await run(kernel, 'a1', 'search')).toMatch(/^lifecycle:suspended: agent a1 is suspended since .* \(by ops: looking into it\); an operator resumes it/);
    expect(await run(kernel, 'a2', 'search')).toBe('ran'); // only that agent
    await lifecycle.kill('a1');
    for (const tool of ['search', 'db.read', 'anything']) expect(await run(kernel, 'a1', tool)).toMatch(/^lifecycle:terminated: .*terminated is final$/);
  });

  it('names itself as the deciding step, before the policy (a policy deny is not what refused it)', async () => {
    const lifecycle = new Lifecycle();
    const kernel = kernelWith(lifecycle);
    await lifecycle.kill('k');
    const outcome = await kernel.handle({ tool: 'db.drop', agent: 'k' }, async () => 'ran');
    expect(outcome.kind === 'refused' && outcome.decision.diagnostics.step).toBe('standing');
    expect(outcome.kind === 'refused' && outcome.decision.rule).toBeNull();
  });

  it('quarantine: the allow-list runs (still under the policy), everything else and every look-alike is refused', async () => {
    const lifecycle = new Lifecycle();
    const kernel = kernelWith(lifecycle);
    await lifecycle.quarantine('q');
    expect(await run(kernel, 'q', 'search')).toBe('ran');
    expect(await run(kernel, 'q', 'crm.read')).toBe('ran');
    for (const tool of ['send_email', 'db.write', 'Search', 'SEARCH', 'crm.read.all', 'read', 'crm.Read']) {
      expect(await run(kernel, 'q', tool), tool).toMatch(/^lifecycle:quarantined: agent q is quarantined/);
    }
    // A name that is not a tool name at all is refused before any guard.
    expect(await run(kernel, 'q', 'search ')).toMatch(/^runtime_error:invalid_request/);
    expect(await run(kernel, 'q', 'seаrch' /* Cyrillic а */)).toMatch(/^runtime_error:invalid_request/);
    // A policy without a quarantine section allows nothing in quarantine.
    const bare = new Kernel({ policy: PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\nname: bare\ndefault_action: allow\n'), audit: false, lifecycle });
    expect(await run(bare, 'q', 'search')).toMatch(/^lifecycle:quarantined/);
  });

  it('ids are exact: another spelling is another agent (with identity, the id is the verified DID, which the caller cannot choose)', async () => {
    const lifecycle = new Lifecycle();
    const kernel = kernelWith(lifecycle);
    await lifecycle.kill('agent-1');
    expect(await run(kernel, 'agent-1', 'search')).toMatch(/^lifecycle:terminated/);
    expect(await run(kernel, 'Agent-1', 'search')).toBe('ran');
  });

  it('covers decide() and decideAsync(), and records the denial', async () => {
    const audit = new AuditLog();
    const lifecycle = new Lifecycle();
    const kernel = kernelWith(lifecycle, audit);
    await lifecycle.suspend('d');
    expect(kernel.decide({ tool_name: 'search', agent: 'd' }).reason).toMatch(/^lifecycle:suspended/);
    expect((await kernel.decideAsync({ tool_name: 'search', agent: 'd' })).reason).toMatch(/^lifecycle:suspended/);
    expect([...audit.entries()].filter((e) => e.verdict === 'deny' && e.reason.startsWith('lifecycle:suspended'))).toHaveLength(2);
  });

  it('a call decided before the suspension (held for its run) is refused when it comes to run', async () => {
    const lifecycle = new Lifecycle();
    const kernel = kernelWith(lifecycle);
    const decided = await kernel.handle({ tool: 'search', args: { q: 1 }, agent: 'h', callId: 'c1' }, undefined, { hold: true });
    expect(decided.kind).toBe('run');
    await lifecycle.suspend('h');
    const ran = await kernel.handle({ tool: 'search', args: { q: 1 }, agent: 'h', callId: 'c1' }, async () => 'ran');
    expect(ran.kind === 'refused' && ran.decision.reason).toMatch(/^lifecycle:suspended/);
  });

  it('an approval given after the agent was killed cannot clear its call (settle and the approval handler)', async () => {
    const lifecycle = new Lifecycle();
    const kernel = kernelWith(lifecycle);
    const held = await kernel.handle({ tool: 'send_email', args: { to: 'x' }, agent: 'm', callId: 'mail-1' });
    expect(held.kind).toBe('approval');
    await lifecycle.kill('m', { reason: 'drill' });
    // The kill rejected the waiting approval at once (the kernel's kill switch follows its lifecycle); a late yes gets that answer.
    const settled = await kernel.settle('mail-1', true);
    expect(settled.kind === 'refused' && settled.decision.reason).toMatch(/^agent killed: drill/);
    expect((await kernel.handle({ tool: 'send_email', args: { to: 'x' }, agent: 'm', callId: 'mail-1' }, async () => 'sent')).kind).toBe('refused');

    // The kernel's own approval handler: the human answers after the kill.
    let approve: (answer: 'approved') => void = () => undefined;
    const slow = new Lifecycle();
    const asking = new Kernel({ policy: POLICY, audit: false, lifecycle: slow, approvals: () => new Promise((resolve) => (approve = resolve)) });
    const pending = asking.handle({ tool: 'send_email', args: { to: 'y' }, agent: 'm2' }, async () => 'sent');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await slow.kill('m2');
    approve('approved');
    const outcome = await pending;
    // Answered "denied" by the kill itself, before the human's late yes arrives.
    expect(outcome.kind === 'refused' && outcome.decision.reason).toMatch(/^agent killed: /);
  });

  it('a lifecycle store that cannot be read refuses every call with runtime_error:state, never allows', async () => {
    const broken = new Lifecycle({ store: new BrokenLifecycleStore('the state store /x/state.db is corrupt') });
    const kernel = kernelWith(broken);
    broken.close();
    const reason = await run(kernel, 'anyone', 'search');
    expect(reason).toMatch(/^runtime_error:state: the state store \/x\/state.db is corrupt; refusing/);
  });

  it('a kernel built alone has a memory lifecycle of its own; govern() tools share one when given it; false turns it off', async () => {
    const kernel = new Kernel({ policy: POLICY, audit: false });
    await kernel.lifecycle?.kill('solo');
    expect(await run(kernel, 'solo', 'search')).toMatch(/^lifecycle:terminated/);
    const lifecycle = new Lifecycle();
    const search = govern(async () => 'found', { policy: POLICY, audit: false, name: 'search', agent: 'shared', lifecycle });
    const read = govern(async () => 'read', { policy: POLICY, audit: false, name: 'crm.read', agent: 'shared', lifecycle });
    await lifecycle.kill('shared');
    await expect(search()).rejects.toBeInstanceOf(GovernanceDenied);
    await expect(read()).rejects.toThrow(/lifecycle:terminated/);
    const off = new Kernel({ policy: POLICY, audit: false, lifecycle: false });
    expect(off.lifecycle).toBeNull();
  });
});
