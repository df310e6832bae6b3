import { failedDecision } from '../core/failed-decision.js';
import type { Decision, Stage } from '../core/types.js';
import type { Lifecycle, Standing } from '../execution/lifecycle/lifecycle.js';
import type { KillSwitch } from '../execution/kill-switch.js';
import { delegatorsOf } from '../execution/rings/effective-ring.js';
import type { NormalizedRequest } from '../core/types.js';
import { killedDenial } from './killed-guard.js';
import type { Guard } from './guards.js';

/**
 * The standing step (DESIGN.md step 2, after identity, before ring): may this agent act now?
 * Suspended, terminated, unregistered (when the deployment requires registration): denied at
 * every point. Quarantined: denied unless the tool is on the policy's quarantine allow-list. A
 * lifecycle store that cannot be read: denied `runtime_error:state`. The agent is the request's
 * `agent.id`, which with an identity step is the verified subject (a DID): an agent cannot dodge
 * its state by calling itself something else.
 */

/** What the standing step needs of the policy: the quarantine allow-list and which tools it marks read-only. */
export interface QuarantinePolicy {
  quarantineAllows(tool: string): boolean;
  requirementsFor(tool: string): { readonly readOnly: boolean };
}

/**
 * The one check of "may a quarantined agent run this tool?": a tool on the policy's
 * `quarantine: { allow }` list, or one its `tools:` entries mark `read_only: true` (reading
 * cannot widen the harm a quarantined agent can do). Every quarantine rule lives here.
 */
export function mayRunInQuarantine(policy: QuarantinePolicy, tool: string | null): boolean {
  return tool !== null && (policy.quarantineAllows(tool) || policy.requirementsFor(tool).readOnly);
}

/** The standing guard: first of the kernel's guards. */
export function standingGuard(lifecycle: Lifecycle, policy: QuarantinePolicy & { readonly revision: string }): Guard {
  return {
    name: 'standing',
    check(context) {
      const request = context.request;
      return standingDenial(lifecycle.standing(context.agentId), context.agentId, request.tool_name, request.stage, policy, policy.revision);
    },
  };
}

/**
 * The denial for an agent's standing, or undefined when it may go on. Used by the guard and
 * again when a call decided earlier (held, or approved by a human) comes to run: a suspension
 * since then stops it.
 */
export function standingDenial(standing: Standing, agentId: string, tool: string | null, stage: Stage, policy: QuarantinePolicy, revision: string): Decision | undefined {
  if (standing.kind === 'active') return undefined;
  if (standing.kind === 'failed') return withStep(failedDecision('state', `${standing.message}; refusing rather than acting on an unknown standing`, stage, revision));
  if (standing.state === 'quarantined' && mayRunInQuarantine(policy, tool)) return undefined;
  const record = standing.record;
  const since = record ? ` since ${new Date(record.since).toISOString()} (by ${record.by}: ${record.reason})` : '';
  const reason = `lifecycle:${standing.state}: agent ${agentId} is ${standing.state === 'unregistered' ? 'not registered, and this deployment requires registration' : standing.state}${since}; ${HOW_OUT[standing.state]}`;
  const decision = failedDecision('guard', reason, stage, revision);
  decision.reason = reason;
  decision.message = reason;
  decision.diagnostics = { matchedRules: [], errors: [], step: 'standing' };
  return decision;
}

const HOW_OUT: Readonly<Record<Exclude<Standing & { kind: 'stopped' }, never>['state'], string>> = {
  registered: 'an operator activates it (agt agent activate)',
  unregistered: 'an operator registers and activates it (agt agent register, then activate)',
  suspended: 'an operator resumes it (agt agent resume)',
  quarantined: "only the policy's quarantine allow-list runs until an operator releases it (agt agent release)",
  terminated: 'terminated is final',
};

function withStep(decision: Decision): Decision {
  decision.diagnostics.step = 'standing';
  return decision;
}

/** What the kernel's standing step reads: the lifecycle (none with `lifecycle: false`), this process's kill switch, the policy. */
export interface StandingSources {
  readonly lifecycle: Lifecycle | null;
  readonly killSwitch: KillSwitch;
  readonly policy: QuarantinePolicy & { readonly revision: string };
}

/**
 * The kernel's standing step: the lifecycle state of the agent and of every agent that delegated
 * to it (a delegate acts on their authority, so stopping one of them stops it too), then this
 * process's kill switch. The denial, or undefined when the agent may act.
 */
export function standingNow(sources: StandingSources, request: NormalizedRequest, agentId: string): Decision | undefined {
  const own = standingOf(sources, agentId, request);
  if (own) return own;
  for (const delegator of delegatorsOf(request.agent)) {
    const stopped = standingOf(sources, delegator.subject, request);
    if (stopped) {
      stopped.reason = stopped.message = `${stopped.reason} (agent ${agentId} acts on a delegation from it)`;
      return stopped;
    }
  }
  return undefined;
}

function standingOf(sources: StandingSources, agentId: string, request: NormalizedRequest): Decision | undefined {
  const { lifecycle, killSwitch, policy } = sources;
  // The lifecycle's answer first: it says since when, by whom and why.
  const stopped = lifecycle ? standingDenial(lifecycle.standing(agentId), agentId, request.tool_name, request.stage, policy, policy.revision) : undefined;
  return stopped ?? killedDenial(killSwitch, agentId, request.stage, policy.revision);
}
