import { generateKeyPairSync, createHmac } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { CREDENTIAL_TYP, issueCredential, toVerifiedIdentity, verifyCredential, type CredentialGrant } from '../../src/identity/credential.js';
import { isFailure } from '../../src/identity/did-key.js';
import { RevocationList } from '../../src/identity/revocation.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';

const NOW = Date.UTC(2026, 0, 1);
const clock = () => NOW;
const root = generateAgentKey();
const agent = generateAgentKey();
const trustedIssuers = TrustedIssuers.of([root.did]) as TrustedIssuers;
const grant: CredentialGrant = { subject: agent.did, ring: 2, roles: ['support'], tools: ['crm.*', 'search'], trust: 600, ttlSeconds: 3600 };
const options = { trustedIssuers, clock };

async function issued(overrides: Partial<CredentialGrant> = {}, at = clock): Promise<string> {
  const result = await issueCredential(root, { ...grant, ...overrides }, at);
  if (isFailure(result)) throw new Error(result.message);
  return result.token;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const validClaims = () => ({ iss: root.did, sub: agent.did, jti: 'c-1', iat: NOW / 1000, exp: NOW / 1000 + 600, ring: 2, roles: [], tools: ['x'], trust: 500 });

/** Signs `payload` with jose under any header, to build hostile tokens the way an attacker would. */
async function forge(payload: JWTPayload, header: { alg: string; typ?: string }, key = root.privateKey): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

describe('credentials: issue and verify', () => {
  it('round-trips: the verified facts are what the issuer granted', async () => {
    const token = await issued();
    const verified = verifyCredential(token, options);
    expect(verified).toMatchObject({ ok: true, subject: agent.did, issuer: root.did, ring: 2, roles: ['support'], tools: ['crm.*', 'search'], trust: 600, expiresAt: NOW + 3_600_000, delegationDigest: null });
    expect(toVerifiedIdentity(verified as never, 'envelope')).toMatchObject({ ok: true, proof: 'envelope', subject: agent.did, credentialId: expect.any(String) });
  });

  it('interoperates with jose both ways', async () => {
    const token = await issued();
    const { payload, protectedHeader } = await jwtVerify(token, root.publicKey, { algorithms: ['EdDSA'], typ: CREDENTIAL_TYP, currentDate: new Date(NOW) });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload.sub).toBe(agent.did);
    const byJose = await forge(validClaims(), { alg: 'EdDSA', typ: CREDENTIAL_TYP });
    expect(verifyCredential(byJose, options)).toMatchObject({ ok: true, credentialId: 'c-1' });
  });

  it('defaults trust to 500 and refuses to issue a grant that would not verify', async () => {
    expect(verifyCredential(await issued({ trust: undefined }), options)).toMatchObject({ trust: 500 });
    for (const bad of [{ ring: 4 }, { trust: 1001 }, { subject: 'did:web:x' }, { tools: ['crm read'] }, { ttlSeconds: 0 }, { roles: [''] }]) {
      expect(await issueCredential(root, { ...grant, ...bad } as CredentialGrant, clock)).toMatchObject({ ok: false, kind: 'malformed' });
    }
  });
});

describe('credentials: hostile tokens are denials with a typed reason', () => {
  it('refuses alg none', async () => {
    const token = `${b64({ alg: 'none', typ: CREDENTIAL_TYP })}.${b64(validClaims())}.`;
    expect(verifyCredential(token, options)).toMatchObject({ ok: false, kind: 'algorithm' });
    expect(verifyCredential(`${b64({ alg: 'none', typ: CREDENTIAL_TYP })}.${b64(validClaims())}.${'A'.repeat(86)}`, options)).toMatchObject({ kind: 'algorithm' });
  });

  it('refuses HS256 signed with the issuer public key as the HMAC secret (algorithm confusion)', () => {
    const header = b64({ alg: 'HS256', typ: CREDENTIAL_TYP });
    const payload = b64(validClaims());
    for (const secret of [root.publicKey.export({ format: 'der', type: 'spki' }), Buffer.from(root.publicJwk().x, 'base64url'), Buffer.from(root.did)]) {
      const mac = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      expect(verifyCredential(`${header}.${payload}.${mac}`, options)).toMatchObject({ ok: false, kind: 'algorithm' });
    }
  });

  it('refuses RS256 and ES256 tokens, and EdDSA with a lying header', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(verifyCredential(await forge(validClaims(), { alg: 'RS256', typ: CREDENTIAL_TYP }, rsa), options)).toMatchObject({ kind: 'algorithm' });
    expect(verifyCredential(await forge(validClaims(), { alg: 'ES256', typ: CREDENTIAL_TYP }, ec), options)).toMatchObject({ kind: 'algorithm' });
    const good = await issued();
    const [, payload, signature] = good.split('.');
    expect(verifyCredential(`${b64({ alg: 'ES256', typ: CREDENTIAL_TYP })}.${payload}.${signature}`, options)).toMatchObject({ kind: 'algorithm' });
  });

  it('refuses a token over the size bound before parsing it', () => {
    const huge = `${b64({ alg: 'EdDSA', typ: CREDENTIAL_TYP })}.${'A'.repeat(9000)}.sig`;
    expect(verifyCredential(huge, options)).toMatchObject({ ok: false, kind: 'too_large' });
    expect(verifyCredential('x'.repeat(5_000_000), options)).toMatchObject({ kind: 'too_large' });
  });

  it('refuses malformed tokens', async () => {
    const good = await issued();
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const cases: [unknown, string][] = [
      [undefined, 'missing'], ['', 'missing'], [42, 'missing'], ['a.b', 'malformed'], ['a.b.c.d', 'malformed'], [`${header}.${payload}.${signature}=`, 'malformed'],
      [`${b64([1])}.${payload}.${signature}`, 'malformed'], [`${header}.${b64('str')}.${signature}`, 'malformed'],
      [`${header}.${payload}.${signature.slice(0, 20)}`, 'signature'],
      [`${b64({ alg: 'EdDSA', typ: 'JWT' })}.${payload}.${signature}`, 'malformed'],
      [`${b64({ alg: 'EdDSA', typ: CREDENTIAL_TYP, crit: ['x'] })}.${payload}.${signature}`, 'malformed'],
    ];
    for (const [token, kind] of cases) expect(verifyCredential(token, options), String(token).slice(0, 30)).toMatchObject({ ok: false, kind });
  });

  it('refuses a tampered payload and an untrusted issuer', async () => {
    const good = await issued();
    const [header, , signature] = good.split('.');
    const widened = b64({ ...validClaims(), ring: 0 });
    expect(verifyCredential(`${header}.${widened}.${signature}`, options)).toMatchObject({ kind: 'signature' });
    const stranger = generateAgentKey();
    expect(verifyCredential(await issueCredential(stranger, grant, clock).then((r) => (r as { token: string }).token), options)).toMatchObject({ kind: 'untrusted_issuer' });
    // A token naming a trusted issuer but signed by someone else.
    expect(verifyCredential(await forge(validClaims(), { alg: 'EdDSA', typ: CREDENTIAL_TYP }, stranger.privateKey), options)).toMatchObject({ kind: 'signature' });
  });

  it('refuses expired and not-yet-valid credentials, with clock-skew tolerance', async () => {
    const token = await issued({ ttlSeconds: 600 });
    expect(verifyCredential(token, { ...options, clock: () => NOW + 659_000 })).toMatchObject({ ok: true });
    expect(verifyCredential(token, { ...options, clock: () => NOW + 661_000 })).toMatchObject({ ok: false, kind: 'expired' });
    const later = await issued({ notBeforeSeconds: 300 });
    expect(verifyCredential(later, options)).toMatchObject({ ok: false, kind: 'not_yet_valid' });
    expect(verifyCredential(later, { ...options, clock: () => NOW + 250_000 })).toMatchObject({ ok: true });
    const future = await issued({}, () => NOW + 120_000);
    expect(verifyCredential(future, options)).toMatchObject({ ok: false, kind: 'not_yet_valid' });
    expect(verifyCredential(future, { ...options, clockSkewSeconds: 300 })).toMatchObject({ ok: true });
  });

  it('refuses bad claim shapes without echoing the claim values', async () => {
    const secretish = 'sk-live-DO-NOT-ECHO';
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ sub: secretish }, /'sub'/], [{ sub: undefined }, /'sub' is missing/], [{ ring: -1 }, /'ring' must be 0-3/], [{ ring: 1.5 }, /'ring'/],
      [{ trust: 5000 }, /'trust' must be 0-1000/], [{ tools: [secretish + ' x'] }, /'tools.0'/], [{ tools: 'crm.*' }, /'tools'/],
      [{ roles: Array(65).fill('r') }, /'roles'/], [{ exp: 'tomorrow' }, /'exp'/], [{ jti: secretish + '!' }, /'jti'/], [{ exp: NOW / 1000 - 10 }, /exp <= iat/],
    ];
    for (const [change, message] of cases) {
      const result = verifyCredential(await forge({ ...validClaims(), ...change }, { alg: 'EdDSA', typ: CREDENTIAL_TYP }), options);
      expect(result, JSON.stringify(change).slice(0, 60)).toMatchObject({ ok: false, kind: 'malformed', message: expect.stringMatching(message) });
      expect((result as { message: string }).message).not.toContain(secretish);
    }
  });

  it('refuses a revoked subject, credential id or issuer', async () => {
    const token = await issued({ jti: 'cred-7' });
    for (const id of ['cred-7', agent.did, root.did]) {
      const revocations = new RevocationList();
      expect(verifyCredential(token, { ...options, revocations })).toMatchObject({ ok: true });
      revocations.revoke(id);
      expect(verifyCredential(token, { ...options, revocations })).toMatchObject({ ok: false, kind: 'revoked' });
    }
  });

  it('fails closed when the revocation list cannot be read', async () => {
    const broken = { isRevoked: () => { throw new Error('disk I/O error'); }, firstRevoked: () => { throw new Error('disk I/O error'); } };
    expect(verifyCredential(await issued(), { ...options, revocations: broken })).toMatchObject({ ok: false, kind: 'unavailable' });
  });
});

describe('credentials: the verified-token cache', () => {
  it('keeps only what is pure: trust, time and revocation are re-checked on every use', async () => {
    const token = await issued({ ttlSeconds: 600, jti: 'cached-1' });
    expect(verifyCredential(token, options)).toMatchObject({ ok: true });
    expect(verifyCredential(token, options)).toMatchObject({ ok: true });
    expect(verifyCredential(token, { ...options, trustedIssuers: TrustedIssuers.of([generateAgentKey().did]) as TrustedIssuers })).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
    expect(verifyCredential(token, { ...options, clock: () => NOW + 3_600_000 })).toMatchObject({ ok: false, kind: 'expired' });
    const revocations = new RevocationList();
    revocations.revoke('cached-1');
    expect(verifyCredential(token, { ...options, revocations })).toMatchObject({ ok: false, kind: 'revoked' });
    expect(verifyCredential(token, { ...options, maxTokenBytes: 100 })).toMatchObject({ ok: false, kind: 'too_large' });
  });

  it('cannot be poisoned by a caller that mutates what it was given', async () => {
    const token = await issued({ jti: 'cached-2' });
    const first = verifyCredential(token, options) as unknown as { tools: string[]; claims: { ring: number } };
    expect(() => first.tools.push('*')).toThrow();
    expect(() => { first.claims.ring = 0; }).toThrow();
    expect(verifyCredential(token, options)).toMatchObject({ tools: ['crm.*', 'search'], ring: 2 });
  });
});

describe('trusted issuers', () => {
  it('accepts DIDs, public JWKs and public KeyObjects, and refuses anything else by position', () => {
    const other = generateAgentKey();
    const set = TrustedIssuers.of([root.did, other.publicJwk(), generateAgentKey().publicKey]);
    expect(isFailure(set)).toBe(false);
    expect((set as TrustedIssuers).dids()).toHaveLength(3);
    expect(TrustedIssuers.of([root.did, 'did:web:example.com'])).toMatchObject({ kind: 'malformed', message: expect.stringContaining('trusted issuer 2') });
    expect(TrustedIssuers.of([root.privateKey])).toMatchObject({ kind: 'malformed', message: expect.stringContaining('private') });
    expect(TrustedIssuers.of([other.privateJwk()])).toMatchObject({ kind: 'malformed' });
    expect(TrustedIssuers.of([generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey])).toMatchObject({ kind: 'algorithm' });
  });
});
