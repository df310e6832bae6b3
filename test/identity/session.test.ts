import { createSecretKey } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { argsDigestOf, type ProvenAction } from '../../src/identity/action-binding.js';
import { constantTimeEqual } from '../../src/identity/constant-time.js';
import type { IdentityFailure } from '../../src/identity/failure.js';
import { ReplayWindow } from '../../src/identity/replay-window.js';
import { SessionMacVerifier, type SessionProof } from '../../src/identity/session.js';
import { SessionClient, sessionMac } from '../../src/identity/session-client.js';
import { sessionMacInput, sessionMacInputWith, sessionMacParts } from '../../src/identity/session-mac-input.js';
import type { VerifiedIdentity } from '../../src/identity/verified.js';

const T0 = 1_800_000_000_000;
const AUD = 'agt://payments-prod';
const ACTION: ProvenAction = { tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf({ id: 7 }) };
const DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const IDENTITY: VerifiedIdentity = { ok: true, subject: DID, proof: 'envelope', issuer: 'did:key:issuer', credentialId: 'cred-1', ring: 2, roles: ['support'], tools: ['crm.*'], trust: 600, expiresAt: T0 + 3_600_000, delegationDigest: null };

function setup(options: { maxSessions?: number; windowSize?: number; identity?: VerifiedIdentity } = {}) {
  let now = T0;
  const verifier = new SessionMacVerifier({ audience: AUD, clock: () => now, maxSessions: options.maxSessions, windowSize: options.windowSize });
  const session = verifier.issue(options.identity ?? IDENTITY);
  return { verifier, session, client: new SessionClient(session), at: (t: number) => (now = t) };
}

function failure(result: VerifiedIdentity | IdentityFailure): IdentityFailure {
  expect(result.ok).toBe(false);
  return result as IdentityFailure;
}

describe('session MAC: issued after a full verification, accepted per action', () => {
  it('issues a session bound to the DID and credential, default 5 minutes, with a 32-byte secret', () => {
    const { session } = setup();
    expect(session).toMatchObject({ did: DID, credentialId: 'cred-1', expiresAt: T0 + 300_000, aud: AUD });
    expect(Buffer.from(session.secret, 'base64url')).toHaveLength(32);
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('never outlives the credential', () => {
    const { session } = setup({ identity: { ...IDENTITY, expiresAt: T0 + 60_000 } });
    expect(session.expiresAt).toBe(T0 + 60_000);
  });

  it('accepts each action\'s MAC once, proving the session identity', () => {
    const { verifier, client } = setup();
    for (let i = 0; i < 5; i++) {
      expect(verifier.verify(client.prove(ACTION), ACTION)).toMatchObject({ ok: true, subject: DID, proof: 'session', ring: 2, credentialId: 'cred-1', expiresAt: T0 + 300_000 });
    }
  });

  it('MACs the RFC 8785 canonical JSON of {tool, stage, argsDigest, did, counter, aud} with HMAC-SHA-256', () => {
    const fields = { tool: 'a"\\\u0001é😀', stage: 'pre_tool', argsDigest: ACTION.argsDigest, did: DID, counter: 42, aud: '\ud800' };
    expect(sessionMacInput(fields, fields.did, fields.counter, fields.aud)).toBe(canonicalJson(fields));
    // the parts a session quotes once give the same bytes, for every odd string too
    for (const odd of ['', 'a"b', 'line\nbreak', '\u2028', 'é€😀', '\ud800']) {
      const oddFields = { ...fields, did: odd, aud: odd, tool: odd };
      expect(sessionMacInputWith(sessionMacParts(odd, odd), oddFields, fields.counter)).toBe(canonicalJson(oddFields));
    }
    const { verifier, session } = setup();
    const mac = sessionMac(createSecretKey(Buffer.from(session.secret, 'base64url')), ACTION, DID, 1, AUD);
    expect(verifier.verify({ sessionId: session.id, counter: 1, mac }, ACTION).ok).toBe(true);
  });

  it('accepts concurrent actions arriving out of order within the window, each exactly once', () => {
    const { verifier, client } = setup({ windowSize: 8 });
    const proofs = Array.from({ length: 8 }, () => client.prove(ACTION));
    for (const index of [3, 0, 7, 1, 6, 2, 5, 4]) expect(verifier.verify(proofs[index], ACTION).ok).toBe(true);
    for (const proof of proofs) expect(failure(verifier.verify(proof, ACTION)).kind).toBe('replayed');
  });
});

describe('session MAC: every hostile case is refused with a typed reason, never a throw', () => {
  it('a replayed counter', () => {
    const { verifier, client } = setup();
    const proof = client.prove(ACTION);
    expect(verifier.verify(proof, ACTION).ok).toBe(true);
    expect(failure(verifier.verify(proof, ACTION)).kind).toBe('replayed');
  });

  it('a counter reordered below the window is refused (it can no longer be told from a replay)', () => {
    const { verifier, client } = setup({ windowSize: 4 });
    const late = client.prove(ACTION); // counter 1
    const proofs = Array.from({ length: 4 }, () => client.prove(ACTION)); // 2..5
    for (const proof of proofs) expect(verifier.verify(proof, ACTION).ok).toBe(true);
    expect(failure(verifier.verify(late, ACTION)).kind).toBe('replayed');
  });

  it('a counter of zero, negative, fractional, huge or not a number', () => {
    const { verifier, client } = setup();
    const proof = client.prove(ACTION);
    for (const counter of [0, -1, 1.5, 2 ** 53, Number.NaN, '1', null]) expect(failure(verifier.verify({ ...proof, counter }, ACTION)).kind).toBe('malformed');
  });

  it('a forged MAC, or a valid MAC for another action, counter or audience, does not advance the counter', () => {
    const { verifier, session, client } = setup();
    const key = createSecretKey(Buffer.from(session.secret, 'base64url'));
    const proof = client.prove(ACTION);
    expect(failure(verifier.verify({ ...proof, mac: 'A'.repeat(43) }, ACTION)).kind).toBe('signature');
    expect(failure(verifier.verify(proof, { ...ACTION, tool: 'crm.delete' })).kind).toBe('signature');
    expect(failure(verifier.verify(proof, { ...ACTION, stage: 'post_tool' })).kind).toBe('signature');
    expect(failure(verifier.verify(proof, { ...ACTION, argsDigest: argsDigestOf({ id: 8 }) })).kind).toBe('signature');
    expect(failure(verifier.verify({ ...proof, counter: 2 }, ACTION)).kind).toBe('signature');
    expect(failure(verifier.verify({ ...proof, mac: sessionMac(key, ACTION, DID, 1, 'agt://elsewhere') }, ACTION)).kind).toBe('signature');
    expect(failure(verifier.verify({ ...proof, mac: sessionMac(key, ACTION, 'did:key:zOther', 1, AUD) }, ACTION)).kind).toBe('signature');
    expect(verifier.verify(proof, ACTION).ok).toBe(true); // none of the failures spent counter 1
  });

  it('the MAC of another session (its own id, or borrowed onto this one)', () => {
    const { verifier, client } = setup();
    const other = new SessionClient(verifier.issue({ ...IDENTITY, subject: 'did:key:zSomeoneElse' }));
    const theirs = other.prove(ACTION);
    expect(failure(verifier.verify({ ...theirs, sessionId: client.sessionId }, ACTION)).kind).toBe('signature');
    expect(verifier.verify(theirs, ACTION)).toMatchObject({ ok: true, subject: 'did:key:zSomeoneElse' });
  });

  it('an expired session', () => {
    const { verifier, client, at } = setup();
    const proof = client.prove(ACTION);
    at(T0 + 300_000);
    expect(verifier.verify(client.prove(ACTION), ACTION).ok).toBe(true);
    at(T0 + 300_001);
    expect(failure(verifier.verify(proof, ACTION)).kind).toBe('expired');
    expect(verifier.size).toBe(0);
  });

  it('an unknown or ended session', () => {
    const { verifier, client } = setup();
    expect(failure(verifier.verify({ ...client.prove(ACTION), sessionId: 'A'.repeat(22) }, ACTION)).kind).toBe('untrusted_issuer');
    verifier.end(client.sessionId);
    expect(failure(verifier.verify(client.prove(ACTION), ACTION)).kind).toBe('untrusted_issuer');
  });

  it('every session of a revoked agent or credential can be ended at once', () => {
    const { verifier, client } = setup();
    const second = new SessionClient(verifier.issue(IDENTITY));
    const bystander = new SessionClient(verifier.issue({ ...IDENTITY, subject: 'did:key:zBystander', credentialId: 'cred-2' }));
    expect(verifier.endAllOf('cred-1')).toBe(2);
    expect(failure(verifier.verify(client.prove(ACTION), ACTION)).kind).toBe('untrusted_issuer');
    expect(failure(verifier.verify(second.prove(ACTION), ACTION)).kind).toBe('untrusted_issuer');
    expect(verifier.verify(bystander.prove(ACTION), ACTION).ok).toBe(true);
    expect(verifier.endAllOf('did:key:zBystander')).toBe(1);
    expect(verifier.size).toBe(0);
  });

  it('bounded sessions: past the limit the oldest is dropped and must verify in full again (fail closed)', () => {
    const { verifier, client } = setup({ maxSessions: 2 });
    const second = new SessionClient(verifier.issue(IDENTITY));
    const third = new SessionClient(verifier.issue(IDENTITY));
    expect(verifier.size).toBe(2);
    expect(failure(verifier.verify(client.prove(ACTION), ACTION)).kind).toBe('untrusted_issuer');
    expect(verifier.verify(second.prove(ACTION), ACTION).ok).toBe(true);
    expect(verifier.verify(third.prove(ACTION), ACTION).ok).toBe(true);
  });

  it('malformed proofs: missing, not an object, wrong field types and sizes', () => {
    const { verifier, client } = setup();
    const proof = client.prove(ACTION);
    expect(failure(verifier.verify(undefined, ACTION)).kind).toBe('missing');
    for (const value of ['proof', 42, [proof], true]) expect(failure(verifier.verify(value, ACTION)).kind).toBe('malformed');
    for (const sessionId of [42, null, '', 'x'.repeat(1_000_000), 'A'.repeat(21) + '=']) expect(failure(verifier.verify({ ...proof, sessionId }, ACTION)).kind).toBe('malformed');
    for (const mac of [42, null, '', 'x'.repeat(1_000_000), 'A'.repeat(42) + '+']) expect(failure(verifier.verify({ ...proof, mac }, ACTION)).kind).toBe('malformed');
  });

  it('a proof whose properties throw when read is refused, not a crash', () => {
    const { verifier, client } = setup();
    const hostile = { ...client.prove(ACTION) };
    Object.defineProperty(hostile, 'counter', { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(failure(verifier.verify(hostile, ACTION)).kind).toBe('malformed');
    const proxy = new Proxy({}, { get: () => { throw new Error('boom'); } });
    expect(failure(verifier.verify(proxy, ACTION)).kind).toBe('malformed');
  });

  it('never shows the secret: not in messages, not when the client is logged or serialized', () => {
    const { verifier, session, client } = setup();
    const results = [verifier.verify({ ...client.prove(ACTION), mac: session.secret.slice(0, 43) }, ACTION), verifier.verify({ ...client.prove(ACTION), sessionId: session.secret.slice(0, 22) }, ACTION)];
    for (const result of results) expect(failure(result).message).not.toContain(session.secret.slice(0, 10));
    expect(JSON.stringify(client)).not.toContain(session.secret);
    expect(inspect(client, { depth: 5, showHidden: true })).not.toContain(session.secret);
  });
});

describe('ReplayWindow (IPsec/DTLS anti-replay)', () => {
  it('accepts every counter once across long random out-of-order runs within the window', () => {
    const window = new ReplayWindow(64);
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const seen = new Set<number>();
    for (let base = 1; base < 10_000; base += 32) {
      const batch = Array.from({ length: 32 }, (_, i) => base + i).sort(() => random() - 0.5);
      for (const counter of batch) {
        expect(window.wouldAccept(counter)).toBe(true);
        window.accept(counter);
        seen.add(counter);
        expect(window.wouldAccept(counter)).toBe(false);
      }
    }
    for (const counter of [1, 500, 9_000]) expect(window.wouldAccept(counter)).toBe(false);
  });

  it('a jump far ahead clears the window without walking the gap', () => {
    const window = new ReplayWindow(64);
    window.accept(1);
    window.accept(2 ** 52);
    expect(window.wouldAccept(2 ** 52 - 1)).toBe(true);
    expect(window.wouldAccept(2 ** 52)).toBe(false);
    expect(window.wouldAccept(2)).toBe(false);
  });

  it('refuses bad window sizes', () => {
    for (const size of [0, -1, 1.5, 65_537]) expect(() => new ReplayWindow(size)).toThrow(RangeError);
  });
});

describe('constantTimeEqual', () => {
  it('is string equality (for the MAC comparison, without an early exit)', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    for (const other of ['abd', 'xbc', 'ab', 'abcd', 'ABC']) expect(constantTimeEqual('abc', other)).toBe(false);
  });
});

describe('session proof shape', () => {
  it('is exactly { sessionId, counter, mac }', () => {
    const { client } = setup();
    const proof: SessionProof = client.prove(ACTION);
    expect(Object.keys(proof).sort()).toEqual(['counter', 'mac', 'sessionId']);
    expect(proof.counter).toBe(1);
  });
});
