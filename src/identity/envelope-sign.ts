import { createPublicKey, randomFillSync, sign, type KeyObject } from 'node:crypto';
import { didKeyOf } from './did-key.js';
import type { ProvenAction } from './action-binding.js';
import { envelopeSigningInput, type SignedEnvelope } from './envelope-fields.js';

/**
 * The agent side of the signed envelope: sign one action for one audience with the agent's
 * Ed25519 private key. Every call draws a fresh 128-bit nonce, so each envelope can be spent once.
 */

/** What {@link signEnvelope} needs besides the action. */
export interface EnvelopeSigningOptions {
  /** The verifier's audience (the deployment's `identity.audience`). */
  readonly aud: string;
  /** The credential that vouches for this key's DID, carried as is. */
  readonly credential: unknown;
  /** Signing time, ms since the epoch (default: now). */
  readonly iat?: number;
  /** A nonce to use instead of 16 fresh random bytes (tests only: a reused nonce is refused as a replay). */
  readonly nonce?: string;
}

/** DIDs of private keys already seen: deriving one exports the public key, which is not free. */
const didOfKey = new WeakMap<KeyObject, string>();

const NONCE_BYTES = 16;
/**
 * Nonces are cut from a pool of CSPRNG bytes refilled 256 nonces at a time: `randomBytes(16)`
 * costs about 3 us a call (a buffer and a native job each), the slice about 0.1 us. Nonces are
 * public (they travel in the envelope); each pool byte is handed out exactly once.
 */
const noncePool = Buffer.alloc(NONCE_BYTES * 256);
let noncePoolOffset = noncePool.length;

/** A fresh nonce: 16 random bytes (128 bits), base64url (22 characters). */
export function freshNonce(): string {
  if (noncePoolOffset === noncePool.length) {
    randomFillSync(noncePool);
    noncePoolOffset = 0;
  }
  const nonce = noncePool.toString('base64url', noncePoolOffset, noncePoolOffset + NONCE_BYTES);
  noncePoolOffset += NONCE_BYTES;
  return nonce;
}

/** Signs `action` as a {@link SignedEnvelope} with `privateKey` (Ed25519). Throws a TypeError for any other key. */
export function signEnvelope(privateKey: KeyObject, action: ProvenAction, options: EnvelopeSigningOptions): SignedEnvelope {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('signEnvelope needs an Ed25519 private key');
  let did = didOfKey.get(privateKey);
  if (did === undefined) {
    did = didKeyOf(createPublicKey(privateKey));
    didOfKey.set(privateKey, did);
  }
  const fields = { tool: action.tool, stage: action.stage, argsDigest: action.argsDigest, did, nonce: options.nonce ?? freshNonce(), iat: options.iat ?? Date.now(), aud: options.aud };
  const sig = sign(null, Buffer.from(envelopeSigningInput(fields)), privateKey).toString('base64url');
  return { ...fields, sig, credential: options.credential };
}

