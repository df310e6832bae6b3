import type { Clock } from '../core/clock.js';
import { toVerifiedIdentity } from '../identity/credential.js';
import { chainOfEnvelopeCredential } from '../identity/credential-file.js';
import { verifyCredentialChain } from '../identity/delegation.js';
import { isFailure } from '../identity/did-key.js';
import type { IdentityFailureKind } from '../identity/failure.js';
import { EnvelopeVerifier, type CredentialVerifier } from '../identity/envelope.js';
import { JwtBearerVerifier } from '../identity/jwt-bearer.js';
import { bearerProof, byProofKind, envelopeProof, jwtSvidProof, sessionProof, x509SvidProof } from '../identity/proof-kinds.js';
import type { RevocationList } from '../identity/revocation.js';
import { SessionMacVerifier, type SessionMacOptions } from '../identity/session.js';
import { JwtSvidVerifier } from '../identity/spiffe-jwt.js';
import { X509SvidVerifier } from '../identity/spiffe-x509.js';
import type { IdentityVerifier } from '../identity/verifier.js';
import type { KernelIdentityOptions } from '../kernel/identity-step.js';
import type { TrustScoreStore } from '../state/trust-score-store.js';
import type { ReplayCache } from '../state/replay-cache.js';
import type { IdentityDeployment } from './resolve-config.js';

/**
 * The identity section turned into verifiers: what examples/identity.mjs wires by hand. Every
 * proof kind the deployment can check is routed by `byProofKind`; a kind it cannot check (no
 * OIDC issuer configured, say) is refused as not accepted here.
 */

/** The verifiers a deployment's identity section builds, and the kernel options routing to them. */
export interface IdentityWiring {
  readonly kernel: KernelIdentityOptions;
  readonly envelopes: EnvelopeVerifier;
  readonly sessions: SessionMacVerifier;
}

/** The state every verifier of a deployment shares (one SQLite file by default). */
export interface IdentityState {
  readonly replayCache: ReplayCache;
  readonly revocations: RevocationList;
  readonly trustScores: TrustScoreStore;
}

/** Builds the verifiers over the shared replay cache, revocation list and trust scores. */
export function wireIdentity(identity: IdentityDeployment, state: IdentityState, clock?: Clock): IdentityWiring {
  const { replayCache, revocations, trustScores } = state;
  const credentials: CredentialVerifier = (credential, _did, now) => {
    // A bare credential is a chain of one; a delegated agent carries [credential, ...links].
    const verified = verifyCredentialChain(chainOfEnvelopeCredential(credential), { trustedIssuers: identity.issuers, revocations, clock: () => now, maxDepth: identity.maxDelegationDepth });
    return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'envelope');
  };
  const envelopes = new EnvelopeVerifier({ audience: identity.audience, credentials, replayCache, freshnessMs: identity.freshnessMs, skewMs: identity.clockSkewMs, ...(clock ? { clock } : {}) });
  const sessionOptions: SessionMacOptions = { audience: identity.audience, ttlMs: identity.sessionTtlMs, revocations, ...(clock ? { clock } : {}) };
  const sessions = new SessionMacVerifier(sessionOptions);
  const verifiers: Record<string, IdentityVerifier> = { envelope: envelopeProof(envelopes), session: sessionProof(sessions) };
  // Every proof kind consults the same revocation list, so `agt identity revoke` reaches them all.
  const bearers = identity.oidc.map((options) => new JwtBearerVerifier({ ...options, revocations, ...(clock ? { clock } : {}) }));
  if (bearers.length > 0) verifiers.jwt = bearerProof({ verify: (token) => firstAccepting(bearers, token) });
  if (identity.x509Svid) verifiers['spiffe-x509'] = x509SvidProof(new X509SvidVerifier({ ...identity.x509Svid, revocations, ...(clock ? { clock } : {}) }));
  if (identity.jwtSvid) verifiers['spiffe-jwt'] = jwtSvidProof(new JwtSvidVerifier({ ...identity.jwtSvid, revocations, ...(clock ? { clock } : {}) }));
  return { kernel: { mode: identity.mode, verifier: byProofKind(verifiers), trustScores, revocations, ...(clock ? { clock } : {}) }, envelopes, sessions };
}

/** Failures only the token's own issuer can give (its signature held): asking the next issuer would only blur the reason. */
const DECIDED = new Set<IdentityFailureKind>(['expired', 'revoked']);

/**
 * Several OIDC issuers: the token's own `iss` picks one without trusting it (each verifier pins
 * its issuer and checks the signature); with one issuer, it alone answers.
 */
async function firstAccepting(bearers: readonly JwtBearerVerifier[], token: unknown): ReturnType<JwtBearerVerifier['verify']> {
  let answer = await (bearers[0] as JwtBearerVerifier).verify(token);
  for (let i = 1; i < bearers.length && isFailure(answer) && !DECIDED.has(answer.kind); i++) answer = await (bearers[i] as JwtBearerVerifier).verify(token);
  return answer;
}
