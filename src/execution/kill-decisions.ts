/**
 * The decisions a kill leaves in the audit log: the denial of a killed agent's calls
 * (`lifecycle:terminated`), and the record of the kill itself with its report.
 */
import { recordDecision } from '../core/failed-decision.js';
import type { Decision, Stage } from '../core/types.js';
import type { KillReport } from './kill-switch.js';

/** The rule name kill-switch decisions carry, so the audit log can be searched for them. */
export const KILL_SWITCH_RULE = 'kill-switch';

/** The reason prefix of every refusal a kill causes. */
export const TERMINATED = 'lifecycle:terminated';

/** A deny made by the kill switch (no policy rule decided it). */
export function killSwitchDenial(reason: string, stage: Stage, policyRevision: string): Decision {
  return recordDecision({ verdict: 'deny', reason, stage, policyRevision, rule: KILL_SWITCH_RULE, step: 'standing' });
}

/** Why a killed agent's call (new, held, or already running) is refused. */
export function terminatedReason(agentId: string, running: boolean): string {
  return running
    ? `${TERMINATED}: agent '${agentId}' was killed while this call ran; its result is discarded`
    : `${TERMINATED}: agent '${agentId}' was killed; it may not act`;
}

/** Most still-running calls named in the kill's audit reason (the rest are counted). */
const MAX_LISTED = 20;

/**
 * The kill's audit decision: who killed whom and why, and the report in the reason (the audit
 * entry's fields are fixed, and the reason is the one that takes text). Recorded at
 * `agent_shutdown`, the point where an agent stops.
 */
export function killRecord(report: KillReport, policyRevision: string): Decision {
  const listed = report.stillRunning.slice(0, MAX_LISTED);
  const summary = {
    terminated: report.terminated,
    aborted: report.aborted,
    approvalsRejected: report.approvalsRejected,
    approvalsFailed: report.approvalsFailed,
    compensations: report.compensations,
    stillRunning: listed,
    ...(report.stillRunning.length > listed.length ? { stillRunningNotListed: report.stillRunning.length - listed.length } : {}),
  };
  const reason = `${TERMINATED}: agent '${report.agentId}' killed by '${report.by}' (${report.reason}); report ${JSON.stringify(summary)}`;
  return killSwitchDenial(reason, 'agent_shutdown', policyRevision);
}
