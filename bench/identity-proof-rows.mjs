// Bench rows for the per-action identity proofs (issue 10, item 3): verifying a signed envelope
// with a fresh nonce, verifying a session MAC, and signing an envelope beside the peer's
// AgentIdentity.sign. The credential check is a fixed fake (the credential module caches its own
// verification; these rows measure the proof). Called by run.mjs with its harness;
//   npm run build && node bench/run.mjs --identity-only     (the identity rows alone)
import { Buffer } from 'node:buffer';
import { TextEncoder } from 'node:util';
import { createHmac, createPublicKey, createSecretKey, generateKeyPairSync, verify } from 'node:crypto';
import { AgentIdentity } from '@microsoft/agent-governance-sdk';
import { argsDigestOf } from '../dist/identity/action-binding.js';
import { didKeyOf } from '../dist/identity/did-key.js';
import { EnvelopeVerifier } from '../dist/identity/envelope.js';
import { envelopeSigningInput } from '../dist/identity/envelope-fields.js';
import { signEnvelope } from '../dist/identity/envelope-sign.js';
import { SessionMacVerifier } from '../dist/identity/session.js';
import { SessionClient } from '../dist/identity/session-client.js';
import { sessionMacInput } from '../dist/identity/session-mac-input.js';
import { MemoryReplayCache } from '../dist/state/replay-cache.js';

const AUD = 'agt://bench';
const ACTION = { tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf({ table: 'users', rows: 5 }) };

function fixture() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const did = didKeyOf(publicKey);
  const identity = { ok: true, subject: did, proof: 'jwt', issuer: 'did:key:issuer', credentialId: 'cred-1', ring: 2, roles: ['support'], tools: ['crm.*'], trust: 600, expiresAt: Date.now() + 3_600_000, delegationDigest: null };
  return { privateKey, did, identity, credentials: () => identity };
}

export async function identityProofRows({ pair, progress, rows }) {
  const { privateKey, identity, credentials } = fixture();
  const publicKey = createPublicKey(privateKey);
  const N = 20_000;
  const WARM = 2_000;

  progress('verify a signed envelope (fresh nonce) ...');
  {
    const verifier = new EnvelopeVerifier({ audience: AUD, credentials, replayCache: new MemoryReplayCache({ capacity: 1_000_000 }) });
    // Signed up front (each with its own nonce), so the timed calls are verification alone.
    const envelopes = Array.from({ length: N + WARM * 2 }, () => signEnvelope(privateKey, ACTION, { aud: AUD, credential: 'cred' }));
    let next = 0;
    // The "raw" line is node:crypto's Ed25519 verify of the same bytes alone: the floor, so the row shows what verification adds.
    const bytes = Buffer.from(envelopeSigningInput(envelopes[0]));
    const sig = Buffer.from(envelopes[0].sig, 'base64url');
    const r = await pair({ ours: () => (verifier.verify(envelopes[next++], ACTION).ok ? 1 : 0), peer: () => (verify(null, bytes, publicKey, sig) ? 1 : 0), n: N, warm: WARM, rounds: 4 });
    rows.push({ section: 'identity (per-action proofs)', what: 'verify a signed envelope (Ed25519, fresh nonce) vs raw crypto.verify, p50', ours: r.ours, peer: r.peer, peerLabel: 'raw', by: 'p50', target: 'p50 <= 70 us', met: r.ours.p50Ns <= 70_000 });
  }

  progress('sign an envelope vs the peer\'s AgentIdentity.sign ...');
  {
    const peerIdentity = AgentIdentity.generate('bench-agent');
    const payload = new TextEncoder().encode(envelopeSigningInput({ ...ACTION, did: identity.subject, nonce: 'A'.repeat(22), iat: Date.now(), aud: AUD }));
    const r = await pair({
      ours: () => (signEnvelope(privateKey, ACTION, { aud: AUD, credential: 'cred' }).sig.length > 0 ? 1 : 0),
      peer: () => (peerIdentity.sign(payload).length > 0 ? 1 : 0),
      n: N, warm: WARM, rounds: 4,
    });
    rows.push({ section: 'identity (per-action proofs)', what: 'sign an envelope (nonce + canonical JSON + Ed25519) vs peer AgentIdentity.sign (bytes only)', ours: r.ours, peer: r.peer, peerLabel: 'AGT TS SDK', by: 'p50', target: 'faster than the peer', met: r.ours.p50Ns < r.peer.p50Ns });
  }

  progress('verify a session MAC ...');
  {
    const verifier = new SessionMacVerifier({ audience: AUD, ttlMs: 3_600_000 });
    const client = new SessionClient(verifier.issue(identity));
    const proofs = Array.from({ length: N + WARM * 2 }, () => client.prove(ACTION));
    let next = 0;
    // The "raw" line is one createHmac over the same MAC input, alone: the floor.
    const key = createSecretKey(Buffer.alloc(32, 7));
    const input = sessionMacInput(ACTION, identity.subject, 1, AUD);
    const r = await pair({ ours: () => (verifier.verify(proofs[next++], ACTION).ok ? 1 : 0), peer: () => createHmac('sha256', key).update(input).digest().length, n: N, warm: WARM, rounds: 4 });
    rows.push({ section: 'identity (per-action proofs)', what: 'verify a session MAC (HMAC-SHA-256 + replay window) vs raw createHmac, p50', ours: r.ours, peer: r.peer, peerLabel: 'raw', by: 'p50', target: 'p50 <= 3 us', met: r.ours.p50Ns <= 3_000 });
  }
}
