import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { SignJWT, type JWK, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { JwtBearerVerifier } from '../../src/identity/jwt-bearer.js';
import type { RevocationCheck } from '../../src/identity/revocation-check.js';
import { revocableId, RevocationList } from '../../src/identity/revocation.js';
import { JwtSvidVerifier } from '../../src/identity/spiffe-jwt.js';
import { X509SvidVerifier } from '../../src/identity/spiffe-x509.js';
import { spiffeFixtures } from './spiffe-fixtures.js';

/**
 * Revocation on the proof kinds that carry no did:key credential: an OIDC / Entra bearer JWT,
 * an X.509-SVID and a JWT-SVID are refused `identity:revoked` once their subject, issuer or
 * credential id is on the list, asked on every call after the signature holds. (Envelopes and
 * session MACs: revocation.test.ts, session-revocation.test.ts.)
 */

const fx = spiffeFixtures();
const now = fx.madeAt + 3_600_000;
const clock = (): number => now;

const ISSUER = 'https://login.example.com/tenant-a/v2.0';
const oidcKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const oidcJwks = { keys: [{ ...(oidcKey.publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1', use: 'sig' }] };
const bearer = (claims: JWTPayload, key = oidcKey.privateKey): Promise<string> =>
  new SignJWT({ iss: ISSUER, aud: 'api://agt', sub: 'agent-7', jti: 'tok-1', exp: Math.floor(now / 1000) + 600, ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(key);

const svidSigner = createPrivateKey(fx.key('leaf'));
const svidJwks = { keys: [{ ...(createPublicKey(svidSigner).export({ format: 'jwk' }) as JWK), kid: 'svid-1' }] };
const jwtSvid = (claims: JWTPayload): Promise<string> =>
  new SignJWT({ sub: 'spiffe://example.org/ns/prod/sa/billing', aud: 'spiffe://example.org/api', exp: Math.floor(now / 1000) + 300, ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'svid-1' }).sign(svidSigner);

function verifiers(revocations: RevocationCheck) {
  return {
    bearer: new JwtBearerVerifier({ keys: { keys: oidcJwks }, issuer: ISSUER, audience: 'api://agt', revocations, clock }),
    x509: new X509SvidVerifier({ trustDomain: 'example.org', bundle: fx.pem.root, revocations, clock }),
    jwtSvid: new JwtSvidVerifier({ trustDomain: 'example.org', bundle: { keys: svidJwks }, audience: 'spiffe://example.org/api', revocations, clock }),
  };
}
const chain = fx.pem.leaf + fx.pem.intermediate;

describe('JWT bearer tokens (OIDC, Entra) consult the revocation list', () => {
  it('a revoked sub, jti or issuer is identity:revoked naming which, never its value; others still pass', async () => {
    const list = new RevocationList();
    const { bearer: v } = verifiers(list);
    expect(await v.verify(await bearer({}))).toMatchObject({ ok: true, subject: 'agent-7' });
    list.revoke('agent-7');
    expect(await v.verify(await bearer({}))).toEqual({ ok: false, kind: 'revoked', message: "the token's subject was revoked" });
    expect(await v.verify(await bearer({ sub: 'agent-8', jti: 'tok-2' }))).toMatchObject({ ok: true, subject: 'agent-8' });
    list.revoke('tok-2');
    expect(await v.verify(await bearer({ sub: 'agent-8', jti: 'tok-2' }))).toEqual({ ok: false, kind: 'revoked', message: "the token's id (jti) was revoked" });
    expect(await v.verify(await bearer({ sub: 'agent-8', jti: 'tok-3' }))).toMatchObject({ ok: true });
    list.revoke(ISSUER);
    expect(await v.verify(await bearer({ sub: 'agent-9', jti: 'tok-4' }))).toEqual({ ok: false, kind: 'revoked', message: "the token's issuer was revoked" });
  });

  it('the subject revoked is the one the deployment maps (claims.subject), and a forged token is a signature failure first', async () => {
    const list = new RevocationList();
    list.revoke('app-oid-1');
    const mapped = new JwtBearerVerifier({ keys: { keys: oidcJwks }, issuer: ISSUER, audience: 'api://agt', claims: { subject: 'oid' }, revocations: list, clock });
    expect(await mapped.verify(await bearer({ oid: 'app-oid-1' }))).toMatchObject({ ok: false, kind: 'revoked' });
    expect(await mapped.verify(await bearer({ oid: 'app-oid-2', sub: 'app-oid-1' }))).toMatchObject({ ok: true, subject: 'app-oid-2' });
    // Signature before revocation: an unauthenticated token learns nothing about the list.
    expect(await mapped.verify(await bearer({ oid: 'app-oid-1' }, stranger.privateKey))).toMatchObject({ ok: false, kind: 'signature' });
  });
});

describe('X.509-SVIDs consult the revocation list', () => {
  it('by SPIFFE ID, by trust domain, and one certificate by its fingerprint (openssl colon form accepted)', () => {
    const byId = new RevocationList();
    const { x509 } = verifiers(byId);
    expect(x509.verify(chain)).toMatchObject({ ok: true });
    byId.revoke('spiffe://example.org/ns/prod/sa/billing');
    expect(x509.verify(chain)).toEqual({ ok: false, kind: 'revoked', message: "the SVID's SPIFFE ID was revoked" });
    expect(x509.verify(fx.pem.directLeaf)).toMatchObject({ ok: true, subject: 'spiffe://example.org/direct' });

    const byCert = new RevocationList();
    const { x509: certs } = verifiers(byCert);
    expect(byCert.revoke(new X509Certificate(fx.pem.directLeaf).fingerprint256)).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(certs.verify(fx.pem.directLeaf)).toEqual({ ok: false, kind: 'revoked', message: 'the SVID certificate was revoked' });
    expect(certs.verify(chain)).toMatchObject({ ok: true });

    const byDomain = new RevocationList();
    const { x509: domain } = verifiers(byDomain);
    byDomain.revoke('spiffe://example.org');
    expect(domain.verify(chain)).toEqual({ ok: false, kind: 'revoked', message: "the SVID's trust domain was revoked" });
    expect(domain.verify(fx.pem.directLeaf)).toMatchObject({ ok: false, kind: 'revoked' });
  });

  it('a chain to another trust domain is refused for that, not for the revoked ID it claims', () => {
    const list = new RevocationList();
    list.revoke('spiffe://example.org/ns/prod/sa/billing');
    expect(verifiers(list).x509.verify(fx.pem.forgedLeaf)).toMatchObject({ ok: false, kind: 'trust_domain' });
  });
});

describe('JWT-SVIDs consult the revocation list', () => {
  it('by SPIFFE ID and by jti', async () => {
    const list = new RevocationList();
    const { jwtSvid: v } = verifiers(list);
    expect(await v.verify(await jwtSvid({ jti: 'svid-a' }))).toMatchObject({ ok: true });
    list.revoke('svid-a');
    expect(await v.verify(await jwtSvid({ jti: 'svid-a' }))).toEqual({ ok: false, kind: 'revoked', message: "the JWT-SVID's id (jti) was revoked" });
    expect(await v.verify(await jwtSvid({ jti: 'svid-b' }))).toMatchObject({ ok: true });
    list.revoke('spiffe://example.org/ns/prod/sa/billing');
    expect(await v.verify(await jwtSvid({}))).toEqual({ ok: false, kind: 'revoked', message: "the JWT-SVID's SPIFFE ID was revoked" });
  });
});

describe('a revocation list that cannot be read', () => {
  it('is identity:unavailable for every kind: never an allow', async () => {
    const broken: RevocationCheck = {
      isRevoked: () => {
        throw new Error('disk I/O error');
      },
      firstRevoked: () => {
        throw new Error('disk I/O error');
      },
    };
    const v = verifiers(broken);
    const expected = { ok: false, kind: 'unavailable' };
    expect(await v.bearer.verify(await bearer({}))).toMatchObject(expected);
    expect(v.x509.verify(chain)).toMatchObject(expected);
    expect(await v.jwtSvid.verify(await jwtSvid({}))).toMatchObject(expected);
    expect((v.x509.verify(chain) as { message: string }).message).not.toContain('disk');
  });
});

describe('revocableId: what a revocation can name', () => {
  it('accepts did:keys, SPIFFE workload IDs and trust domains, jtis, OIDC subjects and issuers, fingerprints', () => {
    const fingerprint = new X509Certificate(fx.pem.leaf).fingerprint256;
    for (const id of ['spiffe://example.org/ns/prod/sa/billing', 'spiffe://example.org', 'tok-1', 'auth0|5f7c8ec7c33c6c004bbafe82', 'repo:octo/app:ref:refs/heads/main', 'ada@example.com', ISSUER, 'x'.repeat(512)]) {
      expect(revocableId(id), id).toBe(id);
    }
    expect(revocableId(fingerprint)).toBe(fingerprint.replaceAll(':', '').toLowerCase());
  });

  it('refuses other DID methods, malformed SPIFFE IDs, spaces, control and non-ASCII look-alikes, without echoing them', () => {
    const bad = ['did:web:example.com', 'did:key:zNOPE', 'SPIFFE://example.org/a', 'spiffe://Example.org/a', 'spiffe://example.org/a/../b', 'spiffe://', 'spiffe:example.org',
      '', 'has space', 'tab\there', 'line\nbreak', 'аgent-7' /* Cyrillic а */, 'agent\u200b7', 'x'.repeat(513)];
    for (const id of bad) {
      const answer = revocableId(id);
      expect(answer, JSON.stringify(id)).toMatchObject({ ok: false, kind: 'malformed' });
      if (id.length > 3) expect((answer as { message: string }).message).not.toContain(id);
    }
    expect(revocableId(42)).toMatchObject({ ok: false, kind: 'malformed' });
  });
});
