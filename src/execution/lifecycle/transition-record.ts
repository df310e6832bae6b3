import type { AuditLog } from '../../audit/audit-log.js';
import { describeError } from '../../core/errors.js';
import { recordDecision } from '../../core/failed-decision.js';
import type { Decision, NormalizedRequest, Stage } from '../../core/types.js';
import { requestApproval, type ApprovalHandler } from '../../kernel/approvals.js';
import type { LifecycleTransition } from '../../state/lifecycle-store.js';
import type { LifecycleCommand } from './agent-state.js';

/**
 * How a lifecycle transition appears in the audit log and to an approval handler. A transition
 * is not a tool call, so it is written at the lifecycle points: `agent_shutdown` for the moves
 * that stop an agent (suspend, quarantine, kill), `agent_startup` for the ones that let it act
 * (register, activate, resume, release). The tool name is `agt.lifecycle.<command>`; the reason
 * says who moved the agent from where to where and why, so `agt audit tail` reads it plainly.
 */

/** The revision recorded for entries no policy decided. */
const NO_POLICY_REVISION = 'lifecycle';

/** The tool name a transition is recorded under. */
export function lifecycleToolName(command: LifecycleCommand): string {
  return `agt.lifecycle.${command}`;
}

/** Appends `transition` to `audit`. The transition is already durable: a failing audit store is reported, not undone. */
export function recordTransition(audit: AuditLog | null, transition: LifecycleTransition, note?: string): void {
  if (!audit) return;
  const approved = transition.approvedBy === null ? '' : ` (approved by ${transition.approvedBy})`;
  const seen = note === undefined ? '' : ` [${note}, recorded at ${new Date(transition.at).toISOString()}]`;
  const reason = `lifecycle:${transition.to}: agent ${transition.agentId} ${transition.from ?? 'unseen'} -> ${transition.to} by ${transition.by}${approved}: ${transition.reason}${seen}`;
  const request = requestFor(transition.agentId, transition.command, { from: transition.from, to: transition.to, by: transition.by, approvedBy: transition.approvedBy, reason: transition.reason, generation: transition.generation });
  try {
    audit.append({ request, decision: decisionFor(request.stage, 'log', reason) });
  } catch (error) {
    process.emitWarning(`agent ${transition.agentId} is ${transition.to}, but the audit log rejected the record of it: ${describeError(error)}`, { code: 'AGT_LIFECYCLE_AUDIT' });
  }
}

/**
 * Puts a resume, release or activation to `handler` as a require_approval of the tool
 * `agt.lifecycle.<command>`. No handler: refused (a program cannot lift a restriction on its
 * own say-so; an operator uses the CLI).
 */
export async function askForTransition(handler: ApprovalHandler | undefined, agentId: string, command: LifecycleCommand, reason: string, approvedBy: string): Promise<{ approved: boolean; reason: string }> {
  if (!handler) return { approved: false, reason: 'no approval handler is configured (LifecycleOptions.approvals, or the kernel\'s approvals); an operator uses agt agent ' + command };
  const request = requestFor(agentId, command, { reason, approvedBy });
  const decision = decisionFor(request.stage, 'require_approval', `${command} agent ${agentId}, approved by ${approvedBy}: ${reason}`);
  return requestApproval(handler, request, decision);
}

function requestFor(agentId: string, command: LifecycleCommand, args: Record<string, unknown>): NormalizedRequest {
  const stops = command === 'suspend' || command === 'quarantine' || command === 'kill';
  return {
    stage: stops ? 'agent_shutdown' : 'agent_startup',
    agent: { id: agentId },
    tool_name: lifecycleToolName(command),
    action: { type: 'lifecycle_transition' },
    args,
    input: null,
    output: null,
    context: {},
  };
}

function decisionFor(stage: Stage, verdict: 'log' | 'require_approval', reason: string): Decision {
  return recordDecision({ verdict, reason, stage, policyRevision: NO_POLICY_REVISION });
}
