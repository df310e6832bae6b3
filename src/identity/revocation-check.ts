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
