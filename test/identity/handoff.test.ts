import { sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { digest } from '../../src/core/digest.js';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import type { IdentityFailure } from '../../src/identity/failure.js';
import { handoffSigningInput, HANDOFF_TYP, type SealedHandoff } from '../../src/identity/handoff-fields.js';
import { HandoffOpener, openHandoff, type OpenedHandoff } from '../../src/identity/handoff-open.js';
import { sealHandoff } from '../../src/identity/handoff-seal.js';
import { MemoryReplayCache } from '../../src/state/replay-cache.js';
import { handoffWorld, type HandoffWorld } from './handoff-fixtures.js';

let world: HandoffWorld;
beforeAll(async () => {
  world = await handoffWorld();
});

const PAYLOAD = { invoice: 'inv-42', amount: 125 };

function sealed(overrides: { task?: string; to?: string; payload?: Record<string, unknown>; chain?: readonly string[]; ttlMs?: number; key?: HandoffWorld['sender'] } = {}): SealedHandoff {
  return sealHandoff(overrides.key ?? world.sender, { to: overrides.to ?? world.receiver.did, task: overrides.task ?? 'billing.refund', payload: overrides.payload ?? PAYLOAD }, {
    chain: overrides.chain ?? [world.senderCredential], clock: () => world.clock.now, ...(overrides.ttlMs ? { ttlMs: overrides.ttlMs } : {}),
  });
}

function refused(result: OpenedHandoff | IdentityFailure): IdentityFailure {
  expect(result.ok).toBe(false);
  return result as IdentityFailure;
}

/** Re-signs the fields of `seal` after `change`: a well-formed seal whose only fault is what the test put in it. */
function resealed(seal: SealedHandoff, change: Partial<SealedHandoff>, key = world.sender.privateKey): SealedHandoff {
  const next = { ...seal, ...change };
  return { ...next, sig: sign(null, Buffer.from(handoffSigningInput(next)), key).toString('base64url') };
}

describe('a sealed hand-off opens for its receiver', () => {
  it('gives the verified sender (its credential\'s facts, proof handoff), the task and the receiver\'s own copy of the payload', () => {
    const seal = sealed();
    const opened = openHandoff(seal, world.options());
    expect(opened).toMatchObject({ ok: true, task: 'billing.refund', payload: PAYLOAD, trust: 700, payloadDigest: argsDigestOf(PAYLOAD) });
    const { sender } = opened as OpenedHandoff;
    expect(sender).toMatchObject({ subject: world.sender.did, proof: 'handoff', issuer: world.root.did, ring: 2, roles: ['billing'], delegationDigest: null });
    expect(sender.credentialId).toMatch(/\S/);
    expect(sender.expiresAt).toBe(seal.exp);
    expect(Object.isFrozen((opened as OpenedHandoff).payload)).toBe(true);
  });

  it('opens from its JSON text as well (hand-offs travel as text between agents)', () => {
    expect(openHandoff(JSON.stringify(sealed()), world.options()).ok).toBe(true);
  });

  it('signs the RFC 8785 canonical JSON of the fields with a type marker; the payload digest is the audit log\'s digest; the nonce carries >= 128 bits', () => {
    const seal = sealed();
    const { sig: _sig, chain: _chain, payload: _payload, ...fields } = seal;
    expect(handoffSigningInput(seal)).toBe(canonicalJson({ ...fields, typ: HANDOFF_TYP }));
    expect(seal.payloadDigest).toBe(digest(PAYLOAD));
    expect(Buffer.from(seal.nonce, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(seal.exp - seal.iat).toBe(60_000);
    expect(sealed().nonce).not.toBe(seal.nonce);
  });

  it('opens a delegated sender\'s hand-off when the delegation covers the task, with the chain\'s digest', () => {
    const seal = sealed({ key: world.delegateKey, chain: world.delegatedChain, task: 'billing.read' });
    const opened = openHandoff(seal, world.options());
    expect(opened.ok).toBe(true);
    expect((opened as OpenedHandoff).sender.delegationDigest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the trust gate refuses, with a typed reason', () => {
  it('a replayed hand-off: identity:replayed (the same seal twice, even as text)', () => {
    const options = world.options();
    const seal = sealed();
    expect(openHandoff(seal, options).ok).toBe(true);
    expect(refused(openHandoff(seal, options)).kind).toBe('replayed');
    expect(refused(openHandoff(JSON.stringify(seal), options)).kind).toBe('replayed');
  });

  it('a hand-off addressed to another agent: identity:audience, and it does not burn the nonce for its real receiver', () => {
    const seal = sealed({ to: world.other.did });
    expect(refused(openHandoff(seal, world.options())).kind).toBe('audience');
    const cache = new MemoryReplayCache();
    expect(refused(openHandoff(seal, world.options({ replayCache: cache }))).kind).toBe('audience');
    expect(cache.size).toBe(0);
    expect(openHandoff(seal, world.options({ receiver: world.other.did })).ok).toBe(true);
  });

  it('tampering after sealing: payload, task or addressee changed is identity:signature or identity:audience', () => {
    const seal = sealed();
    expect(refused(openHandoff({ ...seal, payload: { ...PAYLOAD, amount: 125_000 } }, world.options())).kind).toBe('signature');
    expect(refused(openHandoff({ ...seal, task: 'billing.wire' }, world.options())).kind).toBe('signature');
    expect(refused(openHandoff({ ...seal, payloadDigest: digest({ amount: 1 }) }, world.options())).kind).toBe('signature');
    // Re-addressed to the receiver after being sealed for another agent: the signature no longer holds.
    const forOther = sealed({ to: world.other.did });
    expect(refused(openHandoff({ ...forOther, to: world.receiver.did }, world.options())).kind).toBe('signature');
    // A seal "from" another agent with the sender's signature: the key of the DID named does not verify it.
    expect(refused(openHandoff({ ...seal, from: world.other.did }, world.options())).kind).toBe('signature');
  });

  it('expired (past exp beyond the skew) and not yet valid (dated beyond the skew): identity:expired / identity:not_yet_valid', () => {
    const seal = sealed();
    const later = world.options({ clock: () => seal.exp + 5_001 });
    expect(refused(openHandoff(seal, later)).kind).toBe('expired');
    expect(openHandoff(seal, world.options({ clock: () => seal.exp + 4_999 })).ok).toBe(true);
    const future = resealed(seal, { iat: seal.iat + 10_000, exp: seal.iat + 20_000 });
    expect(refused(openHandoff(future, world.options())).kind).toBe('not_yet_valid');
    const withinSkew = resealed(seal, { iat: seal.iat + 4_000, exp: seal.iat + 20_000, nonce: 'n'.repeat(22) });
    expect(openHandoff(withinSkew, world.options()).ok).toBe(true);
  });

  it('a seal that asks to live longer than the receiver accepts is refused (its nonce would have to be kept as long)', () => {
    const long = sealed({ ttlMs: 3_600_000 });
    const failure = refused(openHandoff(long, world.options()));
    expect(failure.kind).toBe('malformed');
    expect(failure.message).toContain('60000 ms');
  });

  it('a delegated sender whose chain does not cover the task: identity:not_granted, naming the delegation', () => {
    const seal = sealed({ key: world.delegateKey, chain: world.delegatedChain, task: 'billing.refund' });
    const failure = refused(openHandoff(seal, world.options()));
    expect(failure.kind).toBe('not_granted');
    expect(failure.message).toContain('delegation');
    expect(refused(openHandoff(sealed({ task: 'admin.drop' }), world.options())).kind).toBe('not_granted');
  });

  it('a chain that is not the sender\'s, or a sender with no trusted credential', async () => {
    // The delegate presents the sender's own credential: it vouches for another agent.
    expect(refused(openHandoff(sealed({ key: world.delegateKey, chain: [world.senderCredential] }), world.options())).kind).toBe('untrusted_issuer');
    expect(refused(openHandoff(sealed({ chain: ['not.a.token'] }), world.options())).kind).toBe('malformed');
    const strangers = (await import('../../src/identity/trusted-issuers.js')).TrustedIssuers.of([world.other.did]);
    expect(refused(openHandoff(sealed(), world.options({ trustedIssuers: strangers as never }))).kind).toBe('untrusted_issuer');
  });

  it('a revoked sender, credential or delegate: identity:revoked, on the very next hand-off', async () => {
    const { RevocationList } = await import('../../src/identity/revocation.js');
    const revocations = new RevocationList();
    const options = world.options({ revocations });
    expect(openHandoff(sealed(), options).ok).toBe(true);
    revocations.revoke(world.sender.did);
    expect(refused(openHandoff(sealed(), options)).kind).toBe('revoked');
    // The delegate's chain starts with the revoked sender's credential: refused too.
    expect(refused(openHandoff(sealed({ key: world.delegateKey, chain: world.delegatedChain, task: 'billing.read' }), options)).kind).toBe('revoked');
  });

  it('an under-trusted sender: identity:insufficient_trust with the score and the threshold; a live score below the gate refuses too', async () => {
    const { issueCredential } = await import('../../src/identity/credential.js');
    const low = await issueCredential(world.root, { subject: world.other.did, ring: 2, roles: [], tools: ['billing.*'], trust: 300, ttlSeconds: 600 }, () => world.clock.now);
    const seal = sealed({ key: world.other, chain: [(low as { token: string }).token] });
    const failure = refused(openHandoff(seal, world.options()));
    expect(failure).toMatchObject({ kind: 'insufficient_trust', message: "the sender's trust 300 is below this gate's threshold 500" });
    const asked: [string, number][] = [];
    const live = world.options({ trustOf: (subject, ceiling) => (asked.push([subject, ceiling]), 420) });
    expect(refused(openHandoff(sealed(), live)).message).toContain('trust 420');
    expect(asked).toEqual([[world.sender.did, 700]]);
    expect(refused(openHandoff(sealed(), world.options({ trustOf: () => { throw new Error('store down'); } }))).kind).toBe('unavailable');
    expect(refused(openHandoff(sealed(), world.options({ trustOf: () => Number.NaN }))).kind).toBe('unavailable');
  });

  it('a full replay cache fails closed (identity:replay_cache_full) and forged seals never fill it', () => {
    const cache = new MemoryReplayCache({ capacity: 1 });
    const options = world.options({ replayCache: cache });
    for (let i = 0; i < 5; i++) expect(refused(openHandoff({ ...sealed(), payload: { forged: i } }, options)).kind).toBe('signature');
    expect(cache.size).toBe(0);
    expect(openHandoff(sealed(), options).ok).toBe(true);
    expect(refused(openHandoff(sealed(), options)).kind).toBe('replay_cache_full');
  });

  it('a replay cache that throws is identity:unavailable, never an open', () => {
    const broken = { size: 0, checkAndRemember: () => { throw new Error('disk gone'); } };
    expect(refused(openHandoff(sealed(), world.options({ replayCache: broken }))).kind).toBe('unavailable');
  });
});

describe('hostile input is refused before any crypto, never thrown', () => {
  it('oversized text is refused before parsing; an oversized object before it is copied whole', () => {
    const huge = JSON.stringify({ ...sealed(), payload: { blob: 'x'.repeat(300 * 1024) } });
    const failure = refused(openHandoff(huge, world.options()));
    expect(failure.kind).toBe('too_large');
    expect(refused(openHandoff(JSON.parse(huge), world.options())).kind).toBe('too_large');
    expect(refused(openHandoff('x'.repeat(10_000_000), world.options())).kind).toBe('too_large');
  });

  it('deeply nested payloads (text or object) are refused by depth, and the message carries no value', () => {
    let deep: unknown = 'secret-value';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const seal = { ...sealed(), payload: { deep } };
    const failure = refused(openHandoff(seal, world.options()));
    expect(failure.kind).toBe('malformed');
    expect(failure.message).not.toContain('secret-value');
    expect(refused(openHandoff(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, world.options())).kind).not.toBe(undefined);
  });

  it('missing, wrong types, unknown fields, short nonces, non-object payloads, prototype keys and hostile getters', () => {
    const seal = sealed();
    const options = world.options();
    const cases: unknown[] = [
      undefined, null, '', 42, [], 'not json', '{"a":', { ...seal, extra: 1 }, { ...seal, nonce: 'short' }, { ...seal, payload: [1] },
      { ...seal, iat: 1.5 }, { ...seal, sig: 'x' }, { ...seal, chain: [] }, { ...seal, chain: [1] }, { ...seal, from: 'did:web:evil' },
      { ...seal, to: 'x'.repeat(100) }, { ...seal, task: '' }, JSON.parse(`{"__proto__":{"polluted":true},"from":"x"}`),
      { ...seal, get payload() { throw new Error('boom'); } }, new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }),
    ];
    for (const hostile of cases) {
      const result = openHandoff(hostile, options);
      expect(result.ok).toBe(false);
      expect((result as IdentityFailure).message).not.toContain('boom');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('messages never carry the payload, the nonce, the signature or a token', () => {
    const seal = sealed({ payload: { card: '4111-1111-1111-1111' } });
    const texts = [
      openHandoff({ ...seal, payload: { card: '4111-1111-1111-1112' } }, world.options()),
      openHandoff({ ...seal, to: world.other.did }, world.options()),
      openHandoff(seal, world.options({ minTrust: 900 })),
    ].map((r) => JSON.stringify(r));
    for (const text of texts) for (const secret of ['4111', seal.nonce, seal.sig, world.senderCredential]) expect(text).not.toContain(secret);
  });
});

describe('configuration', () => {
  it('an opener without a receiver DID, trusted issuers or a replay cache throws a TypeError naming the fix', () => {
    expect(() => new HandoffOpener({ ...world.options(), receiver: 'bob' })).toThrow(/receiver must be the receiving agent's did:key/);
    expect(() => new HandoffOpener({ ...world.options(), replayCache: undefined as never })).toThrow(/replayCache/);
    expect(() => new HandoffOpener({ ...world.options(), minTrust: 5000 })).toThrow(/minTrust/);
  });

  it('sealing with something other than an Ed25519 private key is a TypeError', () => {
    expect(() => sealHandoff(world.sender.publicKey, { to: world.receiver.did, task: 't' }, { chain: world.senderCredential })).toThrow(TypeError);
  });
});
