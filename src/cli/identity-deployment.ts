import type { Command } from 'commander';

/**
 * What the identity commands need from the deployment: the audience envelopes are addressed to
 * and the state store revocations go to. Read from agt.config.yaml once it exists; until then
 * the embedded defaults.
 */
export interface IdentityDeployment {
  /** `identity.audience`, when a deployment file sets it. */
  readonly audience: string | undefined;
  /** The SQLite state store (replay cache, revocations) every process on the machine shares. */
  readonly statePath: string;
}

/** The embedded default state store, beside the audit store. */
export const DEFAULT_STATE_PATH = '.agt/state.db';

/** The deployment `command` runs in. */
export function identityDeployment(_command: Command): IdentityDeployment {
  return { audience: undefined, statePath: DEFAULT_STATE_PATH };
}
