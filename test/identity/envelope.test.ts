import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { digest } from '../../src/audit/entry.js';
import { argsDigestOf, type ProvenAction } from '../../src/identity/action-binding.js';
import { didKeyOf } from '../../src/identity/did-key.js';
import { EnvelopeVerifier, type CredentialVerifier } from '../../src/identity/envelope.js';
import { envelopeSigningInput, type SignedEnvelope } from '../../src/identity/envelope-fields.js';
import { freshNonce, signEnvelope } from '../../src/identity/envelope-sign.js';
import type { IdentityFailure } from '../../src/identity/failure.js';
import type { VerifiedIdentity } from '../../src/identity/verified.js';
import { MemoryReplayCache } from '../../src/state/replay-cache.js';

const T0 = 1_800_000_000_000;
const AUD = 'agt://payments-prod';
const ARGS = { account: 'acct-7', amount: 125 };
const ACTION: ProvenAction = { tool: 'transfer_funds', stage: 'pre_tool', argsDigest: argsDigestOf(ARGS) };
const CREDENTIAL = 'credential-token-for-tests';

function agent(): { privateKey: KeyObject; did: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, did: didKeyOf(publicKey) };
}

/** A fake credential check: vouches for `did`s it was told about, with fixed facts. The envelope's own crypto stays real. */
function fakeCredentials(...dids: string[]): CredentialVerifier {
  return (credential, did) => {
    if (credential !== CREDENTIAL || !dids.includes(did)) return { ok: false, kind: 'untrusted_issuer', message: 'no credential for this DID' };
    return { ok: true, subject: did, proof: 'jwt', issuer: 'did:key:issuer', credentialId: 'cred-1', ring: 2, roles: ['payments'], tools: ['transfer_funds'], trust: 600, expiresAt: T0 + 3_600_000, delegationDigest: null };
  };
}

function setup(options: { capacity?: number; dids?: string[] } = {}) {
  const me = agent();
  let now = T0;
  const cache = new MemoryReplayCache({ capacity: options.capacity ?? 1_000 });
  const verifier = new EnvelopeVerifier({ audience: AUD, credentials: fakeCredentials(me.did, ...(options.dids ?? [])), replayCache: cache, clock: () => now });
  const signed = (overrides: { iat?: number; nonce?: string; aud?: string } = {}, action: ProvenAction = ACTION) =>
    signEnvelope(me.privateKey, action, { aud: overrides.aud ?? AUD, credential: CREDENTIAL, iat: overrides.iat ?? now, ...(overrides.nonce ? { nonce: overrides.nonce } : {}) });
  return { me, verifier, cache, signed, at: (t: number) => (now = t) };
}

function failure(result: VerifiedIdentity | IdentityFailure): IdentityFailure {
  expect(result.ok).toBe(false);
  return result as IdentityFailure;
}

/** Re-signs arbitrary fields with `key`: a well-formed envelope whose only fault is what the test put in it. */
function resign(key: KeyObject, fields: Omit<SignedEnvelope, 'sig' | 'credential'>): SignedEnvelope {
  return { ...fields, sig: sign(null, Buffer.from(envelopeSigningInput(fields)), key).toString('base64url'), credential: CREDENTIAL };
}

describe('signed envelope: a valid one is accepted', () => {
  it('proves the credential\'s identity for exactly the action it was signed for', () => {
    const { me, verifier, signed } = setup();
    const result = verifier.verify(signed(), ACTION);
    expect(result).toMatchObject({ ok: true, subject: me.did, proof: 'envelope', ring: 2, roles: ['payments'], trust: 600, credentialId: 'cred-1' });
  });

  it('signs the RFC 8785 canonical JSON of the seven fields, and argsDigest is the audit log\'s digest of the arguments', () => {
    const { signed } = setup();
    const envelope = signed();
    const { tool, stage, argsDigest, did, nonce, iat, aud } = envelope;
    expect(envelopeSigningInput(envelope)).toBe(canonicalJson({ tool, stage, argsDigest, did, nonce, iat, aud }));
    const hostile = { tool: 'a"\\\u0001\u2028é😀', stage: 's', argsDigest, did, nonce, iat, aud: '\ud800' };
    expect(envelopeSigningInput(hostile)).toBe(canonicalJson(hostile));
    expect(ACTION.argsDigest).toBe(digest(ARGS));
    expect(argsDigestOf(undefined)).toBe(digest({}));
    expect(argsDigestOf({ b: 1, a: [1, 'x'] })).toBe(argsDigestOf({ a: [1, 'x'], b: 1 }));
  });

  it('uses a fresh nonce of at least 128 bits per envelope', () => {
    const { signed } = setup();
    const a = signed();
    const b = signed();
    expect(a.nonce).not.toBe(b.nonce);
    expect(Buffer.from(a.nonce, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('accepts an envelope up to the freshness window plus skew old, and up to the skew in the future', () => {
    const { verifier, signed, at } = setup();
    const oldest = signed({ iat: T0 });
    at(T0 + 65_000);
    expect(verifier.verify(oldest, ACTION).ok).toBe(true);
    expect(verifier.verify(signed({ iat: T0 + 70_000 }), ACTION).ok).toBe(true);
  });
});

describe('signed envelope: every hostile case is refused with a typed reason, never a throw', () => {
  it('a wrong signature (signed by another key, or bytes flipped)', () => {
    const { verifier, signed } = setup();
    const other = agent();
    const envelope = signed();
    const forged = resign(other.privateKey, { ...envelope });
    expect(failure(verifier.verify(forged, ACTION)).kind).toBe('signature');
    const flipped = { ...envelope, sig: (envelope.sig[0] === 'A' ? 'B' : 'A') + envelope.sig.slice(1) };
    expect(failure(verifier.verify(flipped, ACTION)).kind).toBe('signature');
  });

  it('a wrong DID key: signed by one agent, claiming another (vouched-for) agent\'s DID', () => {
    const victim = agent();
    const { verifier, me } = setup({ dids: [victim.did] });
    const claim = resign(me.privateKey, { ...ACTION, did: victim.did, nonce: 'A'.repeat(22), iat: T0, aud: AUD });
    const result = failure(verifier.verify(claim, ACTION));
    expect(result.kind).toBe('signature');
  });

  it('each signed field tampered after signing', () => {
    const { verifier, signed, me } = setup();
    const other = agent();
    const tampered: Array<[keyof SignedEnvelope, unknown, string]> = [
      ['tool', 'drop_tables', 'signature'],
      ['stage', 'post_tool', 'signature'],
      ['argsDigest', argsDigestOf({ account: 'acct-7', amount: 1_000_000 }), 'signature'],
      ['did', other.did, 'signature'],
      ['nonce', 'B'.repeat(22), 'signature'],
      ['iat', T0 + 1, 'signature'],
      ['aud', 'agt://elsewhere', 'audience'],
    ];
    for (const [field, value, kind] of tampered) {
      const envelope = { ...signed(), [field]: value };
      // Verified against the action the tampered envelope now names, so only the signature can catch it.
      const action = { tool: envelope.tool, stage: envelope.stage, argsDigest: envelope.argsDigest };
      const verifierFor = field === 'did' ? new EnvelopeVerifier({ audience: AUD, credentials: fakeCredentials(me.did, other.did), replayCache: new MemoryReplayCache(), clock: () => T0 }) : verifier;
      expect({ field, kind: failure(verifierFor.verify(envelope, action)).kind }).toEqual({ field, kind });
    }
  });

  it('an envelope used for another action than it was signed for (tool, stage or arguments)', () => {
    const { verifier, signed } = setup();
    expect(failure(verifier.verify(signed(), { ...ACTION, tool: 'other_tool' })).kind).toBe('signature');
    expect(failure(verifier.verify(signed(), { ...ACTION, stage: 'post_tool' })).kind).toBe('signature');
    expect(failure(verifier.verify(signed(), { ...ACTION, argsDigest: argsDigestOf({ amount: 9e9 }) })).kind).toBe('signature');
  });

  it('a wrong audience', () => {
    const { verifier, signed } = setup();
    expect(failure(verifier.verify(signed({ aud: 'agt://staging' }), ACTION))).toMatchObject({ kind: 'audience' });
  });

  it('a stale envelope (older than window + skew) and one from the future beyond the skew', () => {
    const { verifier, signed, at } = setup();
    const old = signed({ iat: T0 });
    at(T0 + 65_001);
    expect(failure(verifier.verify(old, ACTION)).kind).toBe('expired');
    expect(failure(verifier.verify(signed({ iat: T0 + 65_001 + 5_001 }), ACTION)).kind).toBe('not_yet_valid');
  });

  it('a replayed nonce, even after the first use and with a fresh signature by the same agent', () => {
    const { verifier, signed } = setup();
    const envelope = signed();
    expect(verifier.verify(envelope, ACTION).ok).toBe(true);
    expect(failure(verifier.verify(envelope, ACTION)).kind).toBe('replayed');
    expect(failure(verifier.verify(signed({ nonce: envelope.nonce }), ACTION)).kind).toBe('replayed');
  });

  it('a full replay cache fails closed (replay_cache_full), and forged envelopes never fill it', () => {
    const { verifier, signed, cache } = setup({ capacity: 2 });
    const stranger = agent();
    for (let i = 0; i < 10; i++) verifier.verify(resign(stranger.privateKey, { ...ACTION, did: stranger.did, nonce: `${i}`.padEnd(22, 'x'), iat: T0, aud: AUD }), ACTION);
    expect(cache.size).toBe(0); // no credential vouches for the stranger: nothing remembered
    expect(verifier.verify(signed(), ACTION).ok).toBe(true);
    expect(verifier.verify(signed(), ACTION).ok).toBe(true);
    expect(failure(verifier.verify(signed(), ACTION)).kind).toBe('replay_cache_full');
  });

  it('a nonce shorter than 128 bits, or not base64url', () => {
    const { verifier, me } = setup();
    for (const nonce of ['A'.repeat(21), 'short', 'A'.repeat(21) + '=', 'A'.repeat(21) + '+', '']) {
      expect(failure(verifier.verify(resign(me.privateKey, { ...ACTION, did: me.did, nonce, iat: T0, aud: AUD }), ACTION)).kind).toBe('malformed');
    }
  });

  it('a huge envelope: oversized fields, extra fields, thousands of keys', () => {
    const { verifier, signed } = setup();
    const big = 'x'.repeat(1_000_000);
    expect(failure(verifier.verify({ ...signed(), tool: big }, ACTION)).kind).toBe('too_large');
    expect(failure(verifier.verify({ ...signed(), aud: big }, ACTION)).kind).toBe('too_large');
    expect(failure(verifier.verify({ ...signed(), did: big }, ACTION)).kind).toBe('too_large');
    expect(failure(verifier.verify({ ...signed(), nonce: big }, ACTION)).kind).toBe('too_large');
    expect(failure(verifier.verify({ ...signed(), extra: 1 }, ACTION)).kind).toBe('malformed');
    const many: Record<string, unknown> = { ...signed() };
    for (let i = 0; i < 100_000; i++) many[`k${i}`] = i;
    expect(failure(verifier.verify(many, ACTION)).kind).toBe('malformed');
  });

  it('non-string (or non-integer) fields, missing envelopes and non-objects', () => {
    const { verifier, signed } = setup();
    const envelope = signed();
    for (const field of ['tool', 'stage', 'argsDigest', 'did', 'nonce', 'aud', 'sig'] as const) {
      for (const value of [42, null, undefined, {}, ['x'], true]) {
        expect(failure(verifier.verify({ ...envelope, [field]: value }, ACTION)).kind).toBe('malformed');
      }
    }
    for (const iat of [String(T0), T0 + 0.5, -1, Number.NaN, Number.POSITIVE_INFINITY, null, 2 ** 60]) {
      expect(failure(verifier.verify({ ...envelope, iat }, ACTION)).kind).toBe('malformed');
    }
    expect(failure(verifier.verify(undefined, ACTION)).kind).toBe('missing');
    expect(failure(verifier.verify({ ...envelope, credential: undefined }, ACTION)).kind).toBe('missing');
    for (const value of ['{"tool":"x"}', 42, [envelope], true]) expect(failure(verifier.verify(value, ACTION)).kind).toBe('malformed');
    expect(failure(verifier.verify({ ...envelope, did: 'did:key:zNotBase58!!' }, ACTION)).kind).toBe('malformed');
    expect(failure(verifier.verify({ ...envelope, argsDigest: envelope.argsDigest.toUpperCase() }, ACTION)).kind).toBe('malformed');
  });

  it('an envelope whose properties throw when read is refused, not a crash', () => {
    const { verifier, signed } = setup();
    const hostile = { ...signed() };
    Object.defineProperty(hostile, 'tool', { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(failure(verifier.verify(hostile, ACTION)).kind).toBe('malformed');
  });

  it('a credential that does not vouch, or vouches for someone else, is a denial', () => {
    const { me, signed } = setup();
    const cache = new MemoryReplayCache();
    const refusing = new EnvelopeVerifier({ audience: AUD, credentials: () => ({ ok: false, kind: 'expired', message: 'the credential has expired' }), replayCache: cache, clock: () => T0 });
    expect(failure(refusing.verify(signed(), ACTION)).kind).toBe('expired');
    const wrongSubject: CredentialVerifier = (credential, did, now) => ({ ...(fakeCredentials(me.did)(credential, did, now) as VerifiedIdentity), subject: 'did:key:someone-else' });
    const confused = new EnvelopeVerifier({ audience: AUD, credentials: wrongSubject, replayCache: cache, clock: () => T0 });
    expect(failure(confused.verify(signed(), ACTION)).kind).toBe('untrusted_issuer');
    expect(cache.size).toBe(0);
  });

  it('never puts a key, signature, nonce, credential or request value in a message', () => {
    const { verifier, signed, at } = setup({ capacity: 1 });
    const secretish = 'SECRET-VALUE-1234567890';
    const envelope = signed();
    const results = [
      verifier.verify({ ...envelope, tool: secretish }, ACTION),
      verifier.verify({ ...envelope, aud: secretish }, ACTION),
      verifier.verify({ ...envelope, nonce: secretish }, ACTION),
      verifier.verify({ ...envelope, sig: secretish }, ACTION),
      verifier.verify({ ...envelope, credential: secretish }, ACTION),
      verifier.verify({ ...envelope, [secretish]: 1 }, ACTION),
      verifier.verify(envelope, { ...ACTION, tool: secretish }),
      (expect(verifier.verify(envelope, ACTION).ok).toBe(true), verifier.verify(envelope, ACTION)),
      verifier.verify(signed(), ACTION),
      (at(T0 + 1e6), verifier.verify(envelope, ACTION)),
    ];
    expect(results.map((r) => (r as IdentityFailure).kind)).toEqual(['signature', 'audience', 'signature', 'malformed', 'untrusted_issuer', 'malformed', 'signature', 'replayed', 'replay_cache_full', 'expired']);
    for (const result of results) {
      const { message } = failure(result);
      for (const leak of [secretish, envelope.sig, envelope.nonce, envelope.did, CREDENTIAL, ACTION.argsDigest, 'transfer_funds']) expect(message).not.toContain(leak);
    }
  });
});

describe('freshNonce: 128 random bits per envelope, never handed out twice', () => {
  it('gives 22 base64url characters (16 bytes), distinct across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) seen.add(freshNonce()); // ~20 refills of the pool
    expect(seen.size).toBe(5_000);
    for (const nonce of [...seen].slice(0, 50)) {
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(nonce, 'base64url')).toHaveLength(16);
    }
  });
});
