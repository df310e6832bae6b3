/**
 * The per-action proofs through the kernel, end to end with real crypto: an agent signs an
 * envelope over the very call it makes (or MACs it under a session), and the kernel builds the
 * agent from the operator-issued credential alone. A proof spent once, or made for other
 * arguments, is a denial naming why.
 */
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { issueCredential, toVerifiedIdentity, verifyCredential } from '../../src/identity/credential.js';
import { isFailure } from '../../src/identity/did-key.js';
import { EnvelopeVerifier } from '../../src/identity/envelope.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import { byProofKind, envelopeProof, sessionProof } from '../../src/identity/proof-kinds.js';
import { SessionMacVerifier } from '../../src/identity/session.js';
import { SessionClient } from '../../src/identity/session-client.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';
import type { Outcome } from '../../src/kernel/action.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { MemoryReplayCache } from '../../src/state/replay-cache.js';

const AUD = 'agt://tests';
let now = Date.parse('2026-03-01T12:00:00Z');
const clock = (): number => now;

const operator = generateAgentKey();
const agent = generateAgentKey();
const trusted = TrustedIssuers.of([operator.did]);
if (isFailure(trusted)) throw new Error('test setup: trusted issuers');

const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: proofs
default_action: deny
rules:
  - { name: support-reads, condition: "agent.ring <= 2 && 'support' in agent.roles && tool_name == 'crm.read'", action: allow }
`);

async function setup() {
  const issued = await issueCredential(operator, { subject: agent.did, ring: 2, roles: ['support'], tools: ['crm.*'], trust: 600, ttlSeconds: 3600 }, clock);
  if (isFailure(issued)) throw new Error(issued.message);
  const envelopes = new EnvelopeVerifier({
    audience: AUD,
    clock,
    replayCache: new MemoryReplayCache({ capacity: 1000 }),
    credentials: (credential, _did, at) => {
      const verified = verifyCredential(credential, { trustedIssuers: trusted as TrustedIssuers, clock: () => at });
      return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'envelope');
    },
  });
  const sessions = new SessionMacVerifier({ audience: AUD, clock });
  const kernel = new Kernel({ policy, audit: new AuditLog({ clock }), identity: { mode: 'zero-trust', verifier: byProofKind({ envelope: envelopeProof(envelopes), session: sessionProof(sessions) }), clock } });
  return { credential: issued.token, envelopes, sessions, kernel };
}

function signed(credential: string, tool: string, args: Record<string, unknown>) {
  return { kind: 'envelope', envelope: signEnvelope(agent.privateKey, { tool, stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUD, credential, iat: now }) };
}

const reasonOf = (outcome: Outcome): string => (outcome.kind === 'refused' ? outcome.refusal.reason : `not refused: ${outcome.kind}`);

describe('signed envelopes through the kernel', () => {
  it('allows the call the agent signed, with the credential facts as the agent, and records the identity', async () => {
    const { credential, kernel } = await setup();
    const args = { id: 7 };
    const outcome = await kernel.handle({ tool: 'crm.read', args, proof: signed(credential, 'crm.read', args) }, () => 'row 7');
    expect(outcome).toMatchObject({ kind: 'output', output: 'row 7' });
    expect(outcome.decision.identity).toMatchObject({ subject: agent.did, proof: 'envelope' });
  });

  it('refuses the same envelope twice (replayed), for other arguments or another tool (signature), and for a self-asserted ring', async () => {
    const { credential, kernel } = await setup();
    const args = { id: 7 };
    const proof = signed(credential, 'crm.read', args);
    expect((await kernel.handle({ tool: 'crm.read', args, proof }, () => 1)).kind).toBe('output');
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args, proof }, () => 1))).toMatch(/^identity:replayed:/);
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args: { id: 8 }, proof: signed(credential, 'crm.read', args) }, () => 1))).toMatch(/^identity:signature:/);
    expect(reasonOf(await kernel.handle({ tool: 'crm.delete', args, proof: signed(credential, 'crm.read', args) }, () => 1))).toMatch(/^identity:signature:/);
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args, agent: { id: agent.did, ring: 0 }, proof: signed(credential, 'crm.read', args) }, () => 1))).toMatch(/^identity:self_asserted:/);
  });

  it('refuses a stale envelope and one addressed to another audience', async () => {
    const { credential, kernel } = await setup();
    const args = { id: 1 };
    const stale = signed(credential, 'crm.read', args);
    now += 120_000;
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args, proof: stale }, () => 1))).toMatch(/^identity:expired:/);
    const elsewhere = { kind: 'envelope', envelope: signEnvelope(agent.privateKey, { tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: 'agt://other', credential, iat: now }) };
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args, proof: elsewhere }, () => 1))).toMatch(/^identity:audience:/);
  });
});

describe('decide now, run later, with a signed envelope', () => {
  it('proves the call once, when it is decided: its run spends the held decision, not the nonce again', async () => {
    const { credential, kernel } = await setup();
    const args = { id: 5 };
    const proof = signed(credential, 'crm.read', args);
    const asked = await kernel.handle({ tool: 'crm.read', args, callId: 'call-1', proof }, undefined, { hold: true });
    expect(asked.kind).toBe('run');
    const ran = await kernel.handle({ tool: 'crm.read', args, callId: 'call-1', proof }, () => 'row 5');
    expect(ran).toMatchObject({ kind: 'output', output: 'row 5', decision: { identity: { subject: agent.did } } });
    // Spent: the same call id and proof again is decided afresh, and the envelope's nonce is used up.
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args, callId: 'call-1', proof }, () => 'again'))).toMatch(/^identity:replayed:/);
  });

  it('does not let a held call run with other arguments or a self-asserted ring', async () => {
    const { credential, kernel } = await setup();
    const args = { id: 5 };
    const proof = signed(credential, 'crm.read', args);
    expect((await kernel.handle({ tool: 'crm.read', args, callId: 'call-2', proof }, undefined, { hold: true })).kind).toBe('run');
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args: { id: 6 }, callId: 'call-2', proof }, () => 'other'))).toMatch(/^identity:(signature|replayed):/);
    expect((await kernel.handle({ tool: 'crm.read', args, callId: 'call-3', proof: signed(credential, 'crm.read', args) }, undefined, { hold: true })).kind).toBe('run');
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args, callId: 'call-3', agent: { id: agent.did, ring: 0 }, proof }, () => 'x'))).toMatch(/^identity:self_asserted:/);
  });
});

describe('an approval with a signed envelope', () => {
  it('holds the proven call for a human; once approved, that very call is approved and runs, another is not', async () => {
    const { credential, envelopes } = await setup();
    const approving = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: approvals
default_action: deny
rules:
  - { name: writes-need-a-human, condition: "tool_name == 'crm.write' && agent.ring <= 2", action: require_approval, approvers: [ops] }
`);
    const kernel = new Kernel({ policy: approving, audit: new AuditLog({ clock }), identity: { mode: 'zero-trust', verifier: byProofKind({ envelope: envelopeProof(envelopes) }), clock } });
    const args = { id: 1, name: 'Ada' };
    const proof = signed(credential, 'crm.write', args);
    const held = await kernel.handle({ tool: 'crm.write', args, callId: 'w-1', proof });
    expect(held.kind).toBe('approval');
    expect((await kernel.settle('w-1', true)).kind).toBe('run');
    expect(kernel.wasApproved({ tool: 'crm.write', args, callId: 'w-1', proof })).toBe(true);
    expect(kernel.wasApproved({ tool: 'crm.write', args: { id: 1, name: 'Eve' }, callId: 'w-1', proof })).toBe(false);
    expect(kernel.wasApproved({ tool: 'crm.write', args, callId: 'w-1', agent: { id: agent.did, ring: 0 }, proof })).toBe(false);
    expect(await kernel.handle({ tool: 'crm.write', args, callId: 'w-1', proof }, () => 'written')).toMatchObject({ kind: 'output', output: 'written', decision: { identity: { subject: agent.did } } });
  });
});

describe('session MACs through the kernel', () => {
  it('allows each MAC once, for the action it was made for', async () => {
    const { credential, sessions, kernel } = await setup();
    const verified = verifyCredential(credential, { trustedIssuers: trusted as TrustedIssuers, clock });
    if (isFailure(verified)) throw new Error(verified.message);
    const client = new SessionClient(sessions.issue(toVerifiedIdentity(verified, 'envelope')));
    const args = { id: 3 };
    const proof = { kind: 'session', ...client.prove({ tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(args) }) };
    const allowed = await kernel.handle({ tool: 'crm.read', args, proof }, () => 'ok');
    expect(allowed).toMatchObject({ kind: 'output', decision: { identity: { subject: agent.did, proof: 'session' } } });
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args, proof }, () => 'ok'))).toMatch(/^identity:replayed:/);
    const other = { kind: 'session', ...client.prove({ tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(args) }) };
    expect(reasonOf(await kernel.handle({ tool: 'crm.read', args: { id: 4 }, proof: other }, () => 'ok'))).toMatch(/^identity:signature:/);
  });
});
