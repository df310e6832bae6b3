import { decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../core/clock.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import type { JwksSource } from './jwks-source.js';

/**
 * The JWT checks shared by bearer tokens and JWT-SVIDs: a size bound before parsing, an
 * asymmetric-only algorithm allow-list (so `none` and HMAC "signed" with a public key's bytes are
 * refused before any key is touched), the signature against the issuer's JWKS (one refresh for an
 * unknown key id), `exp` required, and `nbf`/`exp`/`iss`/`aud` at the injected clock time.
 */

/** Asymmetric JWS algorithms accepted by default. */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Default bound on a token's length, in characters (Entra access tokens are a few KiB). */
export const DEFAULT_MAX_TOKEN_CHARS = 16 * 1024;

/** What a token must satisfy besides its signature. */
export interface JwtChecks {
  readonly algorithms: readonly string[];
  /** Pinned `iss` values; omitted means `iss` is not checked (JWT-SVIDs). */
  readonly issuer?: readonly string[];
  /** Accepted `aud` values; the token must name at least one. */
  readonly audience: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly maxTokenChars: number;
  readonly clock: Clock;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/**
 * The allow-list to use: `requested` (default every asymmetric algorithm), refusing at
 * configuration time anything that is not asymmetric. Throws a TypeError naming the fix.
 */
export function checkedAlgorithms(requested: readonly string[] | undefined): readonly string[] {
  const algorithms = requested ?? ASYMMETRIC_ALGORITHMS;
  if (algorithms.length === 0) throw new TypeError('the JWT algorithm allow-list is empty; omit it to accept every asymmetric algorithm');
  for (const alg of algorithms) {
    if (!ASYMMETRIC_ALGORITHMS.includes(alg)) throw new TypeError(`JWT algorithm ${JSON.stringify(alg)} is not allowed: use asymmetric ones only (${ASYMMETRIC_ALGORITHMS.join(', ')})`);
  }
  return algorithms;
}

/** A token that passed every check: its claims, still untrusted input in their values. */
export interface VerifiedJwt {
  readonly ok: true;
  readonly payload: JWTPayload;
}

/** The verified payload of `token`, or why it is refused. Never throws. */
export async function verifyJwt(token: unknown, keys: JwksSource, checks: JwtChecks): Promise<VerifiedJwt | IdentityFailure> {
  if (typeof token !== 'string' || token.length === 0) return identityFailure('missing', 'no JWT was presented');
  if (token.length > checks.maxTokenChars) return identityFailure('too_large', `the JWT is longer than ${checks.maxTokenChars} characters`);
  if (!COMPACT_JWS.test(token)) return identityFailure('malformed', 'the JWT is not in JWS compact form (three base64url parts)');
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    return identityFailure('malformed', "the JWT's header is not valid base64url JSON");
  }
  if (typeof alg !== 'string') return identityFailure('malformed', "the JWT's header has no 'alg'");
  if (!checks.algorithms.includes(alg)) return identityFailure('algorithm', `the JWT's algorithm is not allowed; accepted: ${checks.algorithms.join(', ')} ('none' and HMAC are always refused)`);

  const resolve = await keys.current();
  if (typeof resolve !== 'function') return resolve;
  const first = await attempt(token, resolve, checks);
  if (first !== NO_MATCHING_KEY) return first;
  const refreshed = await keys.afterUnknownKey();
  if (refreshed === null) return identityFailure('signature', "no key in the issuer's JWKS matches the JWT's key id and algorithm");
  if (typeof refreshed !== 'function') return refreshed;
  const second = await attempt(token, refreshed, checks);
  return second === NO_MATCHING_KEY ? identityFailure('signature', "no key in the issuer's JWKS matches the JWT's key id and algorithm") : second;
}

const NO_MATCHING_KEY = Symbol('no matching key');

async function attempt(token: string, resolve: JWTVerifyGetKey, checks: JwtChecks): Promise<VerifiedJwt | IdentityFailure | typeof NO_MATCHING_KEY> {
  try {
    const { payload } = await jwtVerify(token, resolve, {
      algorithms: [...checks.algorithms],
      ...(checks.issuer === undefined ? {} : { issuer: [...checks.issuer] }),
      audience: [...checks.audience],
      currentDate: new Date(checks.clock()),
      clockTolerance: checks.clockToleranceSeconds,
      requiredClaims: ['exp'],
    });
    return { ok: true, payload };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === 'ERR_JWKS_NO_MATCHING_KEY' ? NO_MATCHING_KEY : failureOf(code, (error as { claim?: unknown }).claim);
  }
}

/** jose's error codes as typed kinds; jose's own messages are not passed on (they are not ours to audit). */
function failureOf(code: unknown, claim: unknown): IdentityFailure {
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return identityFailure('expired', "the JWT's 'exp' has passed");
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claimFailure(claim);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return identityFailure('signature', "the JWT's signature does not verify against the issuer's key");
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return identityFailure('algorithm', "the JWT's algorithm is not supported for this key");
    case 'ERR_JWKS_INVALID':
    case 'ERR_JWK_INVALID':
      return identityFailure('unavailable', "a key in the issuer's JWKS could not be imported");
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return identityFailure('signature', "the JWT's signature verifies against none of the issuer's keys");
    default:
      return identityFailure('malformed', 'the JWT could not be verified: its header or claims are malformed');
  }
}

function claimFailure(claim: unknown): IdentityFailure {
  switch (claim) {
    case 'nbf':
      return identityFailure('not_yet_valid', "the JWT's 'nbf' is in the future");
    case 'iss':
      return identityFailure('untrusted_issuer', "the JWT's 'iss' is not a pinned issuer");
    case 'aud':
      return identityFailure('audience', "the JWT's 'aud' does not name this audience");
    case 'exp':
      return identityFailure('malformed', "the JWT has no valid 'exp' claim");
    default:
      return identityFailure('malformed', `the JWT's ${typeof claim === 'string' && /^[a-z]{2,5}$/.test(claim) ? `'${claim}' ` : ''}claim is invalid`);
  }
}
