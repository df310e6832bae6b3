// The kernel's identity step (issue 10): with a verifier configured, the request's agent is built
// only from what an action's proof verifies, so a condition reading agent.ring reads a fact an
// issuer signed. Real crypto throughout: credentials issued with an operator key, and bearer JWTs
// verified by the real JwtBearerVerifier against inline JWKS keys.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, type JWK } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { JsonlAuditSink } from '../../src/audit/jsonl-sink.js';
import { argsDigestOfJson } from '../../src/core/digest.js';
import { GovernanceConfigError, GovernanceDenied } from '../../src/core/errors.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { issueCredential, toVerifiedIdentity, verifyCredential } from '../../src/identity/credential.js';
import { isFailure } from '../../src/identity/did-key.js';
import { JwtBearerVerifier } from '../../src/identity/jwt-bearer.js';
import { bearerProof, byProofKind } from '../../src/identity/proof-kinds.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';
import type { ActionFacts, IdentityVerifier } from '../../src/identity/verifier.js';
import { govern } from '../../src/kernel/govern.js';
import { Kernel, type KernelOptions } from '../../src/kernel/kernel.js';
import type { Outcome } from '../../src/kernel/action.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

const START = Date.parse('2026-03-01T12:00:00Z');
let now = START;
const clock = (): number => now;

const operator = generateAgentKey();
const stranger = generateAgentKey();
const trusted = TrustedIssuers.of([operator.did]);
if (isFailure(trusted)) throw new Error('test setup: trusted issuers');

/** Issues a credential for a fresh agent key (real EdDSA signature by the operator's key). */
async function credential(grant: { ring: number; roles?: string[]; tools?: string[]; trust?: number; ttlSeconds?: number }, issuer: AgentKey = operator): Promise<{ token: string; did: string }> {
  const agent = generateAgentKey();
  const issued = await issueCredential(issuer, { subject: agent.did, ring: grant.ring, roles: grant.roles ?? ['support'], tools: grant.tools ?? ['crm.*'], trust: grant.trust ?? 600, ttlSeconds: grant.ttlSeconds ?? 3600 }, clock);
  if (isFailure(issued)) throw new Error(`test setup: ${issued.message}`);
  return { token: issued.token, did: agent.did };
}

/** A simple verifier for `{ kind: 'credential', token }`: the credential itself, really verified. */
function credentialVerifier(seen: ActionFacts[] = []): IdentityVerifier {
  return {
    verify(proof, facts) {
      seen.push(facts);
      const token = (proof as { token?: unknown }).token;
      const verified = verifyCredential(token, { trustedIssuers: trusted as TrustedIssuers, clock });
      return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'jwt');
    },
  };
}

const RING_POLICY = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: rings
default_action: deny
rules:
  - { name: inner-rings, condition: "agent.ring <= 1 && 'support' in agent.roles", action: allow }
  - { name: post, stage: post_tool, condition: "agent.ring <= 1", action: allow }
`);

function kernel(overrides: Partial<KernelOptions> = {}, verifier: IdentityVerifier = credentialVerifier()): Kernel {
  return new Kernel({ policy: RING_POLICY, audit: new AuditLog({ clock }), identity: { mode: 'zero-trust', verifier, clock }, ...overrides });
}

const run = (): { done: true } => ({ done: true });

function reasonOf(outcome: Outcome): string {
  return outcome.kind === 'refused' ? outcome.refusal.reason : `not refused: ${outcome.kind}`;
}

describe('identity step: verified facts reach conditions', () => {
  it('allows a ring-1 agent whose credential verifies, and the condition reads the credential', async () => {
    const cred = await credential({ ring: 1 });
    const k = kernel();
    const outcome = await k.handle({ tool: 'crm.read', args: { id: 7 }, proof: { kind: 'credential', token: cred.token } }, run);
    expect(outcome.kind).toBe('output');
    if (outcome.kind !== 'output') return;
    expect(outcome.decision.identity).toEqual({ subject: cred.did, proof: 'jwt', credentialId: expect.any(String), delegationDigest: null });
    const [entry] = k.audit?.entries() ?? [];
    expect(entry?.agent).toBe(cred.did);
  });

  it('denies a ring-2 agent: the condition sees the credential, not a claim', async () => {
    const cred = await credential({ ring: 2 });
    const outcome = await kernel().handle({ tool: 'crm.read', proof: { kind: 'credential', token: cred.token } }, run);
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.decision.diagnostics.step).toBe('policy');
  });

  it('hands the verifier the action facts, with the audit log argsDigest', async () => {
    const seen: ActionFacts[] = [];
    const cred = await credential({ ring: 1 });
    const k = kernel({}, credentialVerifier(seen));
    await k.handle({ tool: 'crm.read', args: { b: 2, a: 1 }, proof: { kind: 'credential', token: cred.token } }, run);
    expect(seen[0]).toEqual({ tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOfJson('{"a":1,"b":2}'), now: START });
    expect(k.audit?.entries()[0]?.argsDigest).toBe(seen[0]?.argsDigest);
  });

  it('builds the agent only from the verified identity, frozen', async () => {
    const cred = await credential({ ring: 1, roles: ['support'], tools: ['crm.*'], trust: 700 });
    const outcome = await kernel().handle({ tool: 'crm.read', proof: { kind: 'credential', token: cred.token } });
    expect(outcome.kind).toBe('run');
    if (outcome.kind !== 'run') return;
    expect(outcome.request.agent).toMatchObject({ id: cred.did, did: cred.did, ring: 1, roles: ['support'], trust: 700, tools: ['crm.*'], proof: 'jwt', delegation: null });
    expect(Object.isFrozen(outcome.request.agent)).toBe(true);
    expect(outcome.decision.inputIdentity).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('identity step: a self-asserted ring never reaches a condition (zero-trust)', () => {
  it('denies ring asserted in action.agent', async () => {
    const cred = await credential({ ring: 2 });
    const outcome = await kernel().handle({ tool: 'crm.read', agent: { id: cred.did, ring: 0 }, proof: { kind: 'credential', token: cred.token } }, run);
    expect(reasonOf(outcome)).toMatch(/^identity:self_asserted: /);
  });

  it('denies roles or trust asserted, and ring asserted without any proof', async () => {
    const cred = await credential({ ring: 2 });
    for (const agent of [{ id: cred.did, roles: ['admin'] }, { id: cred.did, trust: 1000 }]) {
      expect(reasonOf(await kernel().handle({ tool: 'crm.read', agent, proof: { kind: 'credential', token: cred.token } }, run))).toMatch(/^identity:self_asserted: /);
    }
    expect(reasonOf(await kernel().handle({ tool: 'crm.read', agent: { id: 'x', ring: 0 } }, run))).toMatch(/^identity:self_asserted: /);
  });

  it('denies ring asserted in the kernel default agent', async () => {
    const cred = await credential({ ring: 2 });
    const outcome = await kernel({ agent: { id: 'bot', ring: 0 } }).handle({ tool: 'crm.read', proof: { kind: 'credential', token: cred.token } }, run);
    expect(reasonOf(outcome)).toMatch(/^identity:self_asserted: /);
  });

  it('denies an asserted id or DID that is not the verified subject', async () => {
    const cred = await credential({ ring: 1 });
    expect(reasonOf(await kernel().handle({ tool: 'crm.read', agent: 'someone-else', proof: { kind: 'credential', token: cred.token } }, run))).toMatch(/^identity:self_asserted: /);
    expect(reasonOf(await kernel().handle({ tool: 'crm.read', agent: { id: cred.did, did: 'did:key:zOther' }, proof: { kind: 'credential', token: cred.token } }, run))).toMatch(/^identity:self_asserted: /);
    // The matching id is fine.
    expect((await kernel().handle({ tool: 'crm.read', agent: cred.did, proof: { kind: 'credential', token: cred.token } }, run)).kind).toBe('output');
  });

  it('ring 0 claimed in context or args does not reach agent.ring', async () => {
    const cred = await credential({ ring: 2 });
    const outcome = await kernel().handle({ tool: 'crm.read', args: { ring: 0, agent: { ring: 0 } }, context: { agent: { ring: 0 }, ring: 0 }, proof: { kind: 'credential', token: cred.token } }, run);
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.request.agent.ring).toBe(2);
  });
});

describe('identity step: missing and bad proofs are denials naming the kind', () => {
  it('denies an action with no proof', async () => {
    const tool = vi.fn(run);
    const outcome = await kernel().handle({ tool: 'crm.read' }, tool);
    expect(reasonOf(outcome)).toMatch(/^identity:missing: /);
    expect(outcome.kind === 'refused' && outcome.decision.diagnostics.step).toBe('identity');
    expect(tool).not.toHaveBeenCalled();
  });

  it('denies each failure kind of a real credential as identity:<kind>', async () => {
    const good = await credential({ ring: 1 });
    const foreign = await credential({ ring: 1 }, stranger);
    const [head, payload, signature] = good.token.split('.') as [string, string, string];
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ring: 0 })).toString('base64url')}.${signature}`;
    const cases: [unknown, string][] = [
      [{ kind: 'credential', token: foreign.token }, 'untrusted_issuer'],
      [{ kind: 'credential', token: forged }, 'signature'],
      [{ kind: 'credential', token: 'not.a.jwt' }, 'malformed'],
      [{ kind: 'credential', token: 'x'.repeat(20_000) }, 'too_large'],
      [{ kind: 'credential', token: 42 }, 'missing'],
    ];
    for (const [proof, kind] of cases) {
      const reason = reasonOf(await kernel().handle({ tool: 'crm.read', proof }, run));
      expect(reason.startsWith(`identity:${kind}: `), `${kind}: ${reason}`).toBe(true);
    }
  });

  it('denies an expired credential', async () => {
    const cred = await credential({ ring: 1, ttlSeconds: 60 });
    now = START + 10 * 60_000;
    try {
      expect(reasonOf(await kernel().handle({ tool: 'crm.read', proof: { kind: 'credential', token: cred.token } }, run))).toMatch(/^identity:expired: /);
    } finally {
      now = START;
    }
  });

  it('denies a proof that is not JSON data or is over the proof bound, before the verifier sees it', async () => {
    const verify = vi.fn();
    const k = kernel({}, { verify });
    expect(reasonOf(await k.handle({ tool: 'crm.read', proof: { kind: 'credential', token: 'x'.repeat(70_000) } }, run))).toMatch(/^identity:too_large: /);
    expect(reasonOf(await k.handle({ tool: 'crm.read', proof: { kind: 'credential', token: () => 1 } }, run))).toMatch(/^identity:malformed: proof\./);
    expect(verify).not.toHaveBeenCalled();
  });

  it('fails closed on a verifier that throws, rejects or answers nonsense, without echoing what it threw', async () => {
    const secret = 'sk-live-SECRET';
    const verifiers: IdentityVerifier[] = [
      { verify: () => { throw new Error(secret); } },
      { verify: () => Promise.reject(new Error(secret)) },
      { verify: () => ({ ok: true, subject: secret }) as never },
      { verify: () => null as never },
    ];
    for (const verifier of verifiers) {
      const outcome = await kernel({}, verifier).handle({ tool: 'crm.read', proof: { kind: 'x' } }, run);
      expect(reasonOf(outcome)).toMatch(/^runtime_error:guard: the identity verifier /);
      expect(reasonOf(outcome)).not.toContain(secret);
      expect(outcome.kind === 'refused' && outcome.decision.diagnostics.step).toBe('identity');
    }
  });

  it('denies a tool the credential does not grant', async () => {
    const cred = await credential({ ring: 0, tools: ['crm.*', 'search'] });
    const k = kernel();
    expect(reasonOf(await k.handle({ tool: 'payments.transfer', proof: { kind: 'credential', token: cred.token } }, run))).toMatch(/^identity:not_granted: /);
    expect((await k.handle({ tool: 'search', proof: { kind: 'credential', token: cred.token } }, run)).kind).toBe('output');
    expect((await k.handle({ tool: 'crm', proof: { kind: 'credential', token: cred.token } }, run)).kind).toBe('output'); // crm.* covers crm
    const entry = k.audit?.entries()[0];
    expect(entry?.identity?.subject).toBe(cred.did); // the denial records who asked
  });
});

describe('identity step: permissive mode', () => {
  const permissive = (verifier: IdentityVerifier = credentialVerifier()): Kernel => new Kernel({ policy: RING_POLICY, audit: new AuditLog(), identity: { mode: 'permissive', verifier, clock } });

  it('decides an action without a proof on its asserted agent, as without identity', async () => {
    const outcome = await permissive().handle({ tool: 'crm.read', agent: { id: 'bot', ring: 0, roles: ['support'] } }, run);
    expect(outcome.kind).toBe('output');
    expect(outcome.kind === 'output' && outcome.decision.identity).toBeUndefined();
  });

  it('verifies a proof when one is present: a bad proof is a denial, never ignored', async () => {
    const foreign = await credential({ ring: 0 }, stranger);
    expect(reasonOf(await permissive().handle({ tool: 'crm.read', proof: { kind: 'credential', token: foreign.token } }, run))).toMatch(/^identity:untrusted_issuer: /);
    const cred = await credential({ ring: 1 });
    const outcome = await permissive().handle({ tool: 'crm.read', proof: { kind: 'credential', token: cred.token } }, run);
    expect(outcome.kind === 'output' && outcome.decision.identity?.subject).toBe(cred.did);
  });

  it('is unchanged without identity options: asserted facts reach conditions', async () => {
    const k = new Kernel({ policy: RING_POLICY, audit: new AuditLog() });
    expect((await k.handle({ tool: 'crm.read', agent: { id: 'bot', ring: 0, roles: ['support'] }, proof: { kind: 'ignored' } }, run)).kind).toBe('output');
    expect(k.audit?.entries()[0]).not.toHaveProperty('identity');
  });

  it('refuses a bad identity configuration at construction', () => {
    expect(() => new Kernel({ policy: RING_POLICY, identity: { mode: 'trusting' as never, verifier: credentialVerifier() } })).toThrow(GovernanceConfigError);
    expect(() => new Kernel({ policy: RING_POLICY, identity: { mode: 'zero-trust', verifier: {} as never } })).toThrow(GovernanceConfigError);
  });
});

describe('identity step: output, approvals and decide', () => {
  it('decides the output with the verified agent of the call, without verifying again', async () => {
    const verify = vi.fn(credentialVerifier().verify);
    const k = kernel({}, { verify });
    const cred = await credential({ ring: 1 });
    const outcome = await k.handle({ tool: 'crm.read', proof: { kind: 'credential', token: cred.token } }, () => ({ rows: 1 }));
    expect(outcome.kind).toBe('output');
    expect(verify).toHaveBeenCalledTimes(1);
    const entries = k.audit?.entries() ?? [];
    expect(entries.map((e) => [e.stage, e.verdict, e.agent, e.identity?.subject])).toEqual([
      ['pre_tool', 'allow', cred.did, cred.did],
      ['post_tool', 'allow', cred.did, cred.did],
    ]);
  });

  it('decide() and decideAsync() take the proof as an option', async () => {
    const cred = await credential({ ring: 1 });
    const k = kernel();
    expect(k.decide({ tool_name: 'crm.read' }).reason).toMatch(/^identity:missing: /);
    expect(k.decide({ tool_name: 'crm.read' }, { proof: { kind: 'credential', token: cred.token } }).verdict).toBe('allow');
    expect((await k.decideAsync({ tool_name: 'crm.read', agent: { id: cred.did, ring: 0 } }, { proof: { kind: 'credential', token: cred.token } })).reason).toMatch(/^identity:self_asserted: /);
  });
});

describe('identity step: audit', () => {
  it('records the identity in hashed entries that verify, and never the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-identity-'));
    const path = join(dir, 'audit.jsonl');
    const audit = new AuditLog({ sink: new JsonlAuditSink(path) });
    const k = new Kernel({ policy: RING_POLICY, audit, identity: { mode: 'zero-trust', verifier: credentialVerifier(), clock } });
    const cred = await credential({ ring: 1 });
    const foreign = await credential({ ring: 0 }, stranger);
    await k.handle({ tool: 'crm.read', args: { id: 1 }, proof: { kind: 'credential', token: cred.token } }, run);
    await k.handle({ tool: 'crm.read', proof: { kind: 'credential', token: foreign.token } }, run);
    await k.handle({ tool: 'crm.read' }, run);
    audit.flush();
    expect(audit.verify()).toMatchObject({ ok: true, entries: 4 }); // pre_tool, post_tool, two denials
    const entries = audit.entries();
    expect(entries[0]?.identity).toEqual({ subject: cred.did, proof: 'jwt', credentialId: expect.any(String), delegationDigest: null });
    expect(entries[1]?.identity).toEqual(entries[0]?.identity);
    expect(entries[2]).not.toHaveProperty('identity');
    expect(entries[3]?.reason).toMatch(/^identity:missing: /);
    const stored = readFileSync(path, 'utf8');
    for (const token of [cred.token, foreign.token]) for (const part of token.split('.')) expect(stored).not.toContain(part);
    expect(stored).toContain('"identity":{"credentialId":');
    audit.close();
  });

  it('detects an edited identity', async () => {
    const audit = new AuditLog();
    const k = new Kernel({ policy: RING_POLICY, audit, identity: { mode: 'zero-trust', verifier: credentialVerifier(), clock } });
    await k.handle({ tool: 'crm.read', proof: { kind: 'credential', token: (await credential({ ring: 1 })).token } }, run);
    const entry = audit.entries()[0];
    const { hashedContent, entryHash } = await import('../../src/audit/entry.js');
    expect(entryHash(entry as object)).toBe(entry?.hash);
    const edited = { ...entry, identity: { ...entry?.identity, subject: 'did:key:zMallory' } };
    expect(entryHash(edited)).not.toBe(entry?.hash);
    expect(hashedContent(edited)).toContain('zMallory');
  });
});

describe('identity step: JWT bearer proofs with the real JwtBearerVerifier', () => {
  const ISSUER = 'https://login.example.com/tenant/v2.0';
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1', use: 'sig', alg: 'ES256' };
  const bearer = new JwtBearerVerifier({ keys: { keys: { keys: [jwk] }, clock }, issuer: ISSUER, audience: 'api://agt', clock, claims: { ring: 'ring', tools: 'tools', defaults: { ring: 3 } } });
  const verifier = byProofKind({ jwt: bearerProof(bearer) });
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> =>
    new SignJWT({ iss: ISSUER, aud: 'api://agt', sub: 'agent-7', roles: ['support'], ring: 1, tools: ['crm.*'], iat: now / 1000, exp: now / 1000 + 600, ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1', ...header }).sign(pair.privateKey);

  it('allows a token whose claims satisfy the condition', async () => {
    const k = kernel({}, verifier);
    const outcome = await k.handle({ tool: 'crm.read', proof: { kind: 'jwt', token: await sign({}) } }, run);
    expect(outcome.kind).toBe('output');
    expect(outcome.kind === 'output' && outcome.decision.identity).toEqual({ subject: 'agent-7', proof: 'jwt', credentialId: null, delegationDigest: null });
  });

  it('denies wrong audience, alg none, an unknown kind and a missing token with typed reasons', async () => {
    const k = kernel({}, verifier);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: ISSUER, aud: 'api://agt', sub: 'a', ring: 0 })).toString('base64url')}.`;
    expect(reasonOf(await k.handle({ tool: 'crm.read', proof: { kind: 'jwt', token: await sign({ aud: 'api://other' }) } }, run))).toMatch(/^identity:audience: /);
    expect(reasonOf(await k.handle({ tool: 'crm.read', proof: { kind: 'jwt', token: none } }, run))).toMatch(/^identity:algorithm: /);
    expect(reasonOf(await k.handle({ tool: 'crm.read', proof: { kind: 'envelope' } }, run))).toBe("identity:malformed: proofs of kind 'envelope' are not accepted here");
    expect(reasonOf(await k.handle({ tool: 'crm.read', proof: { kind: 'Robert"); DROP' } }, run))).toBe('identity:malformed: the proof kind is not one accepted here');
    expect(reasonOf(await k.handle({ tool: 'crm.read', proof: { kind: 'jwt' } }, run))).toMatch(/^identity:missing: /);
  });
});

describe('govern() passes a proof through', () => {
  it('takes a fixed proof or a maker of one per call', async () => {
    const cred = await credential({ ring: 1 });
    const fixed = govern(async (_: { id: number }) => 'ok', { name: 'crm.read', policy: RING_POLICY, audit: false, identity: { mode: 'zero-trust', verifier: credentialVerifier(), clock }, proof: { kind: 'credential', token: cred.token } });
    expect(await fixed({ id: 1 })).toBe('ok');
    const maker = vi.fn((args: unknown) => ({ kind: 'credential', token: cred.token, args }));
    const perCall = govern(async (_: { id: number }) => 'ok', { name: 'crm.read', policy: RING_POLICY, audit: false, identity: { mode: 'zero-trust', verifier: credentialVerifier(), clock }, proof: maker });
    expect(await perCall({ id: 2 })).toBe('ok');
    expect(maker).toHaveBeenCalledWith({ id: 2 }, 'crm.read');
    const none = govern(async () => 'ok', { name: 'crm.read', policy: RING_POLICY, audit: false, identity: { mode: 'zero-trust', verifier: credentialVerifier(), clock } });
    await expect(none()).rejects.toThrow(GovernanceDenied);
    const failing = govern(async () => 'ok', { name: 'crm.read', policy: RING_POLICY, audit: false, identity: { mode: 'zero-trust', verifier: credentialVerifier(), clock }, proof: () => { throw new Error('no key'); } });
    await expect(failing()).rejects.toThrow(/identity:missing/);
  });
});
