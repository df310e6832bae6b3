import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { digest } from '../../src/core/digest.js';
import { sealHandoff } from '../../src/identity/handoff-seal.js';
import { HandoffGate } from '../../src/kernel/handoff-gate.js';
import { PolicyEvaluator } from '../../src/policy/index.js';
import { handoffWorld, type HandoffWorld } from '../identity/handoff-fixtures.js';

/** The receiver's policy: refunds handed off are allowed up to 1,000, above that denied; anything else handed off is denied. */
const POLICY = `apiVersion: governance.toolkit/v1
name: receiver
default_action: deny
rules:
  - name: refunds-handed-off
    condition: "action.type == 'handoff' && tool_name == 'billing.refund' && args.amount <= 1000 && 'billing' in agent.roles"
    action: allow
  - name: triage-handed-off
    condition: "action.type == 'handoff' && tool_name == 'support.triage'"
    action: allow
  - name: scrub-card
    condition: "action.type == 'handoff' && tool_name == 'billing.read'"
    action: transform
    redact: [card]
`;

let world: HandoffWorld;
beforeAll(async () => {
  world = await handoffWorld();
});

function setup(overrides: Partial<ConstructorParameters<typeof HandoffGate>[0]> = {}) {
  const audit = new AuditLog();
  const gate = new HandoffGate({ ...world.options(), policy: PolicyEvaluator.fromYaml(POLICY), audit, ...overrides });
  const ran: unknown[] = [];
  const receiver = (payload: unknown, handoff: { from: string; task: string }) => (ran.push({ payload, ...handoff }), { done: true });
  return { audit, gate, ran, receiver };
}

const seal = (payload: Record<string, unknown> = { invoice: 'inv-1', amount: 100 }, task = 'billing.refund', key = world?.sender, chain: readonly string[] = [world.senderCredential]) =>
  sealHandoff(key, { to: world.receiver.did, task, payload }, { chain, clock: () => world.clock.now });

describe('HandoffGate: hand-offs go through the kernel, decided and audited like actions', () => {
  it('an opened hand-off runs the receiving code with the payload and the verified sender; the audit entry names the sender and the digest, not the payload', async () => {
    const { gate, audit, ran, receiver } = setup();
    const sealed = seal({ invoice: 'inv-1', amount: 100, note: 'customer-secret-note' });
    const outcome = await gate.receive(sealed, receiver);
    expect(outcome).toMatchObject({ kind: 'output', output: { done: true } });
    expect(ran).toEqual([{ payload: sealed.payload, from: world.sender.did, task: 'billing.refund' }]);
    const [entry] = audit.entries();
    expect(entry).toMatchObject({ stage: 'pre_tool', tool: 'billing.refund', verdict: 'allow', rule: 'refunds-handed-off', argsDigest: digest(sealed.payload) });
    expect(entry?.identity).toMatchObject({ subject: world.sender.did, proof: 'handoff', delegationDigest: null });
    expect(entry?.identity?.credentialId).toMatch(/\S/);
    const text = JSON.stringify(audit.entries());
    for (const secret of ['customer-secret-note', sealed.nonce, sealed.sig, world.senderCredential]) expect(text).not.toContain(secret);
  });

  it('every refusal is recorded, with the typed reason, and the receiving code never runs', async () => {
    const { gate, audit, ran, receiver } = setup();
    const sealed = seal();
    expect((await gate.receive(sealed, receiver)).kind).toBe('output');
    const replay = await gate.receive(sealed, receiver);
    const other = await gate.receive(sealHandoff(world.sender, { to: world.other.did, task: 'billing.refund', payload: {} }, { chain: [world.senderCredential] }), receiver);
    const garbage = await gate.receive('{"not": "a seal"', receiver);
    const huge = await gate.receive('x'.repeat(1_000_000), receiver);
    const results = [replay, other, garbage, huge].map((o) => (o.kind === 'refused' ? o.refusal.reason : o.kind));
    expect(results[0]).toMatch(/^identity:replayed: /);
    expect(results[1]).toMatch(/^identity:audience: /);
    expect(results[2]).toMatch(/^identity:malformed: /);
    expect(results[3]).toMatch(/^identity:too_large: /);
    expect(ran).toHaveLength(1);
    expect(audit.entries().map((e) => `${e.tool} ${e.verdict}`)).toEqual(['billing.refund allow', 'billing.refund deny', 'billing.refund deny', 'handoff deny', 'handoff deny']);
    expect(audit.entries()[1]?.reason).toMatch(/^identity:replayed/);
    expect(audit.verify().ok).toBe(true);
  });

  it('the policy rules on hand-offs: tool_name is the task, action.type is handoff, agent is the verified sender', async () => {
    const { gate, ran, receiver } = setup();
    const big = await gate.receive(seal({ invoice: 'inv-2', amount: 5000 }), receiver);
    expect(big.kind).toBe('refused');
    expect(big.kind === 'refused' && big.refusal.reason).toMatch(/default/);
    expect(ran).toEqual([]);
    const transformed = await gate.open(seal({ card: '4111', id: 7 }, 'billing.read'));
    expect(transformed).toMatchObject({ ok: true, from: world.sender.did, task: 'billing.read', payload: { card: '[REDACTED]', id: 7 } });
    // agent.trust is the sender's live score: its credential says 700, and the policy's denial just now cost 10.
    expect(transformed.ok && transformed.request.agent).toMatchObject({ id: world.sender.did, ring: 2, roles: ['billing'], trust: 690 });
  });

  it('the identity step\'s own grant check is the chain\'s cover of the task: a delegate outside its delegation is not_granted, and recorded with its chain digest', async () => {
    const { gate, audit } = setup();
    const answer = await gate.open(seal({ amount: 1 }, 'billing.refund', world.delegateKey, world.delegatedChain));
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.refusal.reason).toMatch(/^identity:not_granted: /);
    expect(audit.entries()[0]?.verdict).toBe('deny');
  });

  it('under-trusted senders are refused with the score and threshold in the recorded reason', async () => {
    const { gate, audit } = setup({ minTrust: 650, trustOf: () => 640 });
    const answer = await gate.open(seal());
    expect(!answer.ok && answer.refusal.reason).toBe("identity:insufficient_trust: the sender's trust 640 is below this gate's threshold 650");
    expect(audit.entries()[0]?.reason).toContain('640');
  });

  it('a hand-off proof only opens at the gate: a proof sealed for one payload cannot be spent on the gate\'s kernel with other arguments', async () => {
    const { gate } = setup();
    const sealed = seal();
    const { payload: _payload, ...proofSeal } = sealed;
    const outcome = await gate.kernel.handle({ tool: 'billing.refund', action: 'handoff', args: { invoice: 'inv-1', amount: 999 }, proof: { kind: 'handoff', sealed: proofSeal } });
    expect(outcome.kind === 'refused' && outcome.refusal.reason).toMatch(/^identity:signature: /);
    const forged = await gate.kernel.handle({ tool: 'billing.refund', action: 'handoff', args: {}, proof: { kind: 'handoff', unreadable: 'made-up' } });
    expect(forged.kind === 'refused' && forged.refusal.reason).toMatch(/^identity:malformed: /);
    const asserted = await gate.kernel.handle({ tool: 'billing.refund', agent: { id: 'x', ring: 0 }, args: sealed.payload, proof: { kind: 'handoff', sealed: proofSeal } });
    expect(asserted.kind === 'refused' && asserted.refusal.reason).toMatch(/^identity:self_asserted: /);
  });
});
