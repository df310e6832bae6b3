// Bench rows for issue 10's credential layer: verifying an issuer-signed credential and a
// delegation chain (each beside the raw node:crypto Ed25519 verify it rests on, so the row shows
// what parsing, claim checks and attenuation add), and the revocation check on the hot path
// (SQLite: PRAGMA data_version, then a Set lookup; re-read only after another connection wrote).
//
// Called by run.mjs with its harness: `await identityCredentialRows({ pair, progress, gc, rows })`.
// Run with the others: `node bench/run.mjs --identity-only` (after `npm run build`).
import { Buffer } from 'node:buffer';
import { verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { generateAgentKey } from '../dist/identity/agent-key.js';
import { issueCredential, verifyCredential } from '../dist/identity/credential.js';
import { delegate, verifyCredentialChain } from '../dist/identity/delegation.js';
import { RevocationList } from '../dist/identity/revocation.js';
import { TrustedIssuers } from '../dist/identity/trusted-issuers.js';
import { SqliteRevocationStore } from '../dist/state/sqlite-revocation-store.js';

/** One raw Ed25519 verification of `token`'s signature: the floor under every verify row. */
function rawVerify(token, publicKey) {
  const dot = token.lastIndexOf('.');
  return verify(null, Buffer.from(token.slice(0, dot)), publicKey, Buffer.from(token.slice(dot + 1), 'base64url')) ? 1 : 0;
}

export async function identityCredentialRows({ pair, progress, rows }) {
  progress('identity: credentials, delegation chains, revocation checks ...');
  const root = generateAgentKey();
  const agent = generateAgentKey();
  const child = generateAgentKey();
  const trustedIssuers = TrustedIssuers.of([root.did]);
  const dir = mkdtempSync(join(os.tmpdir(), 'agt-bench-identity-'));
  const store = new SqliteRevocationStore(join(dir, 'state.db'));
  const writer = new SqliteRevocationStore(join(dir, 'state.db'));
  const revocations = new RevocationList(store);
  for (let i = 0; i < 1000; i++) writer.add(`old-${i}`, i);
  const options = { trustedIssuers, revocations };
  try {
    const { token } = await issueCredential(root, { subject: agent.did, ring: 2, roles: ['support'], tools: ['crm.*', 'search'], trust: 600, ttlSeconds: 3600 });
    const { chain } = await delegate(agent, [token], { subject: child.did, tools: ['crm.read'], ttlSeconds: 600 });
    if (verifyCredential(token, options).ok !== true || verifyCredentialChain(chain, options).ok !== true) throw new Error('identity bench fixtures do not verify');

    // Cold: each token verified for the first time (signature, parse, claim shapes), so the cache never answers.
    const cold = [];
    for (let i = 0; i < 3_000; i++) cold.push((await issueCredential(root, { subject: agent.did, ring: 2, roles: ['support'], tools: ['crm.*'], ttlSeconds: 3600, jti: `cold-${i}` })).token);
    let r = await pair({ ours: (i) => (verifyCredential(cold[i % cold.length], options).ok ? 1 : 0), peer: (i) => rawVerify(cold[i % cold.length], root.publicKey), n: 2_000, warm: 200, rounds: 1 });
    rows.push({
      section: 'identity (credentials, delegation, revocation)',
      what: 'verify a credential the first time (EdDSA JWT, 1,000 revocations in SQLite) vs one raw Ed25519 verify',
      ours: r.ours, peer: r.peer, peerLabel: 'raw', by: 'p50', target: 'p50 <= raw + 25 us', met: r.ours.p50Ns <= r.peer.p50Ns + 25_000,
    });

    r = await pair({ ours: () => (verifyCredential(token, options).ok ? 1 : 0), peer: () => rawVerify(token, root.publicKey), n: 20_000, warm: 2_000 });
    rows.push({
      section: 'identity (credentials, delegation, revocation)',
      what: 'verify a credential again (verified-token cache; trust, time, revocation re-checked) vs one raw Ed25519 verify',
      ours: r.ours, peer: r.peer, peerLabel: 'raw', by: 'p50', target: 'p50 <= 5 us', met: r.ours.p50Ns <= 5_000,
    });

    r = await pair({ ours: () => (verifyCredentialChain(chain, options).ok ? 1 : 0), peer: () => rawVerify(token, root.publicKey) + rawVerify(chain[1], agent.publicKey), n: 10_000, warm: 1_000 });
    rows.push({
      section: 'identity (credentials, delegation, revocation)',
      what: 'verify a delegation chain again (credential + 1 link, cached; attenuation, digest re-done) vs two raw Ed25519 verifies',
      ours: r.ours, peer: r.peer, peerLabel: 'raw', by: 'p50', target: 'p50 <= 20 us', met: r.ours.p50Ns <= 20_000,
    });

    r = await pair({ ours: () => (revocations.isRevoked(agent.did) ? 0 : 1), peer: null, n: 200_000, warm: 20_000 });
    rows.push({
      section: 'identity (credentials, delegation, revocation)',
      what: 'revocation check, SQLite store unchanged since the last check (data_version + Set lookup)',
      ours: r.ours, peer: null, by: 'p50', target: 'p50 <= 3 us', met: r.ours.p50Ns <= 3_000,
    });

    let k = 0;
    let seen = true;
    r = await pair({
      ours: () => { const id = `new-${k++}`; writer.add(id, k); const hit = revocations.isRevoked(id); seen &&= hit; return hit ? 1 : 0; },
      peer: () => { writer.add(`peer-${k++}`, k); return 1; },
      n: 4_000, warm: 400,
    });
    rows.push({
      section: 'identity (credentials, delegation, revocation)',
      what: 'another connection revokes, then the revocation check here (re-reads the delta); raw = the write alone',
      ours: r.ours, peer: r.peer, peerLabel: 'raw', by: 'p50', target: 'every revocation seen on the next check', met: seen,
    });
  } finally {
    store.close();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
