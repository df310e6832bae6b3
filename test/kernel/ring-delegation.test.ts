/**
 * A child agent can never be above its parent (issue 11, item 2): a delegate's elevation is
 * capped at the effective ring of every agent that delegated to it, when it is asked for and at
 * every use, so a child's elevation ends with its parent's. Real deployment: signed envelopes,
 * a delegation chain, the SQLite state file.
 */
import { describe, expect, it } from 'vitest';
import { credentialFor, governances, writeDeployment } from '../config/deployment-fixture.js';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { envelopeCredentialOf } from '../../src/identity/credential-file.js';
import { delegate, type CredentialChain } from '../../src/identity/delegation.js';
import { isFailure } from '../../src/identity/did-key.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import type { Outcome } from '../../src/kernel/action.js';

const AUD = 'agt://rings';
const POLICY = `apiVersion: governance.toolkit/v1
name: rings
default_action: allow
tools:
  db.drop: { ring: 1 }
`;
const governance = governances();
const run = (): string => 'dropped';
const reasonOf = (outcome: Outcome): string => (outcome.kind === 'refused' ? outcome.decision.reason : `(${outcome.kind})`);

const proofOf = (key: AgentKey, chain: CredentialChain, tool: string, args: unknown) => ({
  kind: 'envelope',
  envelope: signEnvelope(key.privateKey, { tool, stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUD, credential: envelopeCredentialOf(chain) }),
});

describe('elevation: a child is never above its parent', () => {
  it('is refused above the parent, granted once the parent is elevated, and ends with the parent\'s grant', async () => {
    const issuer = generateAgentKey();
    const g = governance(writeDeployment({ issuer, audience: AUD, policy: POLICY }).path);
    const kernel = g.kernel({ approvals: () => 'approved' });
    const parent = generateAgentKey();
    const parentChain: CredentialChain = [await credentialFor(issuer, parent, { ring: 2, tools: ['*'] })];
    const child = generateAgentKey();
    const link = await delegate(parent, parentChain, { subject: child.did, tools: ['*'], ring: 2, ttlSeconds: 600 });
    if (isFailure(link)) throw new Error(link.message);
    const childChain = link.chain;

    const elevate = (key: AgentKey, chain: CredentialChain) => {
      const args = { ring: 1, reason: 'maintenance' };
      return kernel.requestElevation({ ...args, proof: proofOf(key, chain, 'agt.elevate', args) });
    };
    const drop = (key: AgentKey, chain: CredentialChain) => kernel.handle({ tool: 'db.drop', args: {}, proof: proofOf(key, chain, 'db.drop', {}) }, run);

    const early = await elevate(child, childChain);
    expect(early.granted ? '' : early.reason).toMatch(/^elevation:refused: ring 1 would put a delegate above the agent that delegated to it \(which acts at ring 2 now\)/);

    const parentGrant = await elevate(parent, parentChain);
    if (!parentGrant.granted) throw new Error(parentGrant.reason);
    expect(parentGrant.grant.subject).toBe(parent.did);
    const childGrant = await elevate(child, childChain);
    expect(childGrant.granted).toBe(true);
    expect((await drop(child, childChain)).kind).toBe('output');

    // The parent's elevation ends: the child's, though unexpired, no longer lifts it above the parent.
    kernel.revokeElevation(parentGrant.grant.id);
    expect(reasonOf(await drop(child, childChain))).toMatch(/^ring:insufficient: agent ring 2 is less privileged than the ring 1/);
    expect(reasonOf(await drop(parent, parentChain))).toMatch(/^ring:insufficient/);
    // Grants live in the deployment's state file.
    expect(g.elevationGrants.live(Date.now()).map((grant) => grant.subject)).toEqual([child.did]);
  });

  it('a credential that does not grant agt.elevate cannot even ask', async () => {
    const issuer = generateAgentKey();
    const g = governance(writeDeployment({ issuer, audience: AUD, policy: POLICY }).path);
    const kernel = g.kernel({ approvals: () => 'approved' });
    const agent = generateAgentKey();
    const chain: CredentialChain = [await credentialFor(issuer, agent, { ring: 2, tools: ['crm.*'] })];
    const args = { ring: 1, reason: 'x' };
    const outcome = await kernel.requestElevation({ ...args, proof: proofOf(agent, chain, 'agt.elevate', args) });
    expect(outcome.granted ? '' : outcome.reason).toMatch(/^identity:not_granted/);
  });
});
