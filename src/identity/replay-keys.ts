import type { ReplayCache } from '../state/replay-cache.js';

/**
 * How proofs' nonces are named in the shared replay cache. A nonce is the signer's: it is
 * remembered under the signer's DID and the kind of proof, so a trusted agent that copies
 * another's nonce (seen in flight, in a batch file) into a proof of its own spends only its own
 * name for it. Keyed by the bare nonce, that copy would burn the victim's envelope, which then
 * arrives as "replayed" and costs the victim trust it never lost by its own doing.
 */

/** The replay-cache key of a signed envelope's nonce. */
export function envelopeReplayKey(did: string, nonce: string): string {
  return `envelope ${did} ${nonce}`;
}

/** The replay-cache key of a sealed hand-off's nonce. */
export function handoffReplayKey(from: string, nonce: string): string {
  return `handoff ${from} ${nonce}`;
}

/**
 * True the first time a replay of the proof remembered under `key` is seen, in any process
 * sharing `cache`; false for every later replay of it (and when the cache cannot say). A
 * replayed proof lowers its subject's trust score once: whoever holds a copy of one proof can
 * have it refused any number of times, but cannot drive the subject's score to zero with it.
 */
export function firstReplayOf(cache: ReplayCache, key: string, expiresAt: number, now: number): boolean {
  try {
    return cache.checkAndRemember(`replay-of ${key}`, expiresAt, now) === 'fresh';
  } catch {
    return false;
  }
}
