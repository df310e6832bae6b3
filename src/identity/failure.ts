/**
 * Why an identity was not accepted. Every verifier in this folder answers with a verified
 * identity or one of these: a typed kind (the denial reason reads `identity:<kind>: <message>`)
 * and a message that names what was wrong with the proof, never a key, a secret or a token.
 */

/** The kinds of identity failure; each is a denial, never an allow. */
export type IdentityFailureKind =
  /** No proof where one is required. */
  | 'missing'
  /** A proof, DID, key or token that does not parse, or has the wrong shape. */
  | 'malformed'
  /** Larger than the bound for its kind (tokens, chains, envelopes). */
  | 'too_large'
  /** A signature or MAC that does not verify. */
  | 'signature'
  /** An algorithm that is not allowed (`none`, HS* with a public key, an unexpected curve). */
  | 'algorithm'
  /** Past its expiry (beyond the clock-skew tolerance). */
  | 'expired'
  /** Not valid yet (beyond the clock-skew tolerance). */
  | 'not_yet_valid'
  /** A nonce, counter or token already used. */
  | 'replayed'
  /** The replay cache is full: fail closed rather than forget a nonce. */
  | 'replay_cache_full'
  /** The agent, key or credential was revoked. */
  | 'revoked'
  /** Addressed to another audience (or receiver). */
  | 'audience'
  /** Issued by someone this deployment does not trust, or chained to an unknown parent. */
  | 'untrusted_issuer'
  /** A delegation link that widens authority, is too deep, cycles, or outlives its parent. */
  | 'delegation'
  /** A SPIFFE ID outside the trusted trust domain, or a chain to the wrong root. */
  | 'trust_domain'
  /** The request asserts identity facts (ring, roles, trust) itself where only verified ones count. */
  | 'self_asserted'
  /** A key source (JWKS endpoint, trust bundle) could not be read: never an allow. */
  | 'unavailable'
  /** The verified credential's `tools` globs do not grant the tool called. */
  | 'not_granted'
  /** The tool requires a full verification (policy `tools: { <tool>: { verify: full } }`) and the call was proven by a session MAC, or not at all. */
  | 'weak_proof'
  /** The sender of a hand-off is trusted less than the gate's threshold (the reason names both numbers). */
  | 'insufficient_trust';

/** A refused identity: the kind and a message safe to audit. */
export interface IdentityFailure {
  readonly ok: false;
  readonly kind: IdentityFailureKind;
  readonly message: string;
  /**
   * Who presented the proof, set only when its signature (or MAC) and credential verified: a
   * `replayed` envelope or session counter. The kernel lowers that agent's trust score; a
   * failure without it (a forged proof, an unverified DID) moves nobody's score.
   */
  readonly subject?: string;
  /** The verified credential's trust (the subject's trust ceiling), set with `subject`. */
  readonly trust?: number;
}

/** A failure of `kind` with `message` (which must not carry a key, secret or token). */
export function identityFailure(kind: IdentityFailureKind, message: string): IdentityFailure {
  return { ok: false, kind, message };
}

/** A `replayed` failure attributed to the verified identity that presented the replayed proof. */
export function replayedBy(identity: { readonly subject: string; readonly trust: number }, message: string): IdentityFailure {
  return { ok: false, kind: 'replayed', message, subject: identity.subject, trust: identity.trust };
}

/** The denial reason for a failure: `identity:<kind>: <message>`. */
export function identityReason(failure: IdentityFailure): string {
  return `identity:${failure.kind}: ${failure.message}`;
}
