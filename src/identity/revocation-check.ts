import { identityFailure, type IdentityFailure } from './failure.js';
import type { VerifiedIdentity } from './verified.js';

/**
 * What a verifier asks of a revocation list: is this DID or credential id revoked? Implemented
 * by `RevocationList` (./revocation.ts); a plain interface so that verifiers stay free of storage.
 */
export interface RevocationCheck {
  /** True when `id` (a DID or a `jti`) was revoked. Must be cheap: it is asked on every action. */
  isRevoked(id: string): boolean;
  /** The position of the first revoked id in `ids`, or -1; one freshness check for all of them. */
  firstRevoked(ids: readonly string[]): number;
}

/** How a refusal names each id of a proven identity, e.g. `{ subject: "the JWT's subject" }`. */
export interface RevocationNames {
  readonly subject: string;
  readonly credentialId: string;
  readonly issuer: string;
}

/**
 * A `revoked` failure when the proven identity's subject, credential id or issuer was revoked,
 * `unavailable` when the list cannot be read (never an allow), null otherwise. Used by the proof
 * kinds that carry no did:key credential (JWT bearer, X.509-SVID, JWT-SVID), asked after the
 * signature holds and on every call, so a revocation written by any process sharing the store
 * refuses the very next action. The reason names which id, never its value.
 */
export function identityRevocationProblem(revocations: RevocationCheck | undefined, identity: Pick<VerifiedIdentity, 'subject' | 'credentialId' | 'issuer'>, names: RevocationNames): IdentityFailure | null {
  if (revocations === undefined) return null;
  const ids = identity.credentialId === null ? [identity.subject, identity.issuer] : [identity.subject, identity.issuer, identity.credentialId];
  let revoked: number;
  try {
    revoked = revocations.firstRevoked(ids);
  } catch {
    return identityFailure('unavailable', 'the revocation list could not be read; refusing rather than accepting a possibly revoked identity');
  }
  if (revoked < 0) return null;
  const what = [names.subject, names.issuer, names.credentialId][revoked] ?? 'an id of the proof';
  return identityFailure('revoked', `${what} was revoked`);
}
