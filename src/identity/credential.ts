import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import type { AgentKey } from './agent-key.js';
import { claimProblem, credentialClaimsSchema, type CredentialClaims } from './claims.js';
import { isFailure } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import { decodeEdDsaJwt, DEFAULT_MAX_TOKEN_BYTES, signatureHolds, signEdDsaJwt } from './jws.js';
import type { RevocationCheck } from './revocation-check.js';
import { DEFAULT_CLOCK_SKEW_SECONDS, timeWindowProblem } from './token-times.js';
import type { TrustedIssuers } from './trusted-issuers.js';
import type { ProofKind, VerifiedIdentity } from './verified.js';
import { VerifiedTokens } from './verified-tokens.js';


/**
 * A fresh credential id (`jti`): a random UUID (122 random bits). It never begins with `-`, so
 * it can be passed to `agt identity revoke` as is (a base64url id could read as an option).
 */
export function freshCredentialId(): string {
  return randomUUID();
}

/**
 * Credentials: an issuer (the operator's root key) states who an agent is and what it may be,
 * as an EdDSA JWT `{ sub: DID, ring, roles, tools, trust, iat, exp, nbf?, iss, jti }` with header
 * typ {@link CREDENTIAL_TYP}. A credential alone proves nothing about an action (anyone holding
 * the token could replay it); it is the authority a per-action proof rests on, so verification
 * answers with the verified facts and the caller decides the proof kind.
 */

/** The JWT header `typ` of a credential: a link or a rotation statement can never pass for one. */
export const CREDENTIAL_TYP = 'agt-credential+jwt';

/** What an issuer grants. */
export interface CredentialGrant {
  /** The agent's did:key. */
  readonly subject: string;
  /** Privilege ring 0 (most privileged) to 3. */
  readonly ring: number;
  readonly roles: readonly string[];
  /** Tool-name globs the agent may call. */
  readonly tools: readonly string[];
  /** Trust value 0-1000 (default 500). */
  readonly trust?: number;
  /** Lifetime in seconds from now. */
  readonly ttlSeconds: number;
  /** Not valid before this many seconds from now (default: valid at once). */
  readonly notBeforeSeconds?: number;
  /** The credential id (default: a random UUID, see freshCredentialId). */
  readonly jti?: string;
}

/** An issued credential. */
export interface IssuedCredential {
  readonly ok: true;
  readonly token: string;
  readonly claims: CredentialClaims;
}

/** How to verify a credential. */
export interface CredentialVerifyOptions {
  /** The issuers whose signature counts. */
  readonly trustedIssuers: TrustedIssuers;
  /** When set, a revoked subject DID, issuer DID or `jti` is refused. */
  readonly revocations?: RevocationCheck;
  readonly clock?: Clock;
  /** Tolerance for clock skew, seconds (default 60). */
  readonly clockSkewSeconds?: number;
  /** Refuse longer tokens before decoding them (default 8 KiB). */
  readonly maxTokenBytes?: number;
}

/**
 * The authority a verified credential (or delegation chain) establishes; see {@link toVerifiedIdentity}.
 * The facts of a {@link VerifiedIdentity} without the proof kind (the per-action proof adds it),
 * and always with the root credential's `jti` as `credentialId`. `issuer` is the root issuer's did:key.
 */
export type VerifiedCredential = Omit<VerifiedIdentity, 'proof' | 'credentialId'> & { readonly credentialId: string };

const DEFAULT_TRUST = 500;

/** Signs a credential for `grant` with the issuer's key. A grant that would not verify is refused, not signed. */
export async function issueCredential(issuer: AgentKey, grant: CredentialGrant, clock: Clock = systemClock): Promise<IssuedCredential | IdentityFailure> {
  const iat = Math.floor(clock() / 1000);
  if (!Number.isInteger(grant.ttlSeconds) || grant.ttlSeconds <= 0) return identityFailure('malformed', 'the credential lifetime must be a positive whole number of seconds');
  const candidate = {
    iss: issuer.did, sub: grant.subject, jti: grant.jti ?? freshCredentialId(),
    iat, exp: iat + grant.ttlSeconds, ...(grant.notBeforeSeconds === undefined ? {} : { nbf: iat + grant.notBeforeSeconds }),
    ring: grant.ring, roles: [...grant.roles], tools: [...grant.tools], trust: grant.trust ?? DEFAULT_TRUST,
  };
  const parsed = credentialClaimsSchema.safeParse(candidate);
  if (!parsed.success) return identityFailure('malformed', `cannot issue: ${claimProblem(parsed.error, candidate)}`);
  return { ok: true, token: await signEdDsaJwt(parsed.data, CREDENTIAL_TYP, issuer.privateKey), claims: parsed.data };
}

/**
 * Verifies an issuer-signed credential: bounded size, EdDSA only, typ, a trusted issuer's
 * signature, claim shapes, validity window (with clock skew), revocation. Never throws.
 */
export function verifyCredential(token: unknown, options: CredentialVerifyOptions): (VerifiedCredential & { readonly claims: CredentialClaims }) | IdentityFailure {
  const claims = checkedClaims(token, options);
  if (isFailure(claims)) return claims;
  if (options.trustedIssuers.keyOf(claims.iss) === undefined) return identityFailure('untrusted_issuer', "the credential's issuer is not one of the trusted issuers");
  const when = timeWindowProblem(claims, (options.clock ?? systemClock)(), options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS, 'the credential');
  if (when) return when;
  const revoked = options.revocations ? revocationProblem(options.revocations, claims, 'the credential') : null;
  if (revoked) return revoked;
  return {
    ok: true, subject: claims.sub, issuer: claims.iss, credentialId: claims.jti,
    ring: claims.ring, roles: claims.roles, tools: claims.tools, trust: claims.trust,
    expiresAt: claims.exp * 1000, delegationDigest: null, claims,
  };
}

/** Credentials whose signature and shape were checked (see ./verified-tokens.ts for why keeping them is sound). */
const verifiedCredentials = new VerifiedTokens<CredentialClaims>();

/** The claims of a credential whose size, algorithm, trusted issuer's signature and claim shapes hold. */
function checkedClaims(token: unknown, options: CredentialVerifyOptions): CredentialClaims | IdentityFailure {
  const maxBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  const known = typeof token === 'string' && token.length <= maxBytes ? verifiedCredentials.get(token) : undefined;
  if (known) return known;
  const decoded = decodeEdDsaJwt(token, CREDENTIAL_TYP, 'the credential', maxBytes);
  if (isFailure(decoded)) return decoded;
  const iss = decoded.payload.iss;
  const issuerKey = typeof iss === 'string' ? options.trustedIssuers.keyOf(iss) : undefined;
  if (issuerKey === undefined) return identityFailure('untrusted_issuer', "the credential's issuer is not one of the trusted issuers");
  if (!signatureHolds(decoded, issuerKey)) return identityFailure('signature', "the credential's signature does not verify under its issuer's key");
  const parsed = credentialClaimsSchema.safeParse(decoded.payload);
  if (!parsed.success) return identityFailure('malformed', `the credential: ${claimProblem(parsed.error, decoded.payload)}`);
  verifiedCredentials.set(token as string, parsed.data);
  return parsed.data;
}

/**
 * Which part of a token's claims is revoked, named safely ('id (jti)', 'subject', 'issuer'), as
 * a `revoked` failure; an `unavailable` failure when the list cannot be read (never an allow);
 * null when none is revoked.
 */
export function revocationProblem(revocations: RevocationCheck, claims: { jti: string; sub: string; iss: string }, what: string): IdentityFailure | null {
  try {
    const revoked = revocations.firstRevoked([claims.jti, claims.sub, claims.iss]);
    if (revoked < 0) return null;
    return identityFailure('revoked', `${what}'s ${['id (jti)', 'subject', 'issuer'][revoked] ?? 'id'} was revoked`);
  } catch {
    return identityFailure('unavailable', `the revocation list could not be read while checking ${what}`);
  }
}

/** The VerifiedIdentity a per-action proof of `kind` establishes on top of verified authority. */
export function toVerifiedIdentity(authority: VerifiedCredential, proof: ProofKind, expiresAt = authority.expiresAt): VerifiedIdentity {
  return {
    ok: true, subject: authority.subject, proof, issuer: authority.issuer, credentialId: authority.credentialId,
    ring: authority.ring, roles: authority.roles, tools: authority.tools, trust: authority.trust,
    expiresAt: Math.min(expiresAt, authority.expiresAt), delegationDigest: authority.delegationDigest,
    ...(authority.revocationIds ? { revocationIds: authority.revocationIds } : {}),
    ...(authority.delegators ? { delegators: authority.delegators } : {}),
  };
}
