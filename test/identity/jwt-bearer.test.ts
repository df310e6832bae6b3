import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JwtBearerVerifier, type JwtBearerOptions } from '../../src/identity/jwt-bearer.js';
import { JwksSource } from '../../src/identity/jwks-source.js';
import { startJwksServer, type JwksServer } from './jwks-server.js';

const ISSUER = 'https://login.microsoftonline.com/tenant-a/v2.0';
const AUDIENCE = 'api://agt';
const TENANT = '11111111-2222-3333-4444-555555555555';
const START = Date.parse('2026-03-01T12:00:00Z');

interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: JWK;
}

function signingKey(kid: string, alg: 'RS256' | 'ES256' | 'EdDSA'): SigningKey {
  const pair =
    alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return { kid, alg, ...pair, jwk: { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig' } };
}

const rsaA = signingKey('key-a', 'RS256');
const rsaB = signingKey('key-b', 'RS256');
const ec = signingKey('key-ec', 'ES256');
const ed = signingKey('key-ed', 'EdDSA');
const stranger = signingKey('key-a', 'RS256'); // same kid as rsaA, different key

const jwks = (...keys: SigningKey[]): { keys: JWK[] } => ({ keys: keys.map((k) => k.jwk) });

let now = START;
const clock = (): number => now;

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: AUDIENCE, sub: 'agent-7', tid: TENANT, roles: ['support', 'reader'], jti: 'tok-1', iat: now / 1000, exp: now / 1000 + 3600, ...overrides };
}

async function token(key: SigningKey, overrides: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims(overrides)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

let server: JwksServer;
beforeAll(async () => {
  server = await startJwksServer({ kind: 'serve', body: jwks(rsaA) });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  now = START;
  server.behaviour = { kind: 'serve', body: jwks(rsaA) };
  server.requests = 0;
});

function verifier(options: Partial<JwtBearerOptions> = {}): JwtBearerVerifier {
  return new JwtBearerVerifier({ keys: { url: server.url, timeoutMs: 300 }, issuer: ISSUER, audience: AUDIENCE, tenant: TENANT, clock, ...options });
}

describe('JWT bearer: a valid token', () => {
  it('maps the claims to a verified identity (subject, roles, jti, issuer, expiry; ring and trust from the defaults)', async () => {
    const result = await verifier().verify(await token(rsaA));
    expect(result).toEqual({
      ok: true, subject: 'agent-7', proof: 'jwt', issuer: ISSUER, credentialId: 'tok-1', ring: 3, roles: ['support', 'reader'], tools: [], trust: 500,
      expiresAt: START + 3_600_000, delegationDigest: null,
    });
  });

  it('accepts RSA, ECDSA and EdDSA keys from one JWKS, and a leading "Bearer "', async () => {
    server.behaviour = { kind: 'serve', body: jwks(rsaA, ec, ed) };
    const v = verifier();
    for (const key of [rsaA, ec, ed]) expect(await v.verify(`Bearer ${await token(key)}`)).toMatchObject({ ok: true, subject: 'agent-7' });
    expect(server.requests).toBe(1);
  });

  it('reads ring, trust, tools and roles from the claims the operator names, and refuses out-of-range values', async () => {
    const v = verifier({ claims: { subject: 'oid', roles: 'scp', ring: 'agt_ring', trust: 'agt_trust', tools: 'agt_tools', defaults: { ring: 2 } } });
    const ok = await v.verify(await token(rsaA, { oid: 'app-42', scp: 'crm.read search', agt_ring: 1, agt_trust: 700, agt_tools: ['crm.*'] }));
    expect(ok).toMatchObject({ ok: true, subject: 'app-42', roles: ['crm.read', 'search'], ring: 1, trust: 700, tools: ['crm.*'] });
    expect(await v.verify(await token(rsaA, { oid: 'app-42' }))).toMatchObject({ ok: true, ring: 2, trust: 500, tools: [], roles: [] });
    for (const bad of [{ agt_ring: -1 }, { agt_ring: 1.5 }, { agt_ring: '0' }, { agt_trust: 1001 }, { agt_tools: [1] }, { scp: 42 }, { oid: '' }, { oid: ['x'] }]) {
      const result = await v.verify(await token(rsaA, { oid: 'app-42', ...bad }));
      expect(result, JSON.stringify(bad)).toMatchObject({ ok: false, kind: 'malformed' });
    }
  });

  it('shares one fetch between concurrent verifications on a cold cache', async () => {
    const v = verifier();
    const t = await token(rsaA);
    const results = await Promise.all(Array.from({ length: 10 }, () => v.verify(t)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.requests).toBe(1);
  });
});

describe('JWT bearer: key rotation and the cache', () => {
  it('a new key id triggers one refresh; unknown key ids refresh at most once per cooldown', async () => {
    const v = verifier();
    expect((await v.verify(await token(rsaA))).ok).toBe(true);
    server.behaviour = { kind: 'serve', body: jwks(rsaA, rsaB) };
    now += 31_000;
    expect((await v.verify(await token(rsaB))).ok).toBe(true);
    expect(server.requests).toBe(2);
    // A flood of random key ids within the cooldown costs no fetches.
    for (let i = 0; i < 20; i++) {
      expect(await v.verify(await token({ ...rsaB, kid: `random-${i}` }))).toMatchObject({ ok: false, kind: 'signature' });
    }
    expect(server.requests).toBe(2);
    now += 30_000;
    await v.verify(await token({ ...rsaB, kid: 'random-after-cooldown' }));
    expect(server.requests).toBe(3);
  });

  it('refreshes after refreshAfterMs and drops a removed key', async () => {
    const v = verifier();
    expect((await v.verify(await token(rsaA))).ok).toBe(true);
    server.behaviour = { kind: 'serve', body: jwks(rsaB) };
    now += 5 * 60_000;
    expect(await v.verify(await token(rsaA))).toMatchObject({ ok: false, kind: 'signature' });
    expect(server.requests).toBe(2);
  });

  it('a failed refresh serves cached keys within the staleness bound, then answers unavailable, never allow', async () => {
    const v = verifier();
    const t = await token(rsaA, { exp: START / 1000 + 86_400 });
    expect((await v.verify(t)).ok).toBe(true);
    server.behaviour = { kind: 'raw', body: 'oops', status: 503 };
    now += 10 * 60_000;
    expect((await v.verify(t)).ok).toBe(true);
    now += 51 * 60_000;
    expect(await v.verify(t)).toMatchObject({ ok: false, kind: 'unavailable' });
    server.behaviour = { kind: 'serve', body: jwks(rsaA) };
    now += 30_000;
    expect((await v.verify(t)).ok).toBe(true);
  });

  it('reads keys from a JWKS file and picks up a rotated file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-jwks-'));
    try {
      const file = join(dir, 'jwks.json');
      writeFileSync(file, JSON.stringify(jwks(rsaA)));
      const v = verifier({ keys: { file } });
      expect((await v.verify(await token(rsaA))).ok).toBe(true);
      writeFileSync(file, JSON.stringify(jwks(rsaA, rsaB)));
      now += 30_000;
      expect((await v.verify(await token(rsaB))).ok).toBe(true);
      expect(await verifier({ keys: { file: join(dir, 'missing.json') } }).verify(await token(rsaA))).toMatchObject({ ok: false, kind: 'unavailable' });
      writeFileSync(file, ' '.repeat(2048));
      expect(await verifier({ keys: { file, maxBytes: 1024 } }).verify(await token(rsaA))).toMatchObject({ ok: false, kind: 'unavailable', message: expect.stringMatching(/larger than 1024/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('JWT bearer: a hostile or broken JWKS endpoint is unavailable, never allow', () => {
  it('a hanging endpoint times out', async () => {
    server.behaviour = { kind: 'hang' };
    const result = await verifier().verify(await token(rsaA));
    expect(result).toMatchObject({ ok: false, kind: 'unavailable', message: expect.stringMatching(/did not answer within 300 ms/) });
  });

  it('garbage JSON, a wrong shape, private key material and an HTTP error', async () => {
    const { d } = rsaA.privateKey.export({ format: 'jwk' });
    const bodies = ['<html>not json', '{"keys": "nope"}', '[]', JSON.stringify({ keys: [{ ...rsaA.jwk, d }] }), JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'key-a' }] }), JSON.stringify({ keys: [42] })];
    for (const body of bodies) {
      server.behaviour = { kind: 'raw', body };
      expect(await verifier().verify(await token(rsaA)), body.slice(0, 30)).toMatchObject({ ok: false, kind: 'unavailable' });
    }
    server.behaviour = { kind: 'raw', body: '{}', status: 500 };
    expect(await verifier().verify(await token(rsaA))).toMatchObject({ ok: false, kind: 'unavailable', message: expect.stringMatching(/HTTP 500/) });
  });

  it('an oversized body is refused without reading it all', async () => {
    server.behaviour = { kind: 'huge', bytes: 4 * 1024 * 1024 };
    const result = await verifier({ keys: { url: server.url, maxBytes: 64 * 1024 } }).verify(await token(rsaA));
    expect(result).toMatchObject({ ok: false, kind: 'unavailable', message: expect.stringMatching(/larger than 65536 bytes/) });
  });

  it('a redirect is not followed: keys served elsewhere (an open redirect to an attacker) are never fetched', async () => {
    const elsewhere = await startJwksServer({ kind: 'serve', body: { keys: [{ ...stranger.jwk, kid: 'key-a' }] } });
    try {
      server.behaviour = { kind: 'redirect', location: elsewhere.url };
      expect(await verifier().verify(await token({ ...stranger, kid: 'key-a' }))).toMatchObject({ ok: false, kind: 'unavailable' });
      expect(elsewhere.requests).toBe(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('an unreachable endpoint', async () => {
    const closed = await startJwksServer({ kind: 'hang' });
    await closed.close();
    expect(await verifier({ keys: { url: closed.url } }).verify(await token(rsaA))).toMatchObject({ ok: false, kind: 'unavailable' });
  });
});

describe('JWT bearer: hostile tokens are typed denials', () => {
  it('a token signed by an unknown key (same kid, other key; or an unknown kid)', async () => {
    const v = verifier();
    expect(await v.verify(await token(stranger))).toMatchObject({ ok: false, kind: 'signature' });
    expect(await v.verify(await token({ ...stranger, kid: 'key-z' }))).toMatchObject({ ok: false, kind: 'signature' });
  });

  it("alg 'none' is refused as an algorithm failure", async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
    expect(await verifier().verify(unsigned)).toMatchObject({ ok: false, kind: 'algorithm' });
    expect(await verifier().verify(`${b64({ alg: 'NONE', kid: 'key-a' })}.${b64(claims())}.`)).toMatchObject({ ok: false, kind: 'algorithm' });
  });

  it('HS256 "signed" with the public key bytes (algorithm confusion) is refused', async () => {
    const secrets = [Buffer.from(rsaA.publicKey.export({ type: 'spki', format: 'pem' }) as string), rsaA.publicKey.export({ type: 'spki', format: 'der' }), Buffer.from(JSON.stringify(rsaA.jwk))];
    for (const secret of secrets) {
      const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'key-a' }).sign(secret);
      expect(await verifier().verify(forged)).toMatchObject({ ok: false, kind: 'algorithm' });
    }
    expect(() => verifier({ algorithms: ['RS256', 'HS256'] })).toThrow(/asymmetric/);
    expect(() => verifier({ algorithms: ['none'] })).toThrow(/asymmetric/);
  });

  it('an algorithm outside a narrowed allow-list, and a header alg that does not fit the key', async () => {
    server.behaviour = { kind: 'serve', body: jwks(rsaA, ec) };
    expect(await verifier({ algorithms: ['RS256'] }).verify(await token(ec))).toMatchObject({ ok: false, kind: 'algorithm' });
    const mislabelled = await new SignJWT(claims()).setProtectedHeader({ alg: 'PS256', kid: 'key-a' }).sign(rsaA.privateKey);
    expect((await verifier().verify(mislabelled)).ok).toBe(true); // PS256 with an RSA key is legitimate
    const ecAsRsa = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'key-a' }).sign(ec.privateKey);
    expect(await verifier().verify(ecAsRsa)).toMatchObject({ ok: false, kind: 'signature' });
  });

  it('wrong iss, aud or tid, and a missing tid when a tenant is pinned', async () => {
    const v = verifier();
    expect(await v.verify(await token(rsaA, { iss: 'https://evil.example/v2.0' }))).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
    expect(await v.verify(await token(rsaA, { aud: 'api://other' }))).toMatchObject({ ok: false, kind: 'audience' });
    expect(await v.verify(await token(rsaA, { aud: undefined }))).toMatchObject({ ok: false, kind: 'audience' });
    expect(await v.verify(await token(rsaA, { tid: 'other-tenant' }))).toMatchObject({ ok: false, kind: 'untrusted_issuer', message: expect.stringMatching(/tenant/) });
    expect(await v.verify(await token(rsaA, { tid: undefined }))).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
    expect((await verifier({ tenant: undefined }).verify(await token(rsaA, { tid: 'any' }))).ok).toBe(true);
    expect((await verifier({ audience: ['api://x', AUDIENCE] }).verify(await token(rsaA, { aud: [AUDIENCE, 'api://y'] }))).ok).toBe(true);
  });

  it('expired, not yet valid, and no exp at all; the clock-skew tolerance applies', async () => {
    const v = verifier();
    expect(await v.verify(await token(rsaA, { exp: START / 1000 - 61 }))).toMatchObject({ ok: false, kind: 'expired' });
    expect((await v.verify(await token(rsaA, { exp: START / 1000 - 30 }))).ok).toBe(true);
    expect(await v.verify(await token(rsaA, { nbf: START / 1000 + 120 }))).toMatchObject({ ok: false, kind: 'not_yet_valid' });
    expect((await v.verify(await token(rsaA, { nbf: START / 1000 + 30 }))).ok).toBe(true);
    expect(await v.verify(await token(rsaA, { exp: undefined }))).toMatchObject({ ok: false, kind: 'malformed' });
    const t = await token(rsaA);
    now += 3600_000 + 61_000;
    expect(await v.verify(t)).toMatchObject({ ok: false, kind: 'expired' });
  });

  it('oversized, missing and malformed tokens, without throwing or fetching keys', async () => {
    const v = verifier();
    expect(await v.verify(`${await token(rsaA)}${'A'.repeat(20_000)}`)).toMatchObject({ ok: false, kind: 'too_large' });
    for (const bad of [undefined, null, 42, {}, '']) expect(await v.verify(bad)).toMatchObject({ ok: false, kind: 'missing' });
    for (const bad of ['a.b', 'a.b.c.d', 'not a token', `${b64({ kid: 'x' })}.${b64(claims())}.sig`, '!!!.@@@.###', `e30.${b64(claims())}.x`, `${b64('str')}.e30.x`]) {
      const result = await v.verify(bad);
      expect(result.ok, bad).toBe(false);
      expect(['malformed', 'algorithm']).toContain((result as { kind: string }).kind);
    }
    expect(server.requests).toBe(0);
    const notJson = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'key-a' }).sign(rsaA.privateKey);
    const [h, , s] = notJson.split('.');
    expect(await v.verify(`${h}.${Buffer.from('not json').toString('base64url')}.${s}`)).toMatchObject({ ok: false });
  });

  it('messages never carry token, claim or key material', async () => {
    const secretish = 'SECRET-VALUE-do-not-log';
    const v = verifier();
    const results = [
      await v.verify(await token(rsaA, { iss: secretish })),
      await v.verify(await token(rsaA, { aud: secretish })),
      await v.verify(await token(rsaA, { tid: secretish })),
      await v.verify(await token(rsaA, { roles: [secretish, 7] })),
      await v.verify(await token({ ...stranger, kid: secretish })),
      await v.verify(`${b64({ alg: secretish })}.${b64(claims())}.`),
    ];
    for (const result of results) {
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain(secretish);
      expect(JSON.stringify(result)).not.toContain('eyJ');
    }
  });
});

describe('JWT bearer: configuration errors are thrown at construction, naming the fix', () => {
  it('refuses plain http to a remote host, an empty audience or issuer, and ambiguous sources', () => {
    expect(() => verifier({ keys: { url: 'http://login.example.com/keys' } })).toThrow(/https/);
    expect(() => verifier({ keys: { url: 'not a url' } })).toThrow(/valid URL/);
    expect(() => verifier({ audience: [] })).toThrow(/audience/);
    expect(() => verifier({ issuer: '' })).toThrow(/issuer/);
    expect(() => verifier({ tenant: '' })).toThrow(/tenant/);
    expect(() => new JwksSource({ url: server.url, file: 'x' })).toThrow(/exactly one/);
    expect(() => new JwksSource({ url: server.url, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
