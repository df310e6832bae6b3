/**
 * What a verified proof establishes about the agent acting. The kernel builds the request's
 * `agent` from this alone in zero-trust mode, so a condition reading `agent.ring`, `agent.roles`
 * or `agent.trust` reads facts an issuer signed, not what the caller claimed.
 */

/** How the action was proven. */
export type ProofKind = 'envelope' | 'session' | 'jwt' | 'spiffe-x509' | 'spiffe-jwt' | 'handoff';

/** An agent identity that a proof established. */
export interface VerifiedIdentity {
  readonly ok: true;
  /** The agent's DID (`did:key:z...`) or, for JWT and SPIFFE proofs, its subject (`spiffe://td/path`). */
  readonly subject: string;
  /** How it was proven. */
  readonly proof: ProofKind;
  /** Who vouched for it: the credential's `iss` (a DID or an OIDC issuer URL), or the SPIFFE trust domain. */
  readonly issuer: string;
  /** The credential's id (`jti`), when the proof rests on one. */
  readonly credentialId: string | null;
  /** Privilege ring 0 (most privileged) to 3, as the credential grants; 3 when it grants none. */
  readonly ring: number;
  readonly roles: readonly string[];
  /** Tool-name globs the credential allows (`crm.*`); empty grants none, `['*']` grants all. */
  readonly tools: readonly string[];
  /** The credential's trust value, 0-1000 (the trust score starts here). */
  readonly trust: number;
  /** When the proof stops being valid, in ms since the epoch. */
  readonly expiresAt: number;
  /** SHA-256 (hex) of the delegation chain the authority came through, null for a direct credential. */
  readonly delegationDigest: string | null;
  /**
   * Every id whose revocation ends this identity beyond its subject, credential id and issuer:
   * for a delegation chain, each token's `jti` and subject DID. A session keeps checking them
   * on every MAC, so revoking any link of the chain stops the session's next action.
   */
  readonly revocationIds?: readonly string[];
  /**
   * For a delegated identity, every agent that delegated along the chain (the issuer-signed
   * credential's subject first), each with the trust stated where it was the subject. The kernel
   * caps the delegate's live score by theirs, so an agent that lost trust cannot act at its
   * credential's full trust through a fresh key it delegates to.
   */
  readonly delegators?: readonly Delegator[];
}

/** One agent that delegated along a chain: its DID, the trust its own credential or link states (its score's ceiling) and its ring. */
export interface Delegator {
  readonly subject: string;
  readonly trust: number;
  /** The ring its own credential or link grants (a delegate's elevation is capped by it). */
  readonly ring?: number;
}
