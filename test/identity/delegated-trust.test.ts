import { describe, expect, it } from 'vitest';
import { credentialFor, governances, writeDeployment } from '../config/deployment-fixture.js';
import type { Governance } from '../../src/config/governance.js';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { envelopeCredentialOf } from '../../src/identity/credential-file.js';
import { delegate, type CredentialChain } from '../../src/identity/delegation.js';
import { isFailure } from '../../src/identity/did-key.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import { sealHandoff } from '../../src/identity/handoff-seal.js';

/**
 * Trust cannot be laundered through delegation. An agent whose live score fell (replays, denials)
 * could otherwise delegate its credential's full stated trust to a fresh key of its own and act
 * through it at the ceiling. A delegate's live score is capped by the live score of every agent
 * that delegated to it, as the kernel and the hand-off gate read it.
 */

const AUD = 'agt://delegated-trust';
const POLICY = `apiVersion: governance.toolkit/v1
name: crm
default_action: deny
tools:
  'crm.export': { min_trust: 500 }
rules:
  - { name: reads, condition: "tool_name in ['crm.read', 'crm.export']", action: allow }
  - { name: scored, condition: "tool_name == 'crm.score' && agent.trust >= 500", action: allow }
`;
const args = { id: 7 };
const read = () => ({ name: 'Ada' });
const governance = governances();

async function setup() {
  const issuer = generateAgentKey();
  const g = governance(writeDeployment({ issuer, audience: AUD, policy: POLICY }).path);
  const agent = generateAgentKey();
  return { governance: g, agent, chain: [await credentialFor(issuer, agent)] as CredentialChain };
}

const proofOf = (key: AgentKey, chain: CredentialChain, tool: string) => ({
  kind: 'envelope',
  envelope: signEnvelope(key.privateKey, { tool, stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUD, credential: envelopeCredentialOf(chain) }),
});

/** Lowers the agent's live score from 600 to 200: two of its own envelopes replayed. */
async function misbehave(governance: Governance, agent: AgentKey, chain: CredentialChain): Promise<void> {
  const kernel = governance.kernel();
  for (let i = 0; i < 2; i++) {
    const proof = proofOf(agent, chain, 'crm.read');
    await kernel.handle({ tool: 'crm.read', args, proof }, read);
    await kernel.handle({ tool: 'crm.read', args, proof }, read);
  }
  expect(kernel.trustScores?.scoreOf(agent.did, 600)).toBeLessThan(500);
}

async function delegateToOwnKey(agent: AgentKey, chain: CredentialChain): Promise<{ helper: AgentKey; helperChain: CredentialChain }> {
  const helper = generateAgentKey();
  const link = await delegate(agent, chain, { subject: helper.did, tools: ['crm.*'], trust: 600, ttlSeconds: 600 });
  if (isFailure(link)) throw new Error(link.message);
  return { helper, helperChain: link.chain };
}

describe("a delegate's live trust is capped by its delegators' live scores", () => {
  it('an agent that lost trust cannot pass a min_trust tool through a fresh key it delegates to', async () => {
    const { governance, agent, chain } = await setup();
    await misbehave(governance, agent, chain);
    const { helper, helperChain } = await delegateToOwnKey(agent, chain);
    const outcome = await governance.kernel().handle({ tool: 'crm.export', args, proof: proofOf(helper, helperChain, 'crm.export') }, read);
    expect(outcome.kind === 'refused' && outcome.decision.reason).toMatch(/^trust:below_minimum: trust score \d+ is below the 500/);
  });

  it("a condition reading agent.trust reads the capped score", async () => {
    const { governance, agent, chain } = await setup();
    await misbehave(governance, agent, chain);
    const { helper, helperChain } = await delegateToOwnKey(agent, chain);
    const outcome = await governance.kernel().handle({ tool: 'crm.score', args, proof: proofOf(helper, helperChain, 'crm.score') }, read);
    expect(outcome.kind).toBe('refused');
  });

  it("the hand-off gate reads the capped score as the sender's trust", async () => {
    const { governance, agent, chain } = await setup();
    await misbehave(governance, agent, chain);
    const { helper, helperChain } = await delegateToOwnKey(agent, chain);
    const receiver = generateAgentKey();
    const sealed = sealHandoff(helper, { to: receiver.did, task: 'crm.read', payload: {} }, { chain: helperChain });
    const received = await governance.handoffGate({ receiver: receiver.did, minTrust: 500 }).receive(sealed, () => 'ran');
    expect(received.kind === 'refused' && received.decision.reason).toMatch(/^identity:insufficient_trust/);
  });

  it('a delegate of an agent in good standing acts at its own score', async () => {
    const { governance, agent, chain } = await setup();
    const { helper, helperChain } = await delegateToOwnKey(agent, chain);
    const kernel = governance.kernel();
    const outcome = await kernel.handle({ tool: 'crm.export', args, proof: proofOf(helper, helperChain, 'crm.export') }, read);
    expect(outcome.kind).toBe('output');
    expect(outcome.kind === 'output' && outcome.decision.identity?.delegationDigest).toMatch(/^[0-9a-f]{64}$/);
  });
});
