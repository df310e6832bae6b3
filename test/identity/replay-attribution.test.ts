import { describe, expect, it } from 'vitest';
import { credentialFor, governances, writeDeployment } from '../config/deployment-fixture.js';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import { sealHandoff } from '../../src/identity/handoff-seal.js';
import { SessionClient } from '../../src/identity/session-client.js';
import { SESSION_HANDSHAKE } from '../../src/identity/session-handshake.js';
import type { IssuedSession } from '../../src/identity/session.js';

/**
 * Whose nonce is it, and who pays for a replay? A nonce is its signer's: another trusted agent
 * that copies it into a proof of its own cannot burn the victim's proof. A replayed proof costs
 * its subject trust once: whoever holds a copy of one proof cannot drive the subject's score to
 * zero by presenting it again and again.
 */

const AUD = 'agt://replay-attribution';
const POLICY = `apiVersion: governance.toolkit/v1
name: crm
default_action: deny
rules:
  - name: reads
    condition: "tool_name == 'crm.read'"
    action: allow
`;
const args = { id: 7 };
const read = () => ({ name: 'Ada' });
const governance = governances();

async function setup() {
  const issuer = generateAgentKey();
  const g = governance(writeDeployment({ issuer, audience: AUD, policy: POLICY }).path);
  return { governance: g, credentialOf: (agent: AgentKey) => credentialFor(issuer, agent, { roles: ['support'] }) };
}

const envelopeOf = (agent: AgentKey, credential: string, nonce?: string) => ({
  kind: 'envelope',
  envelope: signEnvelope(agent.privateKey, { tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUD, credential, ...(nonce === undefined ? {} : { nonce }) }),
});

describe('a nonce belongs to its signer', () => {
  it("another trusted agent signing its own envelope with the victim's nonce does not burn the victim's envelope, nor its score", async () => {
    const { governance, credentialOf } = await setup();
    const kernel = governance.kernel();
    const victim = generateAgentKey();
    const attacker = generateAgentKey();
    const victims = envelopeOf(victim, await credentialOf(victim));
    const copied = envelopeOf(attacker, await credentialOf(attacker), victims.envelope.nonce);
    expect((await kernel.handle({ tool: 'crm.read', args, proof: copied }, read)).kind).toBe('output');
    const outcome = await kernel.handle({ tool: 'crm.read', args, proof: victims }, read);
    expect(outcome.kind).toBe('output');
    expect(outcome.decision.identity?.subject).toBe(victim.did);
    expect(kernel.trustScores?.scoreOf(victim.did, 600)).toBe(600);
  });

  it("a hand-off sealed with an envelope's nonce does not burn the envelope", async () => {
    const { governance, credentialOf } = await setup();
    const victim = generateAgentKey();
    const sender = generateAgentKey();
    const receiver = generateAgentKey();
    const victims = envelopeOf(victim, await credentialOf(victim));
    const sealed = sealHandoff(sender, { to: receiver.did, task: 'crm.read', payload: {} }, { chain: await credentialOf(sender), nonce: victims.envelope.nonce });
    const received = await governance.handoffGate({ receiver: receiver.did }).receive(sealed, () => 'done');
    expect(received.kind).toBe('output');
    expect((await governance.kernel().handle({ tool: 'crm.read', args, proof: victims }, read)).kind).toBe('output');
  });

  it('the envelope itself replayed is still refused', async () => {
    const { governance, credentialOf } = await setup();
    const agent = generateAgentKey();
    const proof = envelopeOf(agent, await credentialOf(agent));
    const kernel = governance.kernel();
    expect((await kernel.handle({ tool: 'crm.read', args, proof }, read)).kind).toBe('output');
    const again = await kernel.handle({ tool: 'crm.read', args, proof }, read);
    expect(again.kind === 'refused' && again.decision.reason).toMatch(/^identity:replayed/);
  });
});

describe('a replayed proof costs its subject trust once', () => {
  it("an envelope replayed four times lowers the score by one replay (-200), not four (the allowed call's +1 is capped at the ceiling)", async () => {
    const { governance, credentialOf } = await setup();
    const kernel = governance.kernel();
    const victim = generateAgentKey();
    const proof = envelopeOf(victim, await credentialOf(victim));
    expect((await kernel.handle({ tool: 'crm.read', args, proof }, read)).kind).toBe('output');
    for (let i = 0; i < 4; i++) {
      const replayed = await kernel.handle({ tool: 'crm.read', args, proof }, read);
      expect(replayed.kind === 'refused' && replayed.decision.reason).toMatch(/^identity:replayed/);
    }
    expect(kernel.trustScores?.scoreOf(victim.did, 600)).toBe(600 - 200);
  });

  it('each distinct envelope the agent replays still costs it', async () => {
    const { governance, credentialOf } = await setup();
    const kernel = governance.kernel();
    const agent = generateAgentKey();
    const credential = await credentialOf(agent);
    for (const proof of [envelopeOf(agent, credential), envelopeOf(agent, credential)]) {
      await kernel.handle({ tool: 'crm.read', args, proof }, read);
      await kernel.handle({ tool: 'crm.read', args, proof }, read);
    }
    expect(kernel.trustScores?.scoreOf(agent.did, 600)).toBe(600 - 200 + 1 - 200);
  });

  it("a session MAC replayed four times lowers the score once; the session's later calls still run", async () => {
    const { governance, credentialOf } = await setup();
    const kernel = governance.kernel();
    const agent = generateAgentKey();
    const credential = await credentialOf(agent);
    const issued = await governance.openSession({ kind: 'envelope', envelope: signEnvelope(agent.privateKey, SESSION_HANDSHAKE, { aud: AUD, credential }) });
    const client = new SessionClient(issued as IssuedSession);
    const mac = () => ({ kind: 'session', ...client.prove({ tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(args) }) });
    const proof = mac();
    expect((await kernel.handle({ tool: 'crm.read', args, proof }, read)).kind).toBe('output');
    for (let i = 0; i < 4; i++) {
      const replayed = await kernel.handle({ tool: 'crm.read', args, proof }, read);
      expect(replayed.kind === 'refused' && replayed.decision.reason).toMatch(/^identity:replayed/);
    }
    expect(kernel.trustScores?.scoreOf(agent.did, 600)).toBe(600 - 200);
    expect((await kernel.handle({ tool: 'crm.read', args, proof: mac() }, read)).kind).toBe('output');
  });
});
