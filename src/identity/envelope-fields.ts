import { quoteJson } from '../core/canonical-json.js';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * The signed envelope as it travels: the seven signed fields, the Ed25519 signature over their
 * canonical JSON, and the credential that vouches for the signer. Reading one is bounded and
 * strict: unknown fields, wrong types and oversized values are refused before any crypto runs.
 */

/** The fields an agent signs, exactly as the issue names them. */
export interface EnvelopeFields {
  readonly tool: string;
  readonly stage: string;
  /** SHA-256 hex of the arguments' canonical JSON (`argsDigestOf`). */
  readonly argsDigest: string;
  /** The signer's `did:key`. */
  readonly did: string;
  /** At least 128 random bits, base64url without padding. */
  readonly nonce: string;
  /** When it was signed, integer ms since the epoch. */
  readonly iat: number;
  /** The verifier it is addressed to (the deployment's audience). */
  readonly aud: string;
}

/** A signed envelope: the fields, `sig` (base64url Ed25519 over their canonical JSON) and the credential. */
export interface SignedEnvelope extends EnvelopeFields {
  readonly sig: string;
  /** The credential (opaque here; the injected credential verifier reads it). */
  readonly credential: unknown;
}

/** Shortest nonce: 22 base64url characters carry 132 bits (at least 16 random bytes). */
export const MIN_NONCE_CHARS = 22;
/** Longest nonce: 64 bytes. */
export const MAX_NONCE_CHARS = 86;
/** Longest tool, stage or audience string. */
export const MAX_NAME_CHARS = 512;
/** An Ed25519 signature is 64 bytes: 86 base64url characters. */
const SIG_CHARS = 86;
const MAX_DID_CHARS = 64;

const HEX_DIGEST = /^[0-9a-f]{64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The canonical JSON (RFC 8785) of the signed fields, built directly in sorted key order
 * (`argsDigest, aud, did, iat, nonce, stage, tool`) so signing and verifying skip a generic
 * serializer. Equal to `canonicalJson` of the seven fields (a test holds it to that).
 */
export function envelopeSigningInput(fields: EnvelopeFields): string {
  return (
    '{"argsDigest":' + quoteJson(fields.argsDigest) +
    ',"aud":' + quoteJson(fields.aud) +
    ',"did":' + quoteJson(fields.did) +
    ',"iat":' + String(fields.iat) +
    ',"nonce":' + quoteJson(fields.nonce) +
    ',"stage":' + quoteJson(fields.stage) +
    ',"tool":' + quoteJson(fields.tool) +
    '}'
  );
}

/**
 * `value` as a signed envelope, or a `malformed` / `too_large` / `missing` failure naming the
 * field (never its value). Unknown fields are refused: one envelope has one meaning.
 */
export function readEnvelope(value: unknown): SignedEnvelope | IdentityFailure {
  if (value === undefined || value === null) return identityFailure('missing', 'the action carries no signed envelope');
  if (typeof value !== 'object' || Array.isArray(value)) return identityFailure('malformed', 'the signed envelope is not an object');
  // Stops at the first field it does not define, so at most ten keys are ever looked at.
  for (const key in value) {
    if (Object.hasOwn(value, key) && !ENVELOPE_KEYS.has(key)) return identityFailure('malformed', 'the signed envelope has a field it does not define (allowed: tool, stage, argsDigest, did, nonce, iat, aud, sig, credential)');
  }
  const e = value as Record<string, unknown>;
  return (
    boundedString(e.tool, 'tool', MAX_NAME_CHARS) ??
    boundedString(e.stage, 'stage', MAX_NAME_CHARS) ??
    boundedString(e.aud, 'aud', MAX_NAME_CHARS) ??
    boundedString(e.did, 'did', MAX_DID_CHARS) ??
    (typeof e.argsDigest !== 'string' || !HEX_DIGEST.test(e.argsDigest) ? identityFailure('malformed', 'the envelope field argsDigest must be 64 lowercase hex digits (SHA-256 of the canonical JSON of the arguments)') : null) ??
    nonceProblem(e.nonce) ??
    (!Number.isSafeInteger(e.iat) || (e.iat as number) < 0 ? identityFailure('malformed', 'the envelope field iat must be an integer count of ms since the epoch') : null) ??
    (typeof e.sig !== 'string' || e.sig.length !== SIG_CHARS || !BASE64URL.test(e.sig) ? identityFailure('malformed', 'the envelope field sig must be an Ed25519 signature in base64url (86 characters)') : null) ??
    (e.credential === undefined ? identityFailure('missing', 'the signed envelope carries no credential') : null) ??
    (value as SignedEnvelope)
  );
}

const ENVELOPE_KEYS = new Set(['tool', 'stage', 'argsDigest', 'did', 'nonce', 'iat', 'aud', 'sig', 'credential']);

function boundedString(value: unknown, field: string, max: number): IdentityFailure | null {
  if (typeof value !== 'string') return identityFailure('malformed', `the envelope field ${field} must be a string`);
  if (value.length === 0) return identityFailure('malformed', `the envelope field ${field} is empty`);
  if (value.length > max) return identityFailure('too_large', `the envelope field ${field} is longer than ${max} characters`);
  return null;
}

function nonceProblem(nonce: unknown): IdentityFailure | null {
  if (typeof nonce !== 'string') return identityFailure('malformed', 'the envelope field nonce must be a string');
  if (nonce.length > MAX_NONCE_CHARS) return identityFailure('too_large', `the envelope nonce is longer than ${MAX_NONCE_CHARS} characters`);
  if (nonce.length < MIN_NONCE_CHARS || !BASE64URL.test(nonce)) {
    return identityFailure('malformed', `the envelope nonce must be at least 128 random bits in base64url (${MIN_NONCE_CHARS}+ characters)`);
  }
  return null;
}
