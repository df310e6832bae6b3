import type { EnvelopeVerifier } from './envelope.js';
import { identityFailure } from './failure.js';
import type { JwtBearerVerifier } from './jwt-bearer.js';
import type { SessionMacVerifier } from './session.js';
import type { JwtSvidVerifier } from './spiffe-jwt.js';
import type { X509SvidVerifier } from './spiffe-x509.js';
import type { ActionFacts, IdentityAnswer, IdentityVerifier } from './verifier.js';

/**
 * Proofs as actions carry them: JSON objects tagged with their `kind`, so one kernel can accept
 * several kinds and route each to its verifier:
 *
 * - `{ kind: 'jwt', token }`: an OIDC / Entra bearer token ({@link JwtBearerVerifier});
 * - `{ kind: 'spiffe-x509', chain }`: an X.509-SVID chain, leaf first, as PEM text or a list of
 *   PEM strings ({@link X509SvidVerifier});
 * - `{ kind: 'spiffe-jwt', token }`: a JWT-SVID ({@link JwtSvidVerifier});
 * - `{ kind: 'envelope', envelope }`: the agent's signature over this very action, with its
 *   credential ({@link EnvelopeVerifier});
 * - `{ kind: 'session', sessionId, counter, mac }`: an HMAC over this very action under a session
 *   opened by a full verification ({@link SessionMacVerifier}).
 *
 * Bearer kinds prove who holds the token, not which action it was presented for: anyone holding
 * it can present it again until it expires. Prefer a signed envelope or session MAC where the
 * agent can sign.
 */

/** Verifiers by proof kind; a kind with no verifier here is refused. */
export type ProofVerifiers = Readonly<Record<string, IdentityVerifier>>;

const KIND_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * One verifier for several proof kinds: reads the proof's `kind` and hands the proof to the
 * verifier registered for it. A proof that is not an object with a known kind is `malformed`.
 */
export function byProofKind(verifiers: ProofVerifiers): IdentityVerifier {
  const table = new Map(Object.entries(verifiers));
  return {
    verify(proof: unknown, facts: ActionFacts): IdentityAnswer | Promise<IdentityAnswer> {
      const kind = typeof proof === 'object' && proof !== null && !Array.isArray(proof) ? (proof as { kind?: unknown }).kind : undefined;
      if (typeof kind !== 'string') return identityFailure('malformed', "the proof must be an object with a string 'kind'");
      const verifier = table.get(kind);
      // The kind is echoed only when it is a plain word, so a hostile one cannot smuggle text into the reason.
      if (!verifier) return identityFailure('malformed', KIND_PATTERN.test(kind) ? `proofs of kind '${kind}' are not accepted here` : 'the proof kind is not one accepted here');
      return verifier.verify(proof, facts);
    },
  };
}

/** `{ kind: 'jwt', token }` verified by a {@link JwtBearerVerifier}. */
export function bearerProof(verifier: Pick<JwtBearerVerifier, 'verify'>): IdentityVerifier {
  return { verify: (proof) => verifier.verify(memberOf(proof, 'token')) };
}

/** `{ kind: 'spiffe-jwt', token }` verified by a {@link JwtSvidVerifier}. */
export function jwtSvidProof(verifier: Pick<JwtSvidVerifier, 'verify'>): IdentityVerifier {
  return { verify: (proof) => verifier.verify(memberOf(proof, 'token')) };
}

/** `{ kind: 'spiffe-x509', chain }` verified by an {@link X509SvidVerifier}; the chain is PEM text or a list of PEM strings. */
export function x509SvidProof(verifier: Pick<X509SvidVerifier, 'verify'>): IdentityVerifier {
  return {
    verify(proof) {
      const chain = memberOf(proof, 'chain');
      const pems = typeof chain === 'string' ? chain : Array.isArray(chain) && chain.every((item) => typeof item === 'string') ? (chain as string[]) : undefined;
      if (pems === undefined) return identityFailure('malformed', "an X.509-SVID proof's chain must be PEM text or a list of PEM strings");
      return verifier.verify(pems);
    },
  };
}

/** `{ kind: 'envelope', envelope }` verified by an {@link EnvelopeVerifier} against the action being decided. */
export function envelopeProof(verifier: Pick<EnvelopeVerifier, 'verify'>): IdentityVerifier {
  return {
    verify(proof, facts) {
      if (facts.tool === null) return identityFailure('malformed', 'a signed envelope proves a tool call, and this action names no tool');
      return verifier.verify(memberOf(proof, 'envelope'), { tool: facts.tool, stage: facts.stage, argsDigest: facts.argsDigest });
    },
  };
}

/** `{ kind: 'session', sessionId, counter, mac }` verified by a {@link SessionMacVerifier} against the action being decided. */
export function sessionProof(verifier: Pick<SessionMacVerifier, 'verify'>): IdentityVerifier {
  return {
    verify(proof, facts) {
      if (facts.tool === null) return identityFailure('malformed', 'a session MAC proves a tool call, and this action names no tool');
      return verifier.verify(proof, { tool: facts.tool, stage: facts.stage, argsDigest: facts.argsDigest });
    },
  };
}

function memberOf(proof: unknown, name: string): unknown {
  return typeof proof === 'object' && proof !== null ? (proof as Record<string, unknown>)[name] : undefined;
}
