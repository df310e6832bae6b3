import { describe, expect, it } from 'vitest';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import { credentialFor, governances, writeDeployment } from './deployment-fixture.js';

/**
 * A call proven when it was decided and run later (held for a human's approval, or decided now
 * and run by the framework afterwards) is not proven again, so a revocation in between must be
 * asked for at the run: the next action of a revoked agent is denied, whenever it was decided.
 */

const AUD = 'agt://held';
const POLICY = `apiVersion: governance.toolkit/v1
name: crm
default_action: deny
rules:
  - { name: reads, condition: "tool_name == 'crm.read'", action: allow }
  - { name: transfers, condition: "tool_name == 'crm.transfer'", action: require_approval, approvers: [finance] }
`;
const args = { amount: 5 };
const governance = governances();

async function setup() {
  const issuer = generateAgentKey();
  const agent = generateAgentKey();
  const g = governance(writeDeployment({ issuer, audience: AUD, policy: POLICY }).path);
  const credential = await credentialFor(issuer, agent);
  const proof = (tool: string) => ({ kind: 'envelope', envelope: signEnvelope(agent.privateKey, { tool, stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUD, credential }) });
  return { g, agent, proof };
}

describe('a revocation while a proven call waits refuses its run', () => {
  it('an approval handler that takes its time: revoked meanwhile, the approved call does not run', async () => {
    const { g, agent, proof } = await setup();
    let ran = 0;
    const kernel = g.kernel({ approvals: () => {
      g.revoke(agent.did); // the operator revokes the agent while the human is deciding
      return 'approved';
    } });
    const outcome = await kernel.handle({ tool: 'crm.transfer', args, proof: proof('crm.transfer') }, () => ++ran);
    expect(outcome.kind === 'refused' && outcome.decision.reason).toMatch(/^identity:revoked: /);
    expect(ran).toBe(0);
  });

  it("a framework's approval settled after the revocation is a denial, and the framework's run is refused", async () => {
    const { g, agent, proof } = await setup();
    const kernel = g.kernel();
    const held = await kernel.handle({ tool: 'crm.transfer', args, proof: proof('crm.transfer'), callId: 'c1' });
    expect(held.kind).toBe('approval');
    g.revoke(agent.did);
    const settled = await kernel.settle('c1', true);
    expect(settled.kind === 'refused' && settled.decision.reason).toMatch(/^identity:revoked: /);
    const run = await kernel.handle({ tool: 'crm.transfer', args, callId: 'c1' });
    expect(run.kind).toBe('refused');
  });

  it('decided now, run later: the run after a revocation is refused identity:revoked, and the held decision is spent', async () => {
    const { g, agent, proof } = await setup();
    const kernel = g.kernel();
    const asked = await kernel.handle({ tool: 'crm.read', args, proof: proof('crm.read'), callId: 'r1' }, undefined, { hold: true });
    expect(asked.kind).toBe('run');
    g.revoke(agent.did);
    const run = await kernel.handle({ tool: 'crm.read', args, callId: 'r1' });
    expect(run.kind === 'refused' && run.decision.reason).toMatch(/^identity:revoked: /);
    expect(run.kind === 'refused' && run.decision.identity?.subject).toBe(agent.did);
    expect(kernel.held.peek('r1')).toBeUndefined();
  });

  it('without a revocation the same runs go ahead: the re-check refuses only what was revoked', async () => {
    const { g, proof } = await setup();
    const kernel = g.kernel();
    await kernel.handle({ tool: 'crm.read', args, proof: proof('crm.read'), callId: 'r2' }, undefined, { hold: true });
    const run = await kernel.handle({ tool: 'crm.read', args, callId: 'r2' });
    expect(run.kind).toBe('run');
    const approved = await g.kernel({ approvals: () => 'approved' }).handle({ tool: 'crm.transfer', args, proof: proof('crm.transfer') }, () => 'sent');
    expect(approved.kind === 'output' && approved.output).toBe('sent');
  });
});

