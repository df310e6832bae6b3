import { createPublicKey, type KeyObject } from 'node:crypto';
import { base58 } from '@scure/base';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * W3C `did:key` for Ed25519: `did:key:z` + base58btc(0xed 0x01 ‖ the 32-byte public key). The
 * identifier is self-certifying: anyone derives the public key from the DID alone, so a
 * verifier needs no registry to check an agent's signature.
 */

const PREFIX = 'did:key:z';
/** The multicodec varint for ed25519-pub (0xed), as its two varint bytes. */
const ED25519_PUB = Uint8Array.of(0xed, 0x01);
const KEY_BYTES = 32;
/** `did:key:z` plus base58 of 34 bytes is at most 9 + 47 characters; anything longer is refused before decoding. */
const MAX_DID_LENGTH = 64;

/** The `did:key` of an Ed25519 public key. Throws a TypeError for any other key type. */
export function didKeyOf(publicKey: KeyObject): string {
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError(`did:key here is for Ed25519 keys, not ${publicKey.asymmetricKeyType ?? 'this key'}`);
  const jwk = publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x ?? '', 'base64url');
  const bytes = new Uint8Array(ED25519_PUB.length + raw.length);
  bytes.set(ED25519_PUB, 0);
  bytes.set(raw, ED25519_PUB.length);
  return PREFIX + base58.encode(bytes);
}

/** The Ed25519 public key a `did:key` names, or a `malformed` failure saying what is wrong. */
export function publicKeyOfDid(did: unknown): KeyObject | IdentityFailure {
  if (typeof did !== 'string') return identityFailure('malformed', 'the DID is not a string');
  if (did.length > MAX_DID_LENGTH) return identityFailure('malformed', `the DID is longer than an Ed25519 did:key (${MAX_DID_LENGTH} characters)`);
  if (!did.startsWith(PREFIX)) return identityFailure('malformed', "the DID is not a base58btc did:key (it must start with 'did:key:z')");
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(did.slice(PREFIX.length));
  } catch {
    return identityFailure('malformed', 'the did:key is not valid base58btc');
  }
  if (bytes.length !== ED25519_PUB.length + KEY_BYTES || bytes[0] !== ED25519_PUB[0] || bytes[1] !== ED25519_PUB[1]) {
    return identityFailure('malformed', 'the did:key does not hold an Ed25519 public key (multicodec 0xed01 and 32 bytes)');
  }
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes.subarray(ED25519_PUB.length)).toString('base64url') }, format: 'jwk' });
  } catch {
    return identityFailure('malformed', 'the did:key does not hold a valid Ed25519 public key');
  }
}

/** True when `value` is an identity failure rather than what was asked for. */
export function isFailure(value: unknown): value is IdentityFailure {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}
