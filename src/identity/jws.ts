import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * EdDSA compact JWTs, the one token format of this folder (credentials, delegation links, key
 * rotations). Signing goes through `jose`. Verification is done here, synchronously, with
 * `node:crypto`: jose 6's verify API is Promise-only, while the kernel's identity step runs on
 * the synchronous hot path. Pinning a single algorithm makes the verifier small enough to read:
 * the header must say `alg: EdDSA` and the expected `typ`, the key is always an Ed25519
 * KeyObject the caller chose (never one named by the token), so `none`, HS256-with-a-public-key
 * and RS/ES confusion have no code path to succeed on. The tests check interop both ways with jose.
 */

/** The default bound on a token's length, checked before anything is decoded. */
export const DEFAULT_MAX_TOKEN_BYTES = 8 * 1024;

/** A token split and decoded, its signature not yet checked. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** The bytes the signature covers (`header.payload`). */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Splits and decodes a compact JWT of at most `maxBytes` characters whose header is
 * `{ alg: 'EdDSA', typ }`. `what` names the token in messages ("the credential").
 */
export function decodeEdDsaJwt(token: unknown, typ: string, what: string, maxBytes = DEFAULT_MAX_TOKEN_BYTES): DecodedJwt | IdentityFailure {
  if (typeof token !== 'string' || token.length === 0) return identityFailure('missing', `${what} is missing (expected a compact JWT string)`);
  if (token.length > maxBytes) return identityFailure('too_large', `${what} is ${token.length} characters, over the ${maxBytes}-character bound`);
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return identityFailure('malformed', `${what} is not a compact JWT (three base64url parts)`);
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJsonObject(headerPart);
  if (header === null) return identityFailure('malformed', `${what} has a header that is not a JSON object`);
  if (header.alg !== 'EdDSA') return identityFailure('algorithm', `${what} must be signed with EdDSA (Ed25519); other algorithms, including 'none' and HMAC, are refused`);
  if (header.crit !== undefined) return identityFailure('malformed', `${what} has critical header extensions, which this verifier does not support`);
  if (header.typ !== typ) return identityFailure('malformed', `${what} must have header typ '${typ}'`);
  const payload = decodeJsonObject(payloadPart);
  if (payload === null) return identityFailure('malformed', `${what} has a payload that is not a JSON object`);
  const signature = Buffer.from(signaturePart, 'base64url');
  if (signature.length !== 64) return identityFailure('signature', `${what} does not carry an Ed25519 signature (64 bytes)`);
  return { header, payload, signingInput: `${headerPart}.${payloadPart}`, signature };
}

/** True when `decoded`'s signature verifies under the Ed25519 `publicKey`. */
export function signatureHolds(decoded: DecodedJwt, publicKey: KeyObject): boolean {
  try {
    return verifySignature(null, Buffer.from(decoded.signingInput), publicKey, decoded.signature);
  } catch {
    return false;
  }
}

/** Signs `payload` as a compact EdDSA JWT with header typ `typ` (through jose). */
export async function signEdDsaJwt(payload: JWTPayload, typ: string, privateKey: KeyObject): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ }).sign(privateKey);
}

function decodeJsonObject(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
