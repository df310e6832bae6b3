import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { argsDigestOf } from './action-binding.js';
import type { AgentKey } from './agent-key.js';
import type { CredentialChain } from './delegation.js';
import { didKeyOf } from './did-key.js';
import { freshNonce } from './envelope-sign.js';
import { handoffSigningInput, type SealedHandoff } from './handoff-fields.js';

/**
 * The sender's half of the hand-off trust gate: seal a task for one receiving agent. The seal
 * signs the task's name and the digest of its payload, addressed to the receiver's DID, with a
 * fresh nonce and a short expiry, and carries the sender's credential chain so the receiver can
 * check who the sender is and what it may hand off.
 *
 * The signature covers the payload through its digest (the audit log's `argsDigest` function)
 * rather than the payload itself: signing costs the same for any payload size, the audit entry
 * of the hand-off records exactly the digest the sender signed, and the kernel compares it with
 * the digest of its own bounded copy of the payload without serializing it twice.
 */

/** What is handed off. */
export interface HandoffTask {
  /** The receiving agent's did:key. */
  readonly to: string;
  /** The task's name, matched against the sender's tool globs (`billing.refund`). */
  readonly task: string;
  /** The task's input: a JSON object (default `{}`). */
  readonly payload?: Readonly<Record<string, unknown>>;
}

/** How {@link sealHandoff} seals. */
export interface HandoffSealOptions {
  /** The sender's credential chain: its issuer-signed credential, then any delegation links (a lone token is a chain of one). */
  readonly chain: CredentialChain | string;
  /** How long the seal opens, ms (default 60,000: a hand-off is meant to be opened at once). */
  readonly ttlMs?: number;
  readonly clock?: Clock;
  /** Only for tests and vectors: the nonce (default 128 fresh random bits). */
  readonly nonce?: string;
}

/** Default lifetime of a sealed hand-off: 60 s. */
export const DEFAULT_HANDOFF_TTL_MS = 60_000;

/** The DID of each signing key, derived once (exporting the public half is not free). */
const didOfKey = new WeakMap<KeyObject, string>();

/**
 * Seals `handoff` with the sender's Ed25519 key (an {@link AgentKey} or its private KeyObject).
 * Throws a TypeError for a key that is not an Ed25519 private key, a payload JSON cannot carry,
 * or a non-positive lifetime: those are the sender's bugs, not hostile input.
 */
export function sealHandoff(sender: AgentKey | KeyObject, handoff: HandoffTask, options: HandoffSealOptions): SealedHandoff {
  const privateKey = 'privateKey' in sender ? sender.privateKey : sender;
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('sealHandoff needs an Ed25519 private key');
  let from = didOfKey.get(privateKey);
  if (from === undefined) {
    from = 'did' in sender ? sender.did : didKeyOf(createPublicKey(privateKey));
    didOfKey.set(privateKey, from);
  }
  const ttlMs = options.ttlMs ?? DEFAULT_HANDOFF_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new TypeError('ttlMs must be a positive whole number of milliseconds');
  const payload = handoff.payload ?? {};
  const iat = (options.clock ?? systemClock)();
  const fields = { from, to: handoff.to, task: handoff.task, payloadDigest: argsDigestOf(payload), nonce: options.nonce ?? freshNonce(), iat, exp: iat + ttlMs };
  const sig = sign(null, Buffer.from(handoffSigningInput(fields)), privateKey).toString('base64url');
  const chain = typeof options.chain === 'string' ? [options.chain] : [...options.chain];
  return { ...fields, sig, chain, payload };
}
