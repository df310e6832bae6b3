import { describe, expect, it } from 'vitest';
import { credentialFor as issuedFor, governances, writeDeployment } from './deployment-fixture.js';
import { createGovernance } from '../../src/config/governance.js';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { delegate } from '../../src/identity/delegation.js';
import { isFailure } from '../../src/identity/did-key.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import { sealHandoff } from '../../src/identity/handoff-seal.js';

/**
 * createGovernance(): one deployment file builds the verifiers, the shared state and the audit
 * log; two Governance instances over the same state file behave as two processes of one machine.
 */

const AUD = 'agt://my-project';
const POLICY = `apiVersion: governance.toolkit/v1
name: support
default_action: deny
rules:
  - name: support-reads
    condition: "tool_name == 'crm.read' && agent.ring <= 2 && 'support' in agent.roles"
    action: allow
`;

const governance = governances();
const deployment = (issuer: AgentKey, identityExtra?: string): string => writeDeployment({ issuer, audience: AUD, policy: POLICY, ...(identityExtra ? { identityExtra } : {}) }).path;
const credentialFor = (issuer: AgentKey, agent: AgentKey): Promise<string> => issuedFor(issuer, agent, { roles: ['support'] });

const args = { id: 7 };
const signed = (agent: AgentKey, credential: unknown, tool = 'crm.read', callArgs: unknown = args) => ({
  kind: 'envelope',
  envelope: signEnvelope(agent.privateKey, { tool, stage: 'pre_tool', argsDigest: argsDigestOf(callArgs) }, { aud: AUD, credential }),
});
const read = () => ({ name: 'Ada' });

describe('createGovernance', () => {
  it('decides a real signed envelope from the file: allowed, with the verified identity recorded', async () => {
    const issuer = generateAgentKey();
    const agent = generateAgentKey();
    const g = governance(deployment(issuer));
    const outcome = await g.kernel().handle({ tool: 'crm.read', args, proof: signed(agent, await credentialFor(issuer, agent)) }, read);
    expect(outcome.kind).toBe('output');
    expect(outcome.kind === 'output' && outcome.decision.identity).toMatchObject({ subject: agent.did, proof: 'envelope' });
    const entry = [...g.audit.entries()].at(-1);
    expect(entry?.identity?.subject).toBe(agent.did);
  });

  it('an unproven call and a self-asserted ring are denied (zero-trust from the file)', async () => {
    const g = governance(deployment(generateAgentKey()));
    const kernel = g.kernel();
    const bare = await kernel.handle({ tool: 'crm.read', args }, read);
    expect(bare.kind === 'refused' && bare.decision.reason).toMatch(/^identity:missing/);
    const asserted = await kernel.handle({ tool: 'crm.read', args, agent: { id: 'x', ring: 0, roles: ['support'] } }, read);
    expect(asserted.kind === 'refused' && asserted.decision.reason).toMatch(/^identity:self_asserted/);
  });

  it('a replayed envelope is denied through another Governance on the same state file (two processes)', async () => {
    const issuer = generateAgentKey();
    const agent = generateAgentKey();
    const path = deployment(issuer);
    const first = governance(path);
    const second = governance(path);
    const proof = signed(agent, await credentialFor(issuer, agent));
    expect((await first.kernel().handle({ tool: 'crm.read', args, proof }, read)).kind).toBe('output');
    const replay = await second.kernel().handle({ tool: 'crm.read', args, proof }, read);
    expect(replay.kind === 'refused' && replay.decision.reason).toMatch(/^identity:replayed/);
  });

  it('an agent revoked through one Governance is denied on its next call through another', async () => {
    const issuer = generateAgentKey();
    const agent = generateAgentKey();
    const path = deployment(issuer);
    const here = governance(path);
    const there = governance(path);
    const credential = await credentialFor(issuer, agent);
    const kernel = there.kernel();
    expect((await kernel.handle({ tool: 'crm.read', args, proof: signed(agent, credential) }, read)).kind).toBe('output');
    expect(isFailure(here.revoke(agent.did))).toBe(false);
    const after = await kernel.handle({ tool: 'crm.read', args, proof: signed(agent, credential) }, read);
    expect(after.kind === 'refused' && after.decision.reason).toMatch(/^identity:revoked/);
  });

  it('a delegated credential chain works, and revoking the delegator cuts the delegate off', async () => {
    const issuer = generateAgentKey();
    const parent = generateAgentKey();
    const child = generateAgentKey();
    const g = governance(deployment(issuer));
    const link = await delegate(parent, [await credentialFor(issuer, parent)], { subject: child.did, tools: ['crm.read'], ttlSeconds: 600 });
    if (isFailure(link)) throw new Error(link.message);
    const kernel = g.kernel();
    const allowed = await kernel.handle({ tool: 'crm.read', args, proof: signed(child, link.chain) }, read);
    expect(allowed.kind === 'output' && allowed.decision.identity?.delegationDigest).toMatch(/^[0-9a-f]{64}$/);
    g.revoke(parent.did);
    const cut = await kernel.handle({ tool: 'crm.read', args, proof: signed(child, link.chain) }, read);
    expect(cut.kind === 'refused' && cut.decision.reason).toMatch(/^identity:revoked/);
  });

  it('an envelope from an issuer the file does not trust, or for another audience, is denied', async () => {
    const stranger = generateAgentKey();
    const agent = generateAgentKey();
    const g = governance(deployment(generateAgentKey()));
    const untrusted = await g.kernel().handle({ tool: 'crm.read', args, proof: signed(agent, await credentialFor(stranger, agent)) }, read);
    expect(untrusted.kind === 'refused' && untrusted.decision.reason).toMatch(/^identity:untrusted_issuer/);
  });

  it('without a file: today\'s behaviour (no identity, memory stores, the policy given)', async () => {
    const g = governance({ version: 1, audit: { store: 'memory' }, state: { path: 'memory' } });
    expect(g.identity).toBeUndefined();
    expect(() => g.kernel()).toThrow(/no policy given/);
    const outcome = await g.kernel({ policy: { name: 'p', default_action: 'allow', rules: [] } }).handle({ tool: 'x', args: {}, agent: { id: 'me', ring: 1 } }, () => 1);
    expect(outcome.kind).toBe('output');
  });

  it('a closed Governance refuses further use with a clear error', () => {
    const g = createGovernance({ version: 1, state: { path: 'memory' } });
    g.close();
    expect(() => g.kernel()).toThrow(/was closed/);
  });

  it("trust scores live in the deployment's state file: a loss in one Governance is the score another reads, and a condition on agent.trust sees it", async () => {
    const issuer = generateAgentKey();
    const agent = generateAgentKey();
    const path = deployment(issuer);
    const credential = await credentialFor(issuer, agent);
    const first = governance(path);
    const kernel = first.kernel({ policy: { name: 'p', default_action: 'deny', rules: [{ name: 'trusted-reads', condition: "tool_name == 'crm.read' && agent.trust >= 600", action: 'allow' }] } });
    const allowed = await kernel.handle({ tool: 'crm.read', args, proof: signed(agent, credential) }, read);
    expect(allowed.kind).toBe('output');
    // A denial by the policy costs 10: the score drops below the condition's 600 everywhere.
    const denied = await kernel.handle({ tool: 'crm.write', args, proof: signed(agent, credential, 'crm.write') }, read);
    expect(denied.kind === 'refused' && denied.decision.reason).not.toMatch(/^identity:/);
    const second = governance(path);
    expect(second.kernel().trustScores?.scoreOf(agent.did, 600)).toBeLessThan(600);
    const after = await second.kernel({ policy: { name: 'p', default_action: 'deny', rules: [{ name: 'trusted-reads', condition: "tool_name == 'crm.read' && agent.trust >= 600", action: 'allow' }] } }).handle({ tool: 'crm.read', args, proof: signed(agent, credential) }, read);
    expect(after.kind).toBe('refused');
  });

  it("a hand-off gate from the deployment opens a sealed hand-off once, refuses its replay through another Governance and an under-trusted sender, and records each", async () => {
    const issuer = generateAgentKey();
    const sender = generateAgentKey();
    const receiver = generateAgentKey();
    const path = deployment(issuer);
    const chain = [await credentialFor(issuer, sender)];
    const seal = sealHandoff(sender, { to: receiver.did, task: 'crm.read', payload: { id: 7 } }, { chain });
    const first = governance(path);
    const opened = await first.handoffGate({ receiver: receiver.did, minTrust: 500 }).open(seal);
    expect(opened.ok && opened.from).toBe(sender.did);
    const second = governance(path);
    const replayed = await second.handoffGate({ receiver: receiver.did }).open(seal);
    expect(!replayed.ok && replayed.refusal.reason).toMatch(/^identity:replayed/);
    const strict = await first.handoffGate({ receiver: receiver.did, minTrust: 900 }).open(sealHandoff(sender, { to: receiver.did, task: 'crm.read', payload: { id: 8 } }, { chain }));
    expect(!strict.ok && strict.refusal.reason).toMatch(/^identity:insufficient_trust/);
    const entries = [...first.audit.entries(), ...second.audit.entries()];
    expect(entries.filter((e) => e.identity?.subject === sender.did && e.verdict === 'allow')).toHaveLength(1);
    expect(entries.filter((e) => e.reason.startsWith('identity:')).map((e) => e.reason.split(':')[1])).toEqual(expect.arrayContaining(['replayed', 'insufficient_trust']));
  });

  it("what a hand-off's outcome does to its sender's score is the deployment's: a policy denial through one gate lowers the score another process's gate reads", async () => {
    const issuer = generateAgentKey();
    const sender = generateAgentKey();
    const receiver = generateAgentKey();
    const path = deployment(issuer);
    const chain = [await credentialFor(issuer, sender)]; // trust 600
    const first = governance(path);
    // The deployment's policy allows only crm.read: a crm.write hand-off is a policy denial (-10).
    const denied = await first.handoffGate({ receiver: receiver.did }).open(sealHandoff(sender, { to: receiver.did, task: 'crm.write', payload: {} }, { chain }));
    expect(!denied.ok && denied.refusal.reason).not.toMatch(/^identity:/);
    const second = governance(path);
    const refused = await second.handoffGate({ receiver: receiver.did, minTrust: 595 }).open(sealHandoff(sender, { to: receiver.did, task: 'crm.read', payload: {} }, { chain }));
    expect(!refused.ok && refused.refusal.reason).toMatch(/^identity:insufficient_trust: .*590.*595/);
  });

  it('a deployment without an identity section has no hand-off gate: a clear error, not a gate that trusts nobody silently', () => {
    const g = governance({ version: 1, state: { path: 'memory' } });
    expect(() => g.handoffGate({ receiver: generateAgentKey().did })).toThrow(/no identity section/);
  });
});
