import type { Stage } from '../core/types.js';
import type { IdentityFailure } from './failure.js';
import type { VerifiedIdentity } from './verified.js';

/**
 * The kernel's identity step talks to proofs through this one interface, so every proof kind
 * (signed envelope, session MAC, JWT bearer, SPIFFE) plugs in the same way.
 */

/**
 * What the kernel knows about the action a proof must be for. A proof that binds to the action
 * (a signed envelope, a session MAC) is checked against these; a bearer proof ignores them.
 */
export interface ActionFacts {
  /** The tool called, at the tool points; null elsewhere. */
  readonly tool: string | null;
  /** The intervention point. */
  readonly stage: Stage;
  /**
   * SHA-256 (hex) of the arguments' RFC 8785 canonical JSON: the same digest the audit entry
   * records as `argsDigest` (see core/digest.ts).
   */
  readonly argsDigest: string;
  /** The kernel's clock, ms since the epoch, read once for this action. */
  readonly now: number;
}

/** What a verifier answers: the identity the proof establishes, or why it does not. */
export type IdentityAnswer = VerifiedIdentity | IdentityFailure;

/**
 * Verifies the proof an action carries. It must never throw on hostile input (the kernel still
 * turns a throw into a denial) and its failure messages must never carry a key, secret, token or
 * request value: they become audited reasons.
 */
export interface IdentityVerifier {
  /** The identity `proof` establishes for the action described by `facts`, or why not. */
  verify(proof: unknown, facts: ActionFacts): IdentityAnswer | Promise<IdentityAnswer>;
}
