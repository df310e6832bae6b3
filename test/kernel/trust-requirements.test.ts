/**
 * Per-tool requirements and live trust scores through the kernel, with real keys, real proofs
 * and real SQLite files: `tools: { x: { verify: full } }` refuses a session-MAC-proven call,
 * `min_trust` refuses an agent whose live score is below it, and the score a policy condition
 * reads as `agent.trust` is the one the kernel's events moved (denials, replays, failures),
 * recovering over (injected) time and shared by every kernel on one SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { issueCredential, toVerifiedIdentity, verifyCredential } from '../../src/identity/credential.js';
import { isFailure } from '../../src/identity/did-key.js';
import { EnvelopeVerifier } from '../../src/identity/envelope.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import { byProofKind, envelopeProof, sessionProof } from '../../src/identity/proof-kinds.js';
import { SessionMacVerifier } from '../../src/identity/session.js';
import { SessionClient } from '../../src/identity/session-client.js';
import { TRUST_WEIGHTS } from '../../src/identity/trust-score.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';
import type { Outcome } from '../../src/kernel/action.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { MemoryReplayCache } from '../../src/state/replay-cache.js';
import { SqliteTrustScoreStore } from '../../src/state/sqlite-trust-score-store.js';
import type { TrustScoreStore } from '../../src/state/trust-score-store.js';

const AUD = 'agt://tests';
const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'agt-trust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const operator = generateAgentKey();
const trusted = TrustedIssuers.of([operator.did]);
if (isFailure(trusted)) throw new Error('test setup: trusted issuers');

const POLICY = `apiVersion: governance.toolkit/v1
name: trust
default_action: deny
tools:
  transfer_funds: { verify: full }
  'db.*': { min_trust: 550 }
rules:
  - { name: reads, condition: "tool_name in ['crm.read', 'db.read', 'transfer_funds']", action: allow }
  - { name: trusted-export, condition: "tool_name == 'crm.export' && agent.trust >= 595", action: allow }
  - { name: no-deletes, condition: "tool_name == 'crm.delete'", action: deny }
`;

interface Setup {
  kernel: Kernel;
  agent: AgentKey;
  credential: string;
  sessions: SessionMacVerifier;
  clock: { now: number };
}

async function setup(options: { trust?: number; store?: TrustScoreStore; agent?: AgentKey; policy?: string } = {}): Promise<Setup> {
  const clock = { now: Date.parse('2026-03-01T12:00:00Z') };
  const now = (): number => clock.now;
  const agent = options.agent ?? generateAgentKey();
  const issued = await issueCredential(operator, { subject: agent.did, ring: 2, roles: ['support'], tools: ['*'], trust: options.trust ?? 600, ttlSeconds: 48 * 3600 }, now);
  if (isFailure(issued)) throw new Error(issued.message);
  const envelopes = new EnvelopeVerifier({
    audience: AUD,
    clock: now,
    replayCache: new MemoryReplayCache({ capacity: 1000 }),
    credentials: (credential, _did, at) => {
      const verified = verifyCredential(credential, { trustedIssuers: trusted as TrustedIssuers, clock: () => at });
      return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'envelope');
    },
  });
  const sessions = new SessionMacVerifier({ audience: AUD, clock: now, ttlMs: 48 * HOUR });
  const kernel = new Kernel({
    policy: PolicyEvaluator.fromYaml(options.policy ?? POLICY),
    audit: new AuditLog({ clock: now }),
    identity: { mode: 'zero-trust', verifier: byProofKind({ envelope: envelopeProof(envelopes), session: sessionProof(sessions) }), clock: now, ...(options.store ? { trustScores: options.store } : {}) },
  });
  return { kernel, agent, credential: issued.token, sessions, clock };
}

function envelope(s: Setup, tool: string, args: Record<string, unknown>) {
  return { kind: 'envelope', envelope: signEnvelope(s.agent.privateKey, { tool, stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUD, credential: s.credential, iat: s.clock.now }) };
}

/** A session opened by one full verification, as the agent holds it. */
async function session(s: Setup): Promise<SessionClient> {
  const args = { open: true };
  const opened = await s.kernel.handle({ tool: 'crm.read', args, proof: envelope(s, 'crm.read', args) }, () => 'ok');
  expect(opened.kind).toBe('output');
  return new SessionClient(s.sessions.issue({ ok: true, subject: s.agent.did, proof: 'envelope', issuer: operator.did, credentialId: 'cred', ring: 2, roles: ['support'], tools: ['*'], trust: 600, expiresAt: s.clock.now + 24 * HOUR, delegationDigest: null }));
}

function macProof(client: SessionClient, tool: string, args: Record<string, unknown>) {
  return { kind: 'session', ...client.prove({ tool, stage: 'pre_tool', argsDigest: argsDigestOf(args) }) };
}

const reasonOf = (outcome: Outcome): string => (outcome.kind === 'refused' ? outcome.refusal.reason : `not refused: ${outcome.kind}`);

async function call(s: Setup, tool: string, args: Record<string, unknown> = { n: Math.random() }, run: () => unknown = () => 'ran'): Promise<Outcome> {
  return s.kernel.handle({ tool, args, proof: envelope(s, tool, args) }, run);
}

const scoreOf = (s: Setup, ceiling = 600): number => (s.kernel.trustScores as NonNullable<Kernel['trustScores']>).scoreOf(s.agent.did, ceiling, s.clock.now);

describe('verify: full', () => {
  it('refuses a session-MAC-proven call of the tool (identity:weak_proof) and lets the same call through with a signed envelope', async () => {
    const s = await setup();
    const client = await session(s);
    const args = { amount: 10 };
    const bySession = await s.kernel.handle({ tool: 'transfer_funds', args, proof: macProof(client, 'transfer_funds', args) }, () => 'sent');
    expect(reasonOf(bySession)).toBe('identity:weak_proof: this tool requires a full verification (signed envelope, JWT bearer or SPIFFE) and the call was proven by a session MAC');
    expect(bySession.decision.diagnostics.step).toBe('requirements');
    expect((await call(s, 'transfer_funds', args)).kind).toBe('output');
    // Other tools still take the session path.
    expect((await s.kernel.handle({ tool: 'crm.read', args, proof: macProof(client, 'crm.read', args) }, () => 'row')).kind).toBe('output');
  });

  it('refuses a look-alike of the guarded name the same way (the requirement is matched in canonical form)', async () => {
    const s = await setup();
    const client = await session(s);
    const args = {};
    const outcome = await s.kernel.handle({ tool: 'Transfer_Funds', args, proof: macProof(client, 'Transfer_Funds', args) }, () => 'sent');
    expect(reasonOf(outcome)).toMatch(/^(identity:weak_proof|runtime_error:invalid_request):/);
  });

  it('refuses a call without identity in a kernel that has none (the tool requires a proof nobody gave)', async () => {
    const kernel = new Kernel({ policy: PolicyEvaluator.fromYaml(POLICY), audit: false, agent: { id: 'self', trust: 1000 } });
    expect(reasonOf(await kernel.handle({ tool: 'transfer_funds', args: {} }, () => 1))).toMatch(/^identity:weak_proof: .*carries no verified proof$/);
    expect(reasonOf(await kernel.handle({ tool: 'db.read', args: {} }, () => 1))).toBe('trust:unverified: this tool requires a trust score of 550 and the call carries no verified identity to score');
  });
});

describe('min_trust and live trust scores', () => {
  it("denies below the tool's minimum with the score and the threshold in the reason, and moves no score for that denial", async () => {
    const s = await setup({ trust: 500 });
    const outcome = await call(s, 'db.read');
    expect(reasonOf(outcome)).toBe('trust:below_minimum: trust score 500 is below the 550 this tool requires');
    expect(outcome.decision.diagnostics.step).toBe('requirements');
    expect(scoreOf(s, 500)).toBe(500);
  });

  it('a policy denial drops the score by its weight; enough of them shut the agent out of a min_trust tool, and time lets it back in', async () => {
    const s = await setup({ trust: 600 });
    expect((await call(s, 'db.read')).kind).toBe('output');
    for (let i = 0; i < 5; i++) expect(reasonOf(await call(s, 'crm.delete'))).toMatch(/no-deletes/);
    expect(scoreOf(s)).toBe(600 + 5 * TRUST_WEIGHTS.denied); // 550: at the ceiling the allowed call gained nothing
    expect(reasonOf(await call(s, 'crm.delete'))).toMatch(/no-deletes/);
    expect(reasonOf(await call(s, 'db.read'))).toBe('trust:below_minimum: trust score 540 is below the 550 this tool requires');
    // One half-life later, half of the 60 lost is back: 570.
    s.clock.now += HOUR;
    expect(scoreOf(s)).toBe(570);
    expect((await call(s, 'db.read')).kind).toBe('output');
  });

  it('a policy condition on agent.trust reads the live score, not the credential', async () => {
    const s = await setup({ trust: 600 });
    expect((await call(s, 'crm.export')).kind).toBe('output');
    expect(reasonOf(await call(s, 'crm.delete'))).toMatch(/no-deletes/);
    const after = await call(s, 'crm.export');
    expect(after.kind).toBe('refused');
    expect(after.decision.reason).not.toMatch(/trust-export/);
    expect(after.kind === 'refused' && after.request.agent).toMatchObject({ trust: 590 });
  });

  it('a replayed envelope (its signature verified) drops its agent by the published weight; a forged one moves nothing', async () => {
    const s = await setup({ trust: 600 });
    const args = { id: 1 };
    const proof = envelope(s, 'crm.read', args);
    expect((await s.kernel.handle({ tool: 'crm.read', args, proof }, () => 1)).kind).toBe('output');
    expect(reasonOf(await s.kernel.handle({ tool: 'crm.read', args, proof }, () => 1))).toMatch(/^identity:replayed:/);
    expect(scoreOf(s)).toBe(600 + TRUST_WEIGHTS.replay);
    // A stranger's envelope naming the agent's DID but signed with another key: a signature failure, no score change.
    const forger = generateAgentKey();
    const forged = signEnvelope(forger.privateKey, { tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUD, credential: s.credential, iat: s.clock.now });
    const outcome = await s.kernel.handle({ tool: 'crm.read', args, proof: { kind: 'envelope', envelope: { ...forged, did: s.agent.did } } }, () => 1);
    expect(reasonOf(outcome)).toMatch(/^identity:signature:/);
    expect(scoreOf(s)).toBe(400);
  });

  it('a replayed session counter (its MAC verified) drops the session agent by the replay weight', async () => {
    const s = await setup({ trust: 600 });
    const client = await session(s);
    const args = { id: 2 };
    const proof = macProof(client, 'crm.read', args);
    expect((await s.kernel.handle({ tool: 'crm.read', args, proof }, () => 1)).kind).toBe('output');
    expect(reasonOf(await s.kernel.handle({ tool: 'crm.read', args, proof }, () => 1))).toMatch(/^identity:replayed:/);
    expect(scoreOf(s)).toBe(400);
  });

  it('a tool that throws costs the failed weight', async () => {
    const s = await setup({ trust: 600 });
    const outcome = await call(s, 'crm.read', { id: 3 }, () => {
      throw new Error('boom');
    });
    expect(outcome.kind).not.toBe('output');
    expect(scoreOf(s)).toBe(600 + TRUST_WEIGHTS.failed);
  });

  it('later guards report events by subject through kernel.trustEvent; a subject never verified here moves nothing', async () => {
    const s = await setup({ trust: 600 });
    expect((await call(s, 'crm.read')).kind).toBe('output');
    expect(s.kernel.trustEvent(s.agent.did, 'ring_breach')).toBe(500);
    expect(s.kernel.trustEvent(generateAgentKey().did, 'ring_breach')).toBeNull();
    expect(new Kernel({ policy: PolicyEvaluator.fromYaml(POLICY), audit: false }).trustEvent(s.agent.did, 'replay')).toBeNull();
  });

  it('self-asserted trust is still denied in zero-trust mode, even where the tool has a min_trust', async () => {
    const s = await setup({ trust: 500 });
    const args = {};
    const outcome = await s.kernel.handle({ tool: 'db.read', args, agent: { id: s.agent.did, trust: 1000 }, proof: envelope(s, 'db.read', args) }, () => 1);
    expect(reasonOf(outcome)).toMatch(/^identity:self_asserted:/);
  });

  it('scores persist in SQLite and are shared: a denial seen by one kernel lowers the score another kernel on the same file reads', async () => {
    const file = join(dir, 'shared.sqlite');
    const agent = generateAgentKey();
    const first = new SqliteTrustScoreStore(file);
    const second = new SqliteTrustScoreStore(file);
    const a = await setup({ trust: 600, store: first, agent });
    const b = await setup({ trust: 600, store: second, agent });
    for (let i = 0; i < 6; i++) expect(reasonOf(await call(a, 'crm.delete'))).toMatch(/no-deletes/);
    expect(reasonOf(await call(b, 'db.read'))).toBe('trust:below_minimum: trust score 540 is below the 550 this tool requires');
    first.close();
    second.close();
    // A restart forgets nothing that was lost.
    const reopened = new SqliteTrustScoreStore(file);
    expect(reopened.get(agent.did)).toMatchObject({ score: 540 });
    reopened.close();
  });
});
