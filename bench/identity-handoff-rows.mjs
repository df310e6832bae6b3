// Bench row for the hand-off trust gate (issue 10, item 7): seal a hand-off on the sender's side
// and open it on the receiver's (signature, real issuer-signed credential — its verification
// cached as in production —, addressee, freshness, task cover, trust threshold, fresh nonce),
// beside the floor: a raw Ed25519 sign + verify of the same bytes. Called by run.mjs;
//   npm run build && node bench/run.mjs --identity-only     (the identity rows alone)
import { Buffer } from 'node:buffer';
import { sign, verify } from 'node:crypto';
import { generateAgentKey } from '../dist/identity/agent-key.js';
import { issueCredential } from '../dist/identity/credential.js';
import { handoffSigningInput } from '../dist/identity/handoff-fields.js';
import { HandoffOpener } from '../dist/identity/handoff-open.js';
import { sealHandoff } from '../dist/identity/handoff-seal.js';
import { TrustedIssuers } from '../dist/identity/trusted-issuers.js';
import { MemoryReplayCache } from '../dist/state/replay-cache.js';

const PAYLOAD = { invoice: 'inv-42', amount: 125, note: 'customer asked twice' };

export async function identityHandoffRows({ pair, progress, rows }) {
  progress('seal + open a hand-off ...');
  const [root, sender, receiver] = [generateAgentKey(), generateAgentKey(), generateAgentKey()];
  const credential = await issueCredential(root, { subject: sender.did, ring: 2, roles: ['billing'], tools: ['billing.*'], trust: 700, ttlSeconds: 3600 });
  const opener = new HandoffOpener({ receiver: receiver.did, trustedIssuers: TrustedIssuers.of([root.did]), replayCache: new MemoryReplayCache({ capacity: 1_000_000 }), minTrust: 500 });
  const chain = [credential.token];
  const task = { to: receiver.did, task: 'billing.refund', payload: PAYLOAD };
  const once = () => (opener.open(sealHandoff(sender, task, { chain })).ok ? 1 : 0);
  if (once() !== 1) throw new Error('the bench hand-off does not open');
  // The floor: node:crypto's Ed25519 sign and verify of the same signing input, nothing else.
  const bytes = Buffer.from(handoffSigningInput(sealHandoff(sender, task, { chain })));
  const raw = () => (verify(null, bytes, sender.publicKey, sign(null, bytes, sender.privateKey)) ? 1 : 0);
  const r = await pair({ ours: once, peer: raw, n: 10_000, warm: 1_000, rounds: 4 });
  rows.push({ section: 'identity (hand-off trust gate)', what: 'trust gate: seal + open a hand-off (credential, trust, nonce) vs raw Ed25519 sign + verify, p50', ours: r.ours, peer: r.peer, peerLabel: 'raw', by: 'p50', target: 'p50 <= 150 us', met: r.ours.p50Ns <= 150_000 });
}
