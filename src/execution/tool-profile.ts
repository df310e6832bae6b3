import type { SandboxProfile } from './sandbox/profile.js';
import type { PolicySandboxProfile } from '../policy/document/tool-requirements.js';

/**
 * Which sandbox profile a sandbox tool's call runs under: never the agent's choice. In order:
 * the profile the policy's `tools:` entry names (`sandbox: { profile: ring2 }`), the factory's
 * `profile` option (the deployment's code), the profile of the tool's ring (ring 3 → `ring3`,
 * ring 2 → `ring2`, ring 1 → `ring1`; the ring comes from the policy's `tools:` entry once rings
 * are configured there), else `ring3`, the strictest.
 */

/** What the policy says about a tool, as far as the profile goes (ToolRequirements fits). */
export interface ProfileRequirements {
  readonly sandboxProfile?: PolicySandboxProfile | undefined;
  /** The ring the tool needs (1-3), when the policy's `tools:` entries give one. */
  readonly ring?: number | undefined;
}

/** The profile for one call: see the module comment for the order. */
export function profileForTool(requires: ProfileRequirements, factoryProfile: string | SandboxProfile | undefined): string | SandboxProfile {
  if (requires.sandboxProfile !== undefined) return requires.sandboxProfile;
  if (factoryProfile !== undefined) return factoryProfile;
  const ring = requires.ring;
  // Ring 0 is never an agent's: a tool marked ring 0 still runs in the ring 1 profile at most.
  if (ring === 0 || ring === 1) return 'ring1';
  if (ring === 2) return 'ring2';
  return 'ring3';
}
