import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { SignJWT, type JWK, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { JwtSvidVerifier, parseSpiffeId, peerCertificateChain, X509SvidVerifier, type X509SvidOptions } from '../../src/identity/spiffe.js';
import { spiffeFixtures } from './spiffe-fixtures.js';

const fx = spiffeFixtures();
const DAY = 86_400_000;
const now = fx.madeAt + 3_600_000;
const clock = (): number => now;
const der = (pem: string): Buffer => Buffer.from(new X509Certificate(pem).raw);

function verifier(options: Partial<X509SvidOptions> = {}): X509SvidVerifier {
  return new X509SvidVerifier({ trustDomain: 'example.org', bundle: fx.pem.root, clock, ...options });
}

describe('SPIFFE IDs (SPIFFE-ID specification)', () => {
  it('accepts workload IDs and splits trust domain and path', () => {
    expect(parseSpiffeId('spiffe://example.org/ns/prod/sa/billing')).toEqual({ id: 'spiffe://example.org/ns/prod/sa/billing', trustDomain: 'example.org', path: '/ns/prod/sa/billing' });
    expect(parseSpiffeId('spiffe://my_td-1.example/A.b-c_d')).toMatchObject({ trustDomain: 'my_td-1.example', path: '/A.b-c_d' });
  });

  it('refuses every form the specification forbids, as malformed', () => {
    const bad: unknown[] = [
      undefined, 42, '', 'spiffe://', 'spiffe://example.org', 'spiffe://example.org/', 'SPIFFE://example.org/a', 'https://example.org/a', 'spiffe:/example.org/a',
      'spiffe://Example.org/a', 'spiffe://example.org:8443/a', 'spiffe://user@example.org/a', 'spiffe://example.org/a?x=1', 'spiffe://example.org/a#frag',
      'spiffe://example.org/a//b', 'spiffe://example.org/a/', 'spiffe://example.org/./a', 'spiffe://example.org/a/..', 'spiffe://example.org/a%20b', 'spiffe://example.org/a b',
      'spiffe:///a', `spiffe://${'a'.repeat(256)}/x`, `spiffe://example.org/${'a'.repeat(2100)}`, 'spiffe://exa mple.org/a', 'spiffe://[::1]/a',
    ];
    for (const value of bad) expect(parseSpiffeId(value), String(value).slice(0, 60)).toMatchObject({ ok: false, kind: 'malformed' });
  });
});

describe('X.509-SVIDs', () => {
  it('verifies leaf → intermediate → bundle root, from PEM text, DER buffers or X509Certificate objects', () => {
    const expected = { ok: true, subject: 'spiffe://example.org/ns/prod/sa/billing', proof: 'spiffe-x509', issuer: 'spiffe://example.org', ring: 3, roles: [], tools: [], trust: 500, delegationDigest: null };
    const v = verifier();
    expect(v.verify(fx.pem.leaf + fx.pem.intermediate)).toMatchObject(expected);
    expect(v.verify([der(fx.pem.leaf), der(fx.pem.intermediate)])).toMatchObject(expected);
    expect(v.verify([new X509Certificate(fx.pem.leaf), new X509Certificate(fx.pem.intermediate), new X509Certificate(fx.pem.root)])).toMatchObject(expected);
    const result = v.verify([fx.pem.leaf, fx.pem.intermediate]);
    expect(result.ok && result.credentialId).toBe(new X509Certificate(fx.pem.leaf).fingerprint256.replaceAll(':', '').toLowerCase());
    // The chain expires with its first certificate to expire (the fixtures are made a second or so apart).
    const chainEnd = Math.min(...[fx.pem.leaf, fx.pem.intermediate, fx.pem.root].map((pem) => new X509Certificate(pem).validToDate.getTime()));
    expect(result.ok && result.expiresAt).toBe(chainEnd);
    expect(v.verify(fx.pem.directLeaf)).toMatchObject({ ok: true, subject: 'spiffe://example.org/direct' });
  });

  it('grants per workload come from the configuration, over the defaults', () => {
    const v = verifier({ grants: { defaults: { trust: 300 }, workloads: { 'spiffe://example.org/ns/prod/sa/billing': { ring: 1, roles: ['billing'], tools: ['payments.*'] } } } });
    expect(v.verify(fx.pem.leaf + fx.pem.intermediate)).toMatchObject({ ring: 1, roles: ['billing'], tools: ['payments.*'], trust: 300 });
    expect(v.verify(fx.pem.directLeaf)).toMatchObject({ ring: 3, roles: [], tools: [], trust: 300 });
    expect(() => verifier({ grants: { workloads: { x: { ring: 7 } } } })).toThrow(/ring/);
  });

  it('an expired and a not-yet-valid SVID, at the injected clock time', () => {
    const chain = fx.pem.shortLeaf + fx.pem.intermediate;
    expect(verifier().verify(chain)).toMatchObject({ ok: true });
    expect(verifier({ clock: () => fx.madeAt + 2 * DAY }).verify(chain)).toMatchObject({ ok: false, kind: 'expired', message: 'the leaf certificate has expired' });
    expect(verifier({ clock: () => fx.madeAt - 2 * DAY }).verify(chain)).toMatchObject({ ok: false, kind: 'not_yet_valid' });
    expect(verifier({ clock: () => fx.madeAt + 400 * DAY }).verify(fx.pem.leaf + fx.pem.intermediate)).toMatchObject({ ok: false, kind: 'expired' });
    expect(verifier({ clock: () => fx.madeAt + 4000 * DAY }).verify(fx.pem.leaf + fx.pem.intermediate)).toMatchObject({ ok: false, kind: 'expired' });
  });

  it('an SVID from another trust domain, and one claiming ours but chained to another root, are trust_domain', () => {
    expect(verifier().verify(fx.pem.otherLeaf)).toMatchObject({ ok: false, kind: 'trust_domain' });
    expect(verifier().verify(fx.pem.forgedLeaf)).toMatchObject({ ok: false, kind: 'trust_domain' });
    expect(verifier().verify(fx.pem.forgedLeaf + fx.pem.otherRoot)).toMatchObject({ ok: false, kind: 'trust_domain' });
    expect(verifier().verify(fx.pem.leaf)).toMatchObject({ ok: false, kind: 'trust_domain' }); // intermediate withheld
    expect(verifier({ trustDomain: 'other.org', bundle: fx.pem.otherRoot }).verify(fx.pem.otherLeaf)).toMatchObject({ ok: true, subject: 'spiffe://other.org/api' });
    expect(verifier({ trustDomain: 'other.org', bundle: fx.pem.otherRoot }).verify(fx.pem.leaf + fx.pem.intermediate)).toMatchObject({ ok: false, kind: 'trust_domain' });
  });

  it('a chain whose links do not sign each other is a signature failure', () => {
    expect(verifier().verify(fx.pem.leaf + fx.pem.otherRoot)).toMatchObject({ ok: false, kind: 'signature' });
    expect(verifier().verify(fx.pem.leaf + fx.pem.caLeaf)).toMatchObject({ ok: false, kind: 'signature' });
  });

  it('a leaf with two URI SANs, a non-SPIFFE URI, no SAN, a bad path, or a CA flag is malformed', () => {
    for (const name of ['twoUris', 'nonSpiffe', 'noSan', 'badPath', 'caLeaf'] as const) {
      expect(verifier().verify(fx.pem[name] + fx.pem.intermediate), name).toMatchObject({ ok: false, kind: 'malformed' });
    }
    expect(verifier().verify(fx.pem.intermediate + fx.pem.root)).toMatchObject({ ok: false, kind: 'malformed', message: expect.stringMatching(/CA certificate/) });
  });

  it('an intermediate that is not a CA cannot issue', () => {
    expect(verifier().verify(fx.pem.underNotCa + fx.pem.notCaIntermediate)).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
  });

  it('garbage, empty and oversized chains are typed failures, never throws', () => {
    const v = verifier();
    expect(v.verify([])).toMatchObject({ ok: false, kind: 'missing' });
    expect(v.verify('')).toMatchObject({ ok: false, kind: 'malformed' });
    expect(v.verify('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toMatchObject({ ok: false, kind: 'malformed' });
    expect(v.verify([Buffer.from('not der')])).toMatchObject({ ok: false, kind: 'malformed' });
    expect(v.verify([Buffer.alloc(20_000)])).toMatchObject({ ok: false, kind: 'too_large' });
    expect(v.verify([42 as never])).toMatchObject({ ok: false, kind: 'malformed' });
    expect(v.verify(Array.from({ length: 9 }, () => fx.pem.intermediate))).toMatchObject({ ok: false, kind: 'too_large' });
    expect(v.verify(fx.pem.leaf.repeat(9))).toMatchObject({ ok: false, kind: 'too_large' });
    expect(v.verify('x'.repeat(1_000_000))).toMatchObject({ ok: false, kind: 'too_large' });
    expect(v.verify(`-----BEGIN CERTIFICATE-----${'A'.repeat(200_000)}`)).toMatchObject({ ok: false, kind: 'malformed' });
    expect(v.verify('-----BEGIN CERTIFICATE-----\n'.repeat(8000))).toMatchObject({ ok: false, kind: 'malformed' });
  });

  it('a bad configuration throws at construction, naming the fix', () => {
    expect(() => verifier({ trustDomain: 'Example.org' })).toThrow(/lowercase/);
    expect(() => verifier({ trustDomain: 'example.org:443' })).toThrow(/port/);
    expect(() => verifier({ bundle: 'nonsense' })).toThrow(/trust bundle/);
    expect(() => verifier({ bundle: fx.pem.leaf })).toThrow(/CA certificate/);
  });
});

describe('X.509-SVIDs as mTLS peers', () => {
  /** What the server's verifier answers for a client presenting `clientCert` (PEM chain) with `clientKey`. */
  async function handshake(clientCert: string, clientKey: string): Promise<unknown> {
    const v = verifier();
    const answers: unknown[] = [];
    const server = createServer({ cert: fx.pem.directLeaf, key: fx.key('directLeaf'), requestCert: true, rejectUnauthorized: false }, (socket: TLSSocket) => {
      answers.push(v.verify(peerCertificateChain(socket.getPeerCertificate(true))));
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const client = connect({ host: '127.0.0.1', port, cert: clientCert, key: clientKey, rejectUnauthorized: false }, () => undefined);
        client.on('error', reject);
        client.on('close', () => resolve());
        client.resume();
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    return answers[0];
  }

  it("verifies the client's chain from a real TLS handshake, and refuses a wrong trust domain", async () => {
    expect(await handshake(fx.pem.leaf + fx.pem.intermediate, fx.key('leaf'))).toMatchObject({ ok: true, subject: 'spiffe://example.org/ns/prod/sa/billing' });
    expect(await handshake(fx.pem.forgedLeaf, fx.key('forgedLeaf'))).toMatchObject({ ok: false, kind: 'trust_domain' });
  });

  it('a peer with no certificate, or an endless issuer loop, is bounded', () => {
    expect(verifier().verify(peerCertificateChain({}))).toMatchObject({ ok: false, kind: 'missing' });
    expect(verifier().verify(peerCertificateChain(undefined))).toMatchObject({ ok: false, kind: 'missing' });
    const a = { raw: der(fx.pem.leaf), issuerCertificate: undefined as unknown };
    const b = { raw: der(fx.pem.intermediate), issuerCertificate: a };
    a.issuerCertificate = b;
    expect(peerCertificateChain(a as never)).toHaveLength(9);
    expect(verifier().verify(peerCertificateChain(a as never))).toMatchObject({ ok: false, kind: 'too_large' });
  });
});

describe('JWT-SVIDs', () => {
  const signer = createPrivateKey(fx.key('leaf'));
  const jwk: JWK = { ...(createPublicKey(signer).export({ format: 'jwk' }) as JWK), kid: 'svid-1', use: 'jwt-svid' };
  const stranger = createPrivateKey(fx.key('otherLeaf'));
  const bundle = { keys: { keys: [jwk] } };
  const svid = (claims: JWTPayload, key = signer, alg = 'ES256'): Promise<string> =>
    new SignJWT({ sub: 'spiffe://example.org/ns/prod/sa/billing', aud: 'spiffe://example.org/api', exp: Math.floor(now / 1000) + 300, ...claims })
      .setProtectedHeader({ alg, kid: 'svid-1', typ: 'JWT' })
      .sign(key);
  const jwtVerifier = (options: Partial<ConstructorParameters<typeof JwtSvidVerifier>[0]> = {}): JwtSvidVerifier =>
    new JwtSvidVerifier({ trustDomain: 'example.org', bundle, audience: 'spiffe://example.org/api', clock, ...options });

  it('verifies a JWT-SVID signed by the trust domain JWT bundle', async () => {
    expect(await jwtVerifier().verify(await svid({ jti: 'j1' }))).toMatchObject({ ok: true, subject: 'spiffe://example.org/ns/prod/sa/billing', proof: 'spiffe-jwt', issuer: 'spiffe://example.org', credentialId: 'j1' });
  });

  it("keys marked 'x509-svid' in the bundle never verify a JWT", async () => {
    const x509Only = jwtVerifier({ bundle: { keys: { keys: [{ ...jwk, use: 'x509-svid' }] } } });
    expect(await x509Only.verify(await svid({}))).toMatchObject({ ok: false, kind: 'signature' });
  });

  it('audience is required, in the configuration and in the token', async () => {
    expect(() => jwtVerifier({ audience: [] })).toThrow(/audience/);
    expect(await jwtVerifier().verify(await svid({ aud: undefined }))).toMatchObject({ ok: false, kind: 'audience' });
    expect(await jwtVerifier().verify(await svid({ aud: 'spiffe://example.org/other' }))).toMatchObject({ ok: false, kind: 'audience' });
  });

  it('a sub in another trust domain, or not a SPIFFE ID, is refused', async () => {
    expect(await jwtVerifier().verify(await svid({ sub: 'spiffe://other.org/api' }))).toMatchObject({ ok: false, kind: 'trust_domain' });
    for (const sub of ['agent-7', 'spiffe://example.org', 'spiffe://example.org/a/../b', undefined]) {
      expect(await jwtVerifier().verify(await svid({ sub })), String(sub)).toMatchObject({ ok: false, kind: 'malformed' });
    }
  });

  it('an unknown signer, expiry, alg none and EdDSA (not in the JWT-SVID list) are refused', async () => {
    expect(await jwtVerifier().verify(await svid({}, stranger))).toMatchObject({ ok: false, kind: 'signature' });
    expect(await jwtVerifier().verify(await svid({ exp: Math.floor(now / 1000) - 120 }))).toMatchObject({ ok: false, kind: 'expired' });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'spiffe://example.org/x', aud: 'spiffe://example.org/api' })).toString('base64url')}.`;
    expect(await jwtVerifier().verify(none)).toMatchObject({ ok: false, kind: 'algorithm' });
    const { privateKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ed25519'));
    expect(await jwtVerifier().verify(await svid({}, privateKey, 'EdDSA'))).toMatchObject({ ok: false, kind: 'algorithm' });
  });
});
