/**
 * `agent-governance-toolkit/identity`: zero-trust identity for the kernel's identity step
 * (`KernelOptions.identity`). Agent keys and their did:key, operator-issued credentials and
 * delegation chains, per-action proofs (signed envelopes, session MACs), JWT bearer (OIDC, Entra
 * ID) and SPIFFE verification, revocation, and the trust-score rule. Reference: docs/identity.md.
 */
export { AgentKey, generateAgentKey, agentKeyFromJwk, publicKeyFromJwk } from '../identity/agent-key.js';
export type { PublicEd25519Jwk, PrivateEd25519Jwk } from '../identity/agent-key.js';
export { didKeyOf, publicKeyOfDid, isFailure } from '../identity/did-key.js';
export { identityFailure, identityReason, replayedBy } from '../identity/failure.js';
export type { IdentityFailure, IdentityFailureKind } from '../identity/failure.js';
export type { VerifiedIdentity, ProofKind, Delegator } from '../identity/verified.js';
export type { IdentityVerifier, ActionFacts, IdentityAnswer } from '../identity/verifier.js';
export { byProofKind, envelopeProof, sessionProof, bearerProof, jwtSvidProof, x509SvidProof } from '../identity/proof-kinds.js';
export type { ProofVerifiers } from '../identity/proof-kinds.js';
export { issueCredential, verifyCredential, toVerifiedIdentity } from '../identity/credential.js';
export type { CredentialGrant, IssuedCredential, CredentialVerifyOptions, VerifiedCredential } from '../identity/credential.js';
export { delegate, verifyCredentialChain } from '../identity/delegation.js';
export type { CredentialChain, DelegationGrant, ChainVerifyOptions, DelegatedCredential } from '../identity/delegation.js';
export { formatCredentialFile, parseCredentialFile, envelopeCredentialOf, chainOfEnvelopeCredential, unverifiedAuthorityOf, MAX_CREDENTIAL_FILE_LINES } from '../identity/credential-file.js';
export type { UnverifiedAuthority } from '../identity/credential-file.js';
export { TrustedIssuers } from '../identity/trusted-issuers.js';
export { RevocationList } from '../identity/revocation.js';
export { signRotation, verifyRotation, RotationRegistry, MemoryRotationStatementStore } from '../identity/rotation.js';
export type { Rotation, RotationStatementStore } from '../identity/rotation.js';
export { argsDigestOf } from '../identity/action-binding.js';
export type { ProvenAction } from '../identity/action-binding.js';
export { EnvelopeVerifier } from '../identity/envelope.js';
export type { EnvelopeVerifierOptions, CredentialVerifier } from '../identity/envelope.js';
export { signEnvelope, freshNonce } from '../identity/envelope-sign.js';
export type { EnvelopeSigningOptions } from '../identity/envelope-sign.js';
export { SessionMacVerifier } from '../identity/session.js';
export type { IssuedSession, SessionProof, SessionMacOptions } from '../identity/session.js';
export { SessionClient } from '../identity/session-client.js';
export { JwtBearerVerifier } from '../identity/jwt-bearer.js';
export type { JwtBearerOptions } from '../identity/jwt-bearer.js';
export { JwksSource } from '../identity/jwks-source.js';
export type { JwksSourceOptions } from '../identity/jwks-source.js';
export { X509SvidVerifier, JwtSvidVerifier, parseSpiffeId, peerCertificateChain } from '../identity/spiffe.js';
export type { X509SvidOptions, JwtSvidOptions, SpiffeId, SpiffeGrants, WorkloadGrant } from '../identity/spiffe.js';
export { applyTrustEvent, trustAt, trustCeiling, TRUST_WEIGHTS } from '../identity/trust-score.js';
export type { TrustEvent, TrustState, TrustRule } from '../identity/trust-score.js';
export { agentProver } from '../identity/agent-prover.js';
export type { AgentProver, AgentProverOptions, EnvelopeProofObject, SessionProofObject } from '../identity/agent-prover.js';
export { SESSION_HANDSHAKE } from '../identity/session-handshake.js';
export { TrustScores } from '../identity/trust-scores.js';
export type { TrustScoresOptions } from '../identity/trust-scores.js';
export type { RevocationCheck } from '../identity/revocation-check.js';
export { sealHandoff, DEFAULT_HANDOFF_TTL_MS } from '../identity/handoff-seal.js';
export type { HandoffTask, HandoffSealOptions } from '../identity/handoff-seal.js';
export { openHandoff, HandoffOpener } from '../identity/handoff-open.js';
export type { HandoffOpenOptions, OpenedHandoff } from '../identity/handoff-open.js';
export { handoffSigningInput, readSealedHandoff, HANDOFF_TYP, DEFAULT_HANDOFF_BOUNDS } from '../identity/handoff-fields.js';
export type { HandoffFields, SealedHandoff, HandoffBounds } from '../identity/handoff-fields.js';
export { HandoffGate, UNREADABLE_HANDOFF_TASK } from '../kernel/handoff-gate.js';
export type { HandoffGateOptions, HandoffAnswer, ReceiveHandoff } from '../kernel/handoff-gate.js';
