// Bench rows for the external identity proofs (issue 10, item 3): JWT bearer tokens and SPIFFE
// SVIDs, each beside the raw library call it wraps (jose's jwtVerify on a local JWKS; two
// X509Certificate.verify calls), so the rows show what our checks add. The issue sets no target
// for these; the targets below are ours (a JWT or SVID proof should cost about what a signed
// envelope does, <= 70 us, plus the signature algorithm's own price).
//
// Called by run.mjs with its harness (`identityExternalRows({ pair, progress, rows })`); run the
// identity rows alone with `node bench/run.mjs --identity-only` (after `npm run build`).
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { JwtBearerVerifier } from '../dist/identity/jwt-bearer.js';
import { JwksSource } from '../dist/identity/jwks-source.js';
import { JwtSvidVerifier, X509SvidVerifier } from '../dist/identity/spiffe.js';

const ISSUER = 'https://login.example.com/tenant/v2.0';
const AUDIENCE = 'api://agt';

function keyPair(kid, alg) {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg, privateKey: pair.privateKey, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig' } };
}

async function sign(key, claims) {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

/** A root, an intermediate and a leaf SVID made with openssl in a temp dir (removed at once). */
function svidChain() {
  const dir = mkdtempSync(join(os.tmpdir(), 'agt-bench-spiffe-'));
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const ca = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'];
    writeFileSync(join(dir, 'root.cnf'), ['[req]', 'distinguished_name=dn', '[dn]', '[v3]', ...ca].join('\n'));
    run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'root.key');
    run('req', '-x509', '-new', '-key', 'root.key', '-subj', '/CN=root', '-days', '30', '-out', 'root.pem', '-config', 'root.cnf', '-extensions', 'v3');
    const issue = (name, issuer, ext) => {
      writeFileSync(join(dir, `${name}.ext`), [...ext, 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'].join('\n'));
      run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
      run('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
      run('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-days', '10', '-out', `${name}.pem`, '-extfile', `${name}.ext`);
    };
    issue('inter', 'root', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']);
    issue('leaf', 'inter', ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'subjectAltName=URI:spiffe://example.org/ns/prod/sa/api']);
    return { root: readFileSync(join(dir, 'root.pem'), 'utf8'), inter: readFileSync(join(dir, 'inter.pem'), 'utf8'), leaf: readFileSync(join(dir, 'leaf.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds the rows to `rows`, measuring with run.mjs's `pair` harness. */
export async function identityExternalRows({ pair, progress, rows }) {
  const section = 'identity (JWT bearer, SPIFFE)';
  for (const alg of ['ES256', 'RS256']) {
    progress(`JWT bearer ${alg}, warm JWKS cache ...`);
    const key = keyPair(`k-${alg}`, alg);
    const now = Date.now();
    const token = await sign(key, { iss: ISSUER, aud: AUDIENCE, sub: 'agent-7', roles: ['support'], exp: Math.floor(now / 1000) + 3600 });
    const ours = new JwtBearerVerifier({ keys: new JwksSource({ keys: { keys: [key.jwk] } }), issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] });
    const raw = createLocalJWKSet({ keys: [key.jwk] });
    if (!(await ours.verify(token)).ok) throw new Error('bench token refused');
    const r = await pair({
      ours: async () => ((await ours.verify(token)).ok ? 1 : 0),
      peer: async () => ((await jwtVerify(token, raw, { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] })).payload.sub ? 1 : 0),
      n: 20_000, warm: 2_000, rounds: 4, async: true,
    });
    const target = alg === 'ES256' ? 150 : 100;
    rows.push({ section, what: `JWT bearer ${alg}: verify + claims mapping (warm JWKS), vs raw jose jwtVerify`, ours: r.ours, peer: r.peer, peerLabel: 'raw jose', refOnly: true, by: 'p50', target: `p50 <= ${target} us`, met: r.ours.p50Ns / 1e3 <= target });
  }

  progress('JWT bearer: alg none refused ...');
  {
    const ours = new JwtBearerVerifier({ keys: new JwksSource({ keys: { keys: [keyPair('k', 'ES256').jwk] } }), issuer: ISSUER, audience: AUDIENCE });
    const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${b64({ alg: 'none' })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: 2e9 })}.`;
    const r = await pair({ ours: async () => ((await ours.verify(none)).ok ? 0 : 1), peer: null, n: 20_000, warm: 2_000, async: true });
    rows.push({ section, what: "JWT bearer: alg 'none' refused", ours: r.ours, by: 'p50', target: 'p50 <= 10 us', met: r.ours.p50Ns / 1e3 <= 10 });
  }

  progress('JWT-SVID ES256 ...');
  {
    const key = keyPair('svid', 'ES256');
    const token = await sign(key, { sub: 'spiffe://example.org/ns/prod/sa/api', aud: 'spiffe://example.org/gw', exp: Math.floor(Date.now() / 1000) + 300 });
    const ours = new JwtSvidVerifier({ trustDomain: 'example.org', bundle: { keys: { keys: [{ ...key.jwk, use: 'jwt-svid' }] } }, audience: 'spiffe://example.org/gw' });
    if (!(await ours.verify(token)).ok) throw new Error('bench JWT-SVID refused');
    const r = await pair({ ours: async () => ((await ours.verify(token)).ok ? 1 : 0), peer: null, n: 20_000, warm: 2_000, async: true });
    rows.push({ section, what: 'JWT-SVID ES256: verify (audience, trust domain, SPIFFE ID)', ours: r.ours, by: 'p50', target: 'p50 <= 150 us', met: r.ours.p50Ns / 1e3 <= 150 });
  }

  progress('X.509-SVID chain (leaf + intermediate, DER as an mTLS peer hands it) ...');
  {
    const pem = svidChain();
    const der = [Buffer.from(new X509Certificate(pem.leaf).raw), Buffer.from(new X509Certificate(pem.inter).raw)];
    const ours = new X509SvidVerifier({ trustDomain: 'example.org', bundle: pem.root });
    if (!ours.verify(der).ok) throw new Error('bench SVID refused');
    const root = new X509Certificate(pem.root);
    const r = await pair({
      ours: () => (ours.verify(der).ok ? 1 : 0),
      peer: () => {
        const leaf = new X509Certificate(der[0]);
        const inter = new X509Certificate(der[1]);
        return leaf.verify(inter.publicKey) && inter.verify(root.publicKey) ? 1 : 0;
      },
      n: 10_000, warm: 1_000, rounds: 4,
    });
    rows.push({ section, what: 'X.509-SVID: parse DER chain + verify to bundle, vs raw parse + 2 X509Certificate.verify', ours: r.ours, peer: r.peer, peerLabel: 'raw node:crypto', refOnly: true, by: 'p50', target: 'p50 <= 300 us', met: r.ours.p50Ns / 1e3 <= 300 });
  }
}
