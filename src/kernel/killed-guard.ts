import type { Decision, Stage } from '../core/types.js';
import type { KillSwitch } from '../execution/kill-switch.js';
import { killSwitchDenial, terminatedReason } from '../execution/kill-decisions.js';

/**
 * The part of the standing step this process knows without asking the lifecycle store: an agent
 * killed here is denied `lifecycle:terminated` at once, even before the store has the kill (and
 * with `lifecycle: false`, where there is no store).
 */
export function killedDenial(killSwitch: KillSwitch, agentId: string, stage: Stage, revision: string): Decision | undefined {
  return killSwitch.isKilled(agentId) ? killSwitchDenial(terminatedReason(agentId, false), stage, revision) : undefined;
}
