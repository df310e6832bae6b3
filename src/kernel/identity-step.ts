import { argsDigestOfJson, argsDigestOfRequest } from '../core/digest.js';
import type { Clock } from '../core/clock.js';
import { failedDecision } from '../core/failed-decision.js';
import { canonicalJson } from '../core/canonical-json.js';
import type { Decision, DecisionIdentity, Stage } from '../core/types.js';
import { identityFailure, identityReason, type IdentityFailure, type IdentityFailureKind } from '../identity/failure.js';
import { compileGlobList, type NameMatcher } from '../core/glob.js';
import type { RevocationCheck } from '../identity/revocation-check.js';
import type { ActionFacts, IdentityAnswer, IdentityVerifier } from '../identity/verifier.js';
import type { VerifiedIdentity } from '../identity/verified.js';
import type { TrustScores } from '../identity/trust-scores.js';
import type { TrustScoreStore } from '../state/trust-score-store.js';
import { withAgent, type Bounded } from './bounds.js';

/**
 * Step 1 of the pipeline, identity: the action's proof is verified and the request's `agent` is
 * rebuilt from what it proved, and from nothing else, so a condition reading `agent.ring`,
 * `agent.roles` or `agent.trust` reads facts an issuer signed.
 */

/** How the kernel establishes who acts (KernelOptions.identity). */
export interface KernelIdentityOptions {
  /**
   * `zero-trust`: every action must carry a proof, and an action (or the kernel's default agent)
   * that asserts ring, roles or trust itself is denied. `permissive`: an action without a proof
   * is decided on its asserted agent, as without identity; one with a proof is verified all the
   * same (a bad proof is a denial, never ignored).
   */
  mode: 'zero-trust' | 'permissive';
  /** Verifies each action's proof (see identity/verifier.ts and identity/proof-kinds.ts). */
  verifier: IdentityVerifier;
  /** The clock verifiers are handed as `facts.now` (default the wall clock); trust scores move and recover by it too. */
  clock?: Clock;
  /**
   * Where agents' live trust scores are kept (default a memory store of this kernel's own). A
   * `SqliteTrustScoreStore` shares them with every process on the machine. The request's
   * `agent.trust` is the live score; the credential's trust is its ceiling.
   */
  trustScores?: TrustScoreStore;
  /**
   * The revocation list the verifiers read, asked once more when a call proven earlier is about
   * to run (held for a human's approval, or decided now and run later): a revocation in between
   * refuses the run. Without it, such a call runs on the proof it was decided with.
   */
  revocations?: RevocationCheck;
}

/**
 * Why the agent a held call was proven as may no longer act: its id, credential or issuer was
 * revoked since (or the list cannot be read, which refuses too). Null when it still may.
 */
export function revokedSince(options: KernelIdentityOptions, agent: Readonly<Record<string, unknown>>): IdentityFailure | null {
  const revocations = options.revocations;
  if (!revocations) return null;
  const ids = [agent.id, agent.credential_id, agent.issuer].filter((id): id is string => typeof id === 'string');
  try {
    if (revocations.firstRevoked(ids) < 0) return null;
  } catch {
    return identityFailure('unavailable', 'the revocation list could not be read before running a call proven earlier');
  }
  return identityFailure('revoked', 'the agent, its credential or its issuer was revoked after this call was decided');
}

/** The bounded action with its verified agent, or the denial that ends it (not yet recorded). */
export type IdentityOutcome = { ok: true; bounded: Bounded; identity: DecisionIdentity | null } | { ok: false; decision: Decision };

/** Agent fields only a verified credential may set. */
const ASSERTED_FACTS = ['ring', 'roles', 'trust'] as const;

const FAILURE_KINDS: ReadonlySet<string> = new Set<IdentityFailureKind>([
  'missing', 'malformed', 'too_large', 'signature', 'algorithm', 'expired', 'not_yet_valid', 'replayed', 'replay_cache_full',
  'revoked', 'audience', 'untrusted_issuer', 'delegation', 'trust_domain', 'self_asserted', 'unavailable', 'not_granted', 'weak_proof',
  'insufficient_trust',
]);

/** Runs the identity step for one bounded action. Never throws; a verifier that throws or answers nonsense is a denial. */
export function verifyIdentity(bounded: Bounded, options: KernelIdentityOptions, clock: Clock, revision: string, trust: TrustScores | null = null): IdentityOutcome | Promise<IdentityOutcome> {
  const stage = bounded.request.stage;
  const deny = (failure: IdentityFailure, identity?: DecisionIdentity): IdentityOutcome => ({ ok: false, decision: identityDenial(failure, stage, revision, identity) });
  if (bounded.proofProblem !== undefined) {
    return deny(identityFailure(/\bbytes\b/.test(bounded.proofProblem) ? 'too_large' : 'malformed', `${bounded.proofProblem} (a proof must be JSON data within 64 KiB and 8 levels)`));
  }
  if (bounded.proof === undefined && options.mode === 'permissive') return { ok: true, bounded, identity: null };
  const asserted = bounded.request.agent;
  const claimed = ASSERTED_FACTS.find((fact) => asserted[fact] !== undefined);
  if (claimed !== undefined) {
    return deny(identityFailure('self_asserted', `the agent asserts its own ${claimed}; ring, roles and trust come only from a verified credential`));
  }
  if (bounded.proof === undefined) return deny(identityFailure('missing', 'this kernel runs in zero-trust mode: every action must carry an identity proof'));
  const facts: ActionFacts = { tool: bounded.request.tool_name, stage, argsDigest: argsDigestOfRequest(bounded.request) ?? argsDigestOfJson(canonicalJson(bounded.request.args)), now: clock() };
  let answer: IdentityAnswer | Promise<IdentityAnswer>;
  try {
    answer = options.verifier.verify(bounded.proof, facts);
  } catch (error) {
    return verifierBroke(error, stage, revision);
  }
  if (answer instanceof Promise) {
    return answer.then(
      (settled) => conclude(bounded, settled, facts, revision, trust),
      (error: unknown) => verifierBroke(error, stage, revision),
    );
  }
  return conclude(bounded, answer, facts, revision, trust);
}

/** The verifier's answer checked (it is code the kernel does not trust to be well-formed) and applied to the request. */
function conclude(bounded: Bounded, answer: unknown, facts: ActionFacts, revision: string, trust: TrustScores | null): IdentityOutcome {
  const stage = facts.stage;
  // A frozen identity derived before was checked then and cannot have changed: a session's
  // actions skip the shape checks (WeakMap.get of a non-object is undefined).
  let derived = derivedCache.get(answer as VerifiedIdentity);
  if (derived === undefined) {
    const failure = asFailure(answer);
    if (failure) {
      if (trust && failure.kind === 'replayed') noteReplay(trust, answer as IdentityFailure, facts.now);
      return { ok: false, decision: identityDenial(failure, stage, revision) };
    }
    if (!isVerifiedIdentity(answer)) return verifierBroke('answered something that is neither a verified identity nor an identity failure', stage, revision);
    derived = derivedFrom(answer);
  }
  const verifiedAnswer = answer as VerifiedIdentity;
  const { identity, grants } = derived;
  const problem = identityProblem(bounded, verifiedAnswer, facts, grants);
  if (problem !== null) return { ok: false, decision: identityDenial(problem, stage, revision, identity) };
  let agent = derived.agent;
  if (trust) {
    let score: number;
    try {
      score = trust.scoreOf(verifiedAnswer.subject, verifiedAnswer.trust, facts.now);
      // A delegate acts at no more than any agent that delegated to it stands now (no laundering through a fresh key).
      for (const delegator of verifiedAnswer.delegators ?? []) score = Math.min(score, trust.scoreOf(delegator.subject, delegator.trust, facts.now));
    } catch {
      return { ok: false, decision: identityDenial(identityFailure('unavailable', 'the trust score store could not be read; refusing rather than deciding on an unknown score'), stage, revision, identity) };
    }
    agent = scoredAgent(derived, score);
  }
  const verified = withAgent(bounded, agent, verifiedAnswer.subject);
  verified.identity = identity;
  return { ok: true, bounded: verified, identity };
}

/** Why a verified identity cannot act here: expired since, contradicted by what the action asserts, or not granted the tool. */
function identityProblem(bounded: Bounded, answer: VerifiedIdentity, facts: ActionFacts, grants: NameMatcher): IdentityFailure | null {
  if (answer.expiresAt <= facts.now) return identityFailure('expired', 'the verified identity has expired');
  const asserted = bounded.request.agent;
  if (asserted.id !== undefined && asserted.id !== answer.subject) return identityFailure('self_asserted', 'the agent id asserted with the action is not the subject its proof verifies');
  if (asserted.did !== undefined && asserted.did !== answer.subject) return identityFailure('self_asserted', 'the agent DID asserted with the action is not the subject its proof verifies');
  if (facts.stage === 'pre_tool' && (facts.tool === null || !grants(facts.tool))) return identityFailure('not_granted', "the verified credential's tools do not grant this tool");
  return null;
}

/** What the kernel derives from one verified identity: the decision's identity, the request's agent, the tool grants. */
interface Derived {
  readonly identity: DecisionIdentity;
  /** The agent with the credential's trust. */
  readonly agent: Readonly<Record<string, unknown>>;
  readonly grants: NameMatcher;
  /** The agent with the last live score read for it, rebuilt only when the score moves. */
  scored?: { readonly score: number; readonly agent: Readonly<Record<string, unknown>> };
}

/** The request's agent with `agent.trust` the live score: a policy condition on `agent.trust` reads the score, not the credential. */
function scoredAgent(derived: Derived, score: number): Readonly<Record<string, unknown>> {
  if (score === derived.agent.trust) return derived.agent;
  const scored = derived.scored;
  if (scored?.score === score) return scored.agent;
  const agent = Object.freeze({ ...derived.agent, trust: score });
  derived.scored = { score, agent };
  return agent;
}

/**
 * A replayed proof lowers its presenter's score, when the verifier says who that is (it sets
 * `subject` only once the proof's signature or MAC and credential verified); an unattributed
 * replay (a forged or unverified proof) moves nobody's score.
 */
function noteReplay(trust: TrustScores, failure: IdentityFailure, now: number): void {
  const { subject, trust: ceiling } = failure;
  if (typeof subject !== 'string' || subject === '' || !Number.isInteger(ceiling) || (ceiling as number) < 0 || (ceiling as number) > 1000) return;
  try {
    trust.record(subject, 'replay', ceiling, now);
  } catch {
    // Not written: the loss still counts in this process's reads and is retried with the next write.
  }
}

/**
 * Derived once per verified identity object when the verifier hands out a frozen one (a session
 * answers every action with its session's identity): a session-proven call then pays no copies
 * and no glob compilation. A mutable answer could change after the check, so it is derived anew.
 */
const derivedCache = new WeakMap<VerifiedIdentity, Derived>();

function derivedFrom(answer: VerifiedIdentity): Derived {
  const cached = derivedCache.get(answer);
  if (cached) return cached;
  const derived: Derived = {
    identity: Object.freeze({ subject: answer.subject, proof: answer.proof, credentialId: answer.credentialId, delegationDigest: answer.delegationDigest }),
    agent: agentOf(answer),
    grants: compileGlobList(answer.tools),
  };
  if (Object.isFrozen(answer) && Object.isFrozen(answer.tools) && Object.isFrozen(answer.roles)) derivedCache.set(answer, derived);
  return derived;
}

/** The request's agent, built only from the verified identity. */
function agentOf(verified: VerifiedIdentity): Readonly<Record<string, unknown>> {
  return Object.freeze({
    id: verified.subject,
    ...(verified.subject.startsWith('did:key:') ? { did: verified.subject } : {}),
    ring: verified.ring,
    roles: Object.freeze([...verified.roles]),
    trust: verified.trust,
    tools: Object.freeze([...verified.tools]),
    proof: verified.proof,
    issuer: verified.issuer,
    credential_id: verified.credentialId,
    delegation: verified.delegationDigest,
    // Who delegated to it, and at which ring: the ring guard caps a delegate's elevation by them.
    ...(verified.delegators?.length ? { delegators: Object.freeze(verified.delegators.map((d) => Object.freeze({ subject: d.subject, ...(Number.isInteger(d.ring) ? { ring: d.ring } : {}) }))) } : {}),
  });
}

function asFailure(answer: unknown): IdentityFailure | null {
  if (typeof answer !== 'object' || answer === null || (answer as { ok?: unknown }).ok !== false) return null;
  const { kind, message } = answer as { kind?: unknown; message?: unknown };
  // An unknown kind or a missing message is still a denial: never an allow.
  return identityFailure(typeof kind === 'string' && FAILURE_KINDS.has(kind) ? (kind as IdentityFailureKind) : 'malformed', typeof message === 'string' ? message : 'the proof was refused');
}

function isVerifiedIdentity(answer: unknown): answer is VerifiedIdentity {
  if (typeof answer !== 'object' || answer === null) return false;
  const a = answer as Record<string, unknown>;
  return (
    a.ok === true &&
    typeof a.subject === 'string' && a.subject !== '' &&
    typeof a.proof === 'string' &&
    typeof a.issuer === 'string' &&
    (a.credentialId === null || typeof a.credentialId === 'string') &&
    Number.isInteger(a.ring) && (a.ring as number) >= 0 && (a.ring as number) <= 3 &&
    isStringList(a.roles) && isStringList(a.tools) &&
    typeof a.trust === 'number' && a.trust >= 0 && a.trust <= 1000 &&
    typeof a.expiresAt === 'number' && !Number.isNaN(a.expiresAt) &&
    (a.delegationDigest === null || typeof a.delegationDigest === 'string')
  );
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** The denial for a refused identity: reason `identity:<kind>: <message>`, step `identity`. */
export function identityDenial(failure: IdentityFailure, stage: Stage, revision: string, identity?: DecisionIdentity): Decision {
  const decision = failedDecision('guard', failure.message, stage, revision);
  decision.reason = decision.message = identityReason(failure);
  decision.diagnostics = { matchedRules: [], errors: [], step: 'identity' };
  if (identity) decision.identity = identity;
  return decision;
}

function verifierBroke(error: unknown, stage: Stage, revision: string): IdentityOutcome {
  const why = typeof error === 'string' ? error : `threw ${error instanceof Error ? error.name : 'a non-error'}`;
  const decision = failedDecision('guard', `the identity verifier ${why}`, stage, revision);
  decision.diagnostics.step = 'identity';
  return { ok: false, decision };
}
