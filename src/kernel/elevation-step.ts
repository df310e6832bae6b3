import { failedDecision } from '../core/failed-decision.js';
import { describeError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import type { AgentRef, Decision, GovernanceRequest, NormalizedRequest } from '../core/types.js';
import { agentRingOf } from '../execution/rings/agent-ring.js';
import { delegatorRings, delegatorsOf } from '../execution/rings/effective-ring.js';
import { ELEVATE_TOOL, elevationProblem, readElevationAsk, type ElevationAsk } from '../execution/rings/elevation-rules.js';
import type { ElevationGrant } from '../state/elevation-grant-store.js';
import type { Kernel } from './kernel.js';
import type { RingSettings } from './ring-step.js';

/**
 * Elevation through the kernel: an agent's request to act at a more privileged ring for a while
 * is the tool call {@link ELEVATE_TOOL} `{ ring, durationMs, reason }`, decided by Kernel.handle
 * like any action (identity, policy, audit) and always held for a human (the configured
 * ApprovalHandler), whatever the policy says: a policy can deny it or name approvers, never
 * grant it alone. The rules (execution/rings/elevation-rules.ts) are checked before the human is
 * asked and again before the grant is written; the grant, its revocation and its expiry are
 * each recorded in the audit log.
 */

/** What an agent asks for with {@link Kernel.requestElevation}. */
export interface ElevationRequest {
  /** The agent asking (with identity, the proof decides who it is). Default the kernel's agent. */
  agent?: AgentRef | string;
  /** Its identity proof, as for any action. */
  proof?: unknown;
  /** The ring to act at: 1 or 2 (one above its own; never 0). */
  ring: number;
  /** How long the grant lives; default 5 minutes, at most 1 hour. */
  durationMs?: number;
  /** Why, for the human who approves it. */
  reason: string;
  /** Values policy conditions can read as `context`. */
  context?: Record<string, unknown>;
}

/** The answer to an elevation request: the grant, or why there is none. Either way, the decision recorded. */
export type ElevationOutcome = { readonly granted: true; readonly grant: ElevationGrant; readonly decision: Decision } | { readonly granted: false; readonly reason: string; readonly decision: Decision };

/**
 * The elevation rules for an {@link ELEVATE_TOOL} call, as a guard: a denial before the policy
 * and the human see it, or undefined. Never throws.
 */
export function checkElevationAsk(request: NormalizedRequest, verified: boolean, settings: RingSettings, revision: string): Decision | undefined {
  if (request.stage !== 'pre_tool' || request.tool_name !== ELEVATE_TOOL) return undefined;
  const problem = askProblem(request, verified, settings);
  return typeof problem === 'string' ? elevationDenial(problem, revision) : undefined;
}

/** Why this elevation cannot be granted now, or the checked ask. Never throws. */
function askProblem(request: NormalizedRequest, verified: boolean, settings: RingSettings): string | ElevationAsk {
  const read = readElevationAsk(request.args);
  if (!read.ok) return read.message;
  const own = agentRingOf(request.agent.ring, verified);
  if (!own.ok) return own.message;
  if (typeof request.agent.id !== 'string' || request.agent.id === '' || request.agent.id === 'anonymous') return 'an elevation is granted to a named agent: the request names none';
  let parents: number[];
  try {
    parents = delegatorRings(settings.grants, delegatorsOf(request.agent), settings.clock());
  } catch (error) {
    return `the elevation grants could not be read (${describeError(error)})`;
  }
  return elevationProblem(own.ring, read.ask.ring, parents) ?? read.ask;
}

/** Runs one elevation request through the kernel (see {@link Kernel.requestElevation}). Never rejects. */
export async function requestElevation(kernel: Kernel, settings: RingSettings, request: ElevationRequest): Promise<ElevationOutcome> {
  const given: Partial<ElevationRequest> = typeof request === 'object' && request !== null ? request : {};
  const args = { ring: given.ring, ...(given.durationMs !== undefined ? { durationMs: given.durationMs } : {}), reason: given.reason };
  const asked = `an elevation to ring ${String(given.ring)} for ${minutes(given.durationMs)} needs a human's approval`;
  const outcome = await kernel.handle(
    { tool: ELEVATE_TOOL, args, ...(given.agent !== undefined ? { agent: given.agent } : {}), ...(given.proof !== undefined ? { proof: given.proof } : {}), ...(given.context !== undefined ? { context: given.context } : {}) },
    undefined,
    { ask: asked },
  );
  if (outcome.kind === 'refused') return { granted: false, reason: outcome.decision.reason, decision: outcome.decision };
  if (outcome.kind !== 'approval') {
    // Unreachable with `ask` (a cleared call is held for a human): refused all the same, and recorded.
    const decision = kernel.record(outcome.kind === 'run' ? outcome.request : {}, elevationDenial('an elevation is granted only through a human approval', outcome.decision.policyRevision));
    return { granted: false, reason: decision.reason, decision };
  }
  const answered = await kernel.ask(outcome);
  if (answered.kind === 'refused') return { granted: false, reason: answered.decision.reason, decision: answered.decision };
  // Approved. The rules again: the parent's own elevation may have ended while the human read it.
  const verified = answered.decision.identity !== undefined;
  // The arguments as cleared: a policy transform (e.g. a shorter durationMs) applies to the grant.
  const checked = askProblem({ ...answered.request, args: answered.args }, verified, settings);
  if (typeof checked === 'string') {
    const decision = kernel.record(answered.request, elevationDenial(checked, answered.decision.policyRevision));
    return { granted: false, reason: decision.reason, decision };
  }
  const now = settings.clock();
  const grant: ElevationGrant = Object.freeze({
    id: uuidv7(),
    subject: answered.request.agent.id as string,
    ring: checked.ring,
    grantedAt: now,
    expiresAt: now + checked.durationMs,
    reason: checked.reason,
    decisionId: answered.decision.decisionId,
    revokedAt: null,
  });
  try {
    settings.grants.add(grant);
  } catch (error) {
    const decision = kernel.record(answered.request, elevationDenial(`approved, but the grant could not be stored (${describeError(error)}), so it is not in force`, answered.decision.policyRevision, 'runtime_error:guard'));
    return { granted: false, reason: decision.reason, decision };
  }
  const decision = kernel.record(answered.request, elevationNote(`elevation:granted: ring ${grant.ring} until ${new Date(grant.expiresAt).toISOString()} (grant ${grant.id}, approved in decision ${grant.decisionId})`, answered.decision.policyRevision));
  if (!decision.allowed) {
    // The audit log refused the grant's entry: an unrecorded grant must not stand.
    try {
      settings.grants.revoke(grant.id, now);
    } catch {
      // Revocation failed too: the grant lapses at its expiry; the caller is told it was not granted.
    }
    return { granted: false, reason: decision.reason, decision };
  }
  return { granted: true, grant, decision };
}

/** The audit request an elevation's later events (revocation, expiry) are recorded under. */
export function elevationEventRequest(grant: ElevationGrant, event: 'revoked' | 'expired'): GovernanceRequest {
  return { stage: 'pre_tool', tool_name: ELEVATE_TOOL, action: `elevation.${event}`, agent: { id: grant.subject }, args: { grantId: grant.id, ring: grant.ring } };
}

/** A recorded note (verdict `log`) about an elevation: its grant, revocation or expiry. */
export function elevationNote(reason: string, revision: string): Decision {
  const decision = failedDecision('guard', reason, 'pre_tool', revision);
  return { ...decision, verdict: 'log', allowed: true, reason, message: reason, diagnostics: { matchedRules: [], errors: [], step: 'elevation' } };
}

function elevationDenial(message: string, revision: string, prefix = 'elevation:refused'): Decision {
  const reason = `${prefix}: ${message}`;
  const decision = failedDecision('guard', reason, 'pre_tool', revision);
  decision.reason = decision.message = reason;
  decision.diagnostics = { matchedRules: [], errors: [], step: 'elevation' };
  return decision;
}

function minutes(durationMs: unknown): string {
  if (durationMs === undefined) return '5 minutes (the default)';
  return typeof durationMs === 'number' && Number.isFinite(durationMs) ? `${Math.round(durationMs / 6000) / 10} minutes` : 'an invalid duration';
}
