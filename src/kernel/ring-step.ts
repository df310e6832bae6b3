import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import { failedDecision } from '../core/failed-decision.js';
import type { Decision, NormalizedRequest } from '../core/types.js';
import { agentRingOf } from '../execution/rings/agent-ring.js';
import { delegatorsOf, effectiveRing } from '../execution/rings/effective-ring.js';
import { ELEVATE_TOOL } from '../execution/rings/elevation-rules.js';
import type { PolicyEvaluator } from '../policy/index.js';
import type { ElevationGrantStore } from '../state/elevation-grant-store.js';

/**
 * Step 3 of the pipeline, the ring guard (after identity and standing, before the requirements
 * step, screening and policy): the agent's ring against the ring the policy says the tool needs
 * (`tools: { db.drop: { ring: 1 } }`; default 2, 3 for `read_only` tools). The common case is one
 * cached Map lookup and an integer compare; only a call the agent's own ring does not cover reads
 * the elevation grants. A call from a less privileged ring is denied and, for a verified agent,
 * counted as an escalation attempt (its trust score takes a `ring_breach`).
 */

/** What the ring guard reads besides the request and the policy. */
export interface RingSettings {
  /** Live elevation grants (memory, or the deployment's SQLite state file). */
  readonly grants: ElevationGrantStore;
  readonly clock: Clock;
  /** A verified agent called from a ring too low: the kernel lowers its trust score. */
  breach(subject: string): void;
  /** Grants were read: the kernel records any that expired since it last looked. */
  sweep(): void;
}

/** Why a call was refused for its ring: the reason reads `ring:<kind>: <message>`. */
export type RingDenialKind =
  /** The agent's effective ring is less privileged than the tool's. */
  | 'insufficient'
  /** The request's asserted ring is not one an agent can hold. */
  | 'invalid';

/**
 * The denial that ends a pre_tool call its agent's ring does not cover, or undefined. `verified`:
 * the identity step wrote the agent (its ring is the credential's). `rerun`: a call decided
 * earlier (held, approved) about to run: a lost elevation refuses it, and is not a new attempt.
 * Never throws.
 */
export function checkRing(request: NormalizedRequest, verified: boolean, evaluator: PolicyEvaluator, settings: RingSettings, rerun = false): Decision | undefined {
  const tool = request.tool_name;
  // An elevation request is judged by the elevation rules, not by the ring it asks to leave.
  if (request.stage !== 'pre_tool' || tool === null || tool === ELEVATE_TOOL) return undefined;
  const needed = evaluator.requirementsFor(tool).ring;
  const agent = request.agent;
  const own = agentRingOf(agent.ring, verified);
  if (!own.ok) return ringDenial('invalid', own.message, evaluator.revision);
  if (own.ring <= needed) return undefined;
  const subject = typeof agent.id === 'string' ? agent.id : '';
  let ring: number;
  try {
    ring = effectiveRing(settings.grants, subject, own.ring, delegatorsOf(agent), settings.clock());
    settings.sweep();
  } catch (error) {
    const reason = `runtime_error:guard: the elevation grants could not be read (${describeError(error)}), and agent ring ${own.ring} is less privileged than the ring ${needed} this tool requires: refused rather than guessing`;
    return ringDecision(reason, evaluator.revision);
  }
  if (ring <= needed) return undefined;
  if (rerun) return ringDenial('insufficient', `agent ring ${ring} is less privileged than the ring ${needed} this tool requires (its elevation ended before this call decided earlier could run)`, evaluator.revision);
  if (verified && subject !== '') settings.breach(subject);
  return ringDenial('insufficient', `agent ring ${ring} is less privileged than the ring ${needed} this tool requires; counted as an escalation attempt`, evaluator.revision);
}

function ringDenial(kind: RingDenialKind, message: string, revision: string): Decision {
  return ringDecision(`ring:${kind}: ${message}`, revision);
}

function ringDecision(reason: string, revision: string): Decision {
  const decision = failedDecision('guard', reason, 'pre_tool', revision);
  decision.reason = decision.message = reason;
  decision.diagnostics = { matchedRules: [], errors: [], step: 'ring' };
  return decision;
}
