/**
 * The ring an agent acts from, before any elevation. Rings run 0 (most privileged) to 3; agents
 * never hold ring 0, so the most an agent acts at is ring 1. Where the ring comes from:
 * - a verified credential (the kernel's identity step wrote `agent.ring`): that ring;
 * - otherwise the caller's `agent.ring` when given, else {@link DEFAULT_AGENT_RING}, so callers
 *   that name no ring keep calling the tools that need the default ring 2.
 * A ring 0 (a credential's, or one asserted before rings were enforced) acts as ring 1: no tool
 * can require ring 0, so the two never differ at the guard, and policies reading `agent.ring`
 * still see what was given. Anything but a whole number 0-3 is a bad request: never privileged.
 */

/** The ring of an agent that names none (and is not verified): the ring tools need by default. */
export const DEFAULT_AGENT_RING = 2;
/** The most privileged ring an agent can act at. */
export const MOST_PRIVILEGED_AGENT_RING = 1;
/** The least privileged ring. */
export const LEAST_PRIVILEGED_RING = 3;

/** An agent's ring, or why the request's ring cannot be used. */
export type AgentRing = { readonly ok: true; readonly ring: number } | { readonly ok: false; readonly message: string };

const RINGS: readonly AgentRing[] = [1, 1, 2, 3].map((ring) => Object.freeze({ ok: true as const, ring }));

/** The ring `agent.ring` names, `verified` when the identity step wrote it. Never throws. */
export function agentRingOf(value: unknown, verified: boolean): AgentRing {
  if (value === undefined) return RINGS[verified ? LEAST_PRIVILEGED_RING : DEFAULT_AGENT_RING] as AgentRing;
  if (value === 0 || value === 1 || value === 2 || value === 3) return RINGS[value] as AgentRing;
  const shown = typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value === 'string' ? `'${value.slice(0, 16)}'` : `a ${value === null ? 'null' : typeof value}`;
  return { ok: false, message: `the agent's ring ${shown} is not a ring an agent can hold: give 1, 2 or 3 (a whole number; 1 is the most privileged an agent acts at), or none for ${DEFAULT_AGENT_RING}` };
}
