/**
 * A delegate acts on its delegators' authority: suspending, quarantining or killing the parent
 * stops the child's next call too (a kill cannot be dodged by handing the work to a delegate).
 * Real deployment: signed envelopes, a delegation chain, the SQLite state file.
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

const AUD = 'agt://standing';
const POLICY = `apiVersion: governance.toolkit/v1
name: standing
default_action: allow
tools:
  search: { read_only: true }
`;
const governance = governances();
const reasonOf = (outcome: Outcome): string => (outcome.kind === 'refused' ? outcome.decision.reason : `(${outcome.kind})`);
const proofOf = (key: AgentKey, chain: CredentialChain, tool: string) => ({
  kind: 'envelope',
  envelope: signEnvelope(key.privateKey, { tool, stage: 'pre_tool', argsDigest: argsDigestOf({}) }, { aud: AUD, credential: envelopeCredentialOf(chain) }),
});

describe('the standing step and delegation', () => {
  it("a delegate is stopped by its parent's suspension, quarantine (read-only tools pass) and kill", async () => {
    const issuer = generateAgentKey();
    const g = governance(writeDeployment({ issuer, audience: AUD, policy: POLICY }).path);
    const kernel = g.kernel();
    const parent = generateAgentKey();
    const parentChain: CredentialChain = [await credentialFor(issuer, parent, { ring: 2, tools: ['*'] })];
    const child = generateAgentKey();
    const link = await delegate(parent, parentChain, { subject: child.did, tools: ['*'], ring: 2, ttlSeconds: 600 });
    if (isFailure(link)) throw new Error(link.message);
    const call = (tool: string) => kernel.handle({ tool, args: {}, proof: proofOf(child, link.chain, tool) }, () => 'ran');

    expect((await call('db.write')).kind).toBe('output');
    await g.lifecycle.suspend(parent.did, { reason: 'investigating' });
    expect(reasonOf(await call('db.write'))).toMatch(new RegExp(`^lifecycle:suspended: agent ${parent.did} is suspended .*\\(agent ${child.did} acts on a delegation from it\\)$`));

    await g.lifecycle.resume(parent.did, { operatorAct: true, approvedBy: 'oncall' });
    await g.lifecycle.quarantine(parent.did, { reason: 'odd traffic' });
    expect(reasonOf(await call('db.write'))).toMatch(/^lifecycle:quarantined: /);
    expect((await call('search')).kind).toBe('output');

    const report = await g.kill(parent.did, { reason: 'compromised', by: 'oncall' });
    expect(report.terminated).toBe(true);
    expect(reasonOf(await call('search'))).toMatch(/^lifecycle:terminated: .*acts on a delegation from it/);
    // The child itself was never stopped: its own state is untouched.
    expect(g.lifecycle.stateOf(child.did)).toBeUndefined();
  });
});
