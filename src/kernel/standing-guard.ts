import type { KillSwitch } from '../execution/kill-switch.js';
import { killSwitchDenial, terminatedReason } from '../execution/kill-decisions.js';
import type { Guard } from './guards.js';

/**
 * The `standing` step as far as the kill switch needs it: a killed agent's every call, at every
 * point, is denied with `lifecycle:terminated`. The lifecycle store (suspend, quarantine, kill
 * shared across processes) replaces this guard's one question, {@link KillSwitch.isKilled}.
 */
export function standingGuard(killSwitch: KillSwitch): Guard {
  return {
    name: 'standing',
    check: ({ agentId, request }) => (killSwitch.isKilled(agentId) ? killSwitchDenial(terminatedReason(agentId, false), request.stage, '') : undefined),
  };
}
