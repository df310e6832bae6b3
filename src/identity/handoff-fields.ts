import { quoteJson } from '../core/canonical-json.js';
import { snapshotJson } from '../core/snapshot.js';
import { MAX_NAME_CHARS, MAX_NONCE_CHARS, MIN_NONCE_CHARS } from './envelope-fields.js';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * A sealed hand-off as it travels from one agent to another: the signed fields, the sender's
 * Ed25519 signature over their canonical JSON, the sender's credential chain and the payload.
 * Reading one is bounded and strict: the size is checked before anything is parsed, unknown
 * fields are refused, and the payload is copied (bounded in bytes and depth) so the receiver
 * works on its own frozen copy, never on an object the sender can still change.
 */

/** Domain separation: a hand-off signature can never pass for an envelope's, nor the reverse. */
export const HANDOFF_TYP = 'agt-handoff+v1';

/** The fields the sender signs. */
export interface HandoffFields {
  /** The sender's did:key. */
  readonly from: string;
  /** The receiver's did:key: a hand-off opens only for the agent it is addressed to. */
  readonly to: string;
  /** The task handed off: a name matched against the sender's tool globs. */
  readonly task: string;
  /** SHA-256 (hex) of the payload's RFC 8785 canonical JSON (`argsDigestOf(payload)`). */
  readonly payloadDigest: string;
  /** At least 128 random bits, base64url. */
  readonly nonce: string;
  /** When it was sealed, integer ms since the epoch. */
  readonly iat: number;
  /** When it stops opening, integer ms since the epoch. */
  readonly exp: number;
}

/** A sealed hand-off on the wire. */
export interface SealedHandoff extends HandoffFields {
  /** Ed25519 signature over {@link handoffSigningInput}, base64url (86 characters). */
  readonly sig: string;
  /** The sender's credential chain: the issuer-signed credential, then any delegation links. */
  readonly chain: readonly string[];
  /** The task's input, a JSON object; the signature covers it through `payloadDigest`. */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Bounds on a sealed hand-off, checked before parsing. */
export interface HandoffBounds {
  /** Largest sealed hand-off: characters of its text, or bytes of its canonical JSON (default 256 KiB). */
  readonly maxBytes?: number;
  /** Deepest nesting, the payload included (default 32). */
  readonly maxDepth?: number;
}

/** Default bounds: 256 KiB, 32 levels. */
export const DEFAULT_HANDOFF_BOUNDS = Object.freeze({ maxBytes: 256 * 1024, maxDepth: 32 });

const HEX_DIGEST = /^[0-9a-f]{64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SIG_CHARS = 86;
const MAX_DID_CHARS = 64;
/** The root credential plus at most this many links is checked by the chain verifier; this only bounds the array. */
const MAX_CHAIN_ENTRIES = 16;
const SEALED_KEYS: ReadonlySet<string> = new Set(['from', 'to', 'task', 'payloadDigest', 'nonce', 'iat', 'exp', 'sig', 'chain', 'payload']);

/**
 * The canonical JSON (RFC 8785) of the signed fields and the type marker, built directly in
 * sorted key order (`exp, from, iat, nonce, payloadDigest, task, to, typ`). Equal to
 * `canonicalJson({ ...fields, typ: HANDOFF_TYP })` (a test holds it to that).
 */
export function handoffSigningInput(fields: HandoffFields): string {
  return (
    '{"exp":' + String(fields.exp) +
    ',"from":' + quoteJson(fields.from) +
    ',"iat":' + String(fields.iat) +
    ',"nonce":' + quoteJson(fields.nonce) +
    ',"payloadDigest":' + quoteJson(fields.payloadDigest) +
    ',"task":' + quoteJson(fields.task) +
    ',"to":' + quoteJson(fields.to) +
    ',"typ":"' + HANDOFF_TYP + '"}'
  );
}

/**
 * `value` (a sealed hand-off, as an object or as its JSON text) read within `bounds`, or a
 * `missing` / `malformed` / `too_large` failure naming the field, never its value. The result is
 * a frozen deep copy. A `payload` is required unless `payloadOptional` (the kernel path, where
 * the payload travels as the action's arguments and is compared by digest).
 */
export function readSealedHandoff(value: unknown, bounds: HandoffBounds = {}, payloadOptional = false): SealedHandoff | IdentityFailure {
  const maxBytes = bounds.maxBytes ?? DEFAULT_HANDOFF_BOUNDS.maxBytes;
  const maxDepth = bounds.maxDepth ?? DEFAULT_HANDOFF_BOUNDS.maxDepth;
  if (value === undefined || value === null || value === '') return identityFailure('missing', 'no sealed hand-off was presented');
  let parsed: unknown = value;
  if (typeof value === 'string') {
    if (value.length > maxBytes) return identityFailure('too_large', `the sealed hand-off is longer than ${maxBytes} characters`);
    try {
      parsed = JSON.parse(value);
    } catch {
      return identityFailure('malformed', 'the sealed hand-off is not JSON');
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return identityFailure('malformed', 'the sealed hand-off is not an object');
  const copy = snapshotJson(parsed, { maxBytes, maxDepth });
  if (!copy.ok) return identityFailure(/\bbytes\b/.test(copy.message) ? 'too_large' : 'malformed', `the sealed hand-off ${copy.message} (at most ${maxBytes} bytes and ${maxDepth} levels)`);
  const sealed = copy.value as Record<string, unknown>;
  for (const key of Object.keys(sealed)) {
    if (!SEALED_KEYS.has(key)) return identityFailure('malformed', 'the sealed hand-off has a field it does not define (allowed: from, to, task, payloadDigest, nonce, iat, exp, sig, chain, payload)');
  }
  return (
    didProblem(sealed.from, 'from') ??
    didProblem(sealed.to, 'to') ??
    taskProblem(sealed.task) ??
    (typeof sealed.payloadDigest !== 'string' || !HEX_DIGEST.test(sealed.payloadDigest) ? malformed('payloadDigest must be 64 lowercase hex digits (SHA-256 of the canonical JSON of the payload)') : null) ??
    nonceProblem(sealed.nonce) ??
    timeProblem(sealed.iat, 'iat') ??
    timeProblem(sealed.exp, 'exp') ??
    (typeof sealed.sig !== 'string' || sealed.sig.length !== SIG_CHARS || !BASE64URL.test(sealed.sig) ? malformed('sig must be an Ed25519 signature in base64url (86 characters)') : null) ??
    chainProblem(sealed.chain) ??
    payloadProblem(sealed.payload, payloadOptional) ??
    (sealed as unknown as SealedHandoff)
  );
}

function malformed(what: string): IdentityFailure {
  return identityFailure('malformed', `the sealed hand-off field ${what}`);
}

function didProblem(value: unknown, field: string): IdentityFailure | null {
  if (value === undefined) return identityFailure('missing', `the sealed hand-off has no ${field} DID`);
  if (typeof value !== 'string' || value.length === 0) return malformed(`${field} must be a did:key string`);
  return value.length > MAX_DID_CHARS ? identityFailure('too_large', `the sealed hand-off field ${field} is longer than a did:key (${MAX_DID_CHARS} characters)`) : null;
}

function taskProblem(value: unknown): IdentityFailure | null {
  if (typeof value !== 'string' || value.length === 0) return malformed('task must be a non-empty string');
  return value.length > MAX_NAME_CHARS ? identityFailure('too_large', `the sealed hand-off field task is longer than ${MAX_NAME_CHARS} characters`) : null;
}

function nonceProblem(nonce: unknown): IdentityFailure | null {
  if (typeof nonce !== 'string') return malformed('nonce must be a string');
  if (nonce.length > MAX_NONCE_CHARS) return identityFailure('too_large', `the sealed hand-off nonce is longer than ${MAX_NONCE_CHARS} characters`);
  if (nonce.length < MIN_NONCE_CHARS || !BASE64URL.test(nonce)) return malformed(`nonce must be at least 128 random bits in base64url (${MIN_NONCE_CHARS}+ characters)`);
  return null;
}

function timeProblem(value: unknown, field: string): IdentityFailure | null {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? null : malformed(`${field} must be an integer count of ms since the epoch`);
}

function chainProblem(chain: unknown): IdentityFailure | null {
  if (chain === undefined) return identityFailure('missing', "the sealed hand-off carries no credential chain (the sender's credential, then any delegation links)");
  if (!Array.isArray(chain) || chain.length === 0 || !chain.every((token) => typeof token === 'string')) return malformed('chain must be a non-empty list of credential and delegation tokens');
  return chain.length > MAX_CHAIN_ENTRIES ? identityFailure('too_large', `the sealed hand-off's chain has more than ${MAX_CHAIN_ENTRIES} tokens`) : null;
}

function payloadProblem(payload: unknown, optional: boolean): IdentityFailure | null {
  if (payload === undefined) return optional ? null : identityFailure('missing', 'the sealed hand-off carries no payload');
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? null : malformed('payload must be a JSON object');
}
