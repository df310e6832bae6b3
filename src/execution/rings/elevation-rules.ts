import { MOST_PRIVILEGED_AGENT_RING } from './agent-ring.js';

/**
 * Who may be elevated, to what, for how long. An elevation is a time-boxed grant that lets an
 * agent act at a more privileged ring; it is asked for as the reserved tool call
 * {@link ELEVATE_TOOL} so that it is decided, approved by a human and recorded like any action.
 * The rules (checked before the human is asked, and again before the grant is written):
 * - the ring is 1, 2 or 3 and more privileged than the agent's own (never ring 0);
 * - at most {@link MAX_ELEVATION_STEPS} ring above the agent's credential ring (a credential that
 *   grants ring 3 can be elevated to 2, not 1): a larger jump needs a new credential, issued;
 * - a delegate is never above any agent that delegated to it: the ring is capped at each
 *   delegator's effective ring now (its credential ring, or its own live elevation);
 * - the duration is {@link DEFAULT_ELEVATION_MS} unless given, at most {@link MAX_ELEVATION_MS}.
 */

/** The tool name an elevation request is decided under (policies can deny it or ask more approvers). */
export const ELEVATE_TOOL = 'agt.elevate';
/** How long a grant lives when the request names no duration: 5 minutes. */
export const DEFAULT_ELEVATION_MS = 5 * 60_000;
/** The longest grant: 1 hour. */
export const MAX_ELEVATION_MS = 60 * 60_000;
/** How many rings one elevation may climb above the agent's credential ring. */
export const MAX_ELEVATION_STEPS = 1;
/** The longest reason kept with a grant. */
export const MAX_ELEVATION_REASON = 500;

/** An elevation request's arguments, checked. */
export interface ElevationAsk {
  readonly ring: number;
  readonly durationMs: number;
  readonly reason: string;
}

/** The arguments of an {@link ELEVATE_TOOL} call read and checked, or why they are refused. */
export function readElevationAsk(args: Readonly<Record<string, unknown>>): { ok: true; ask: ElevationAsk } | { ok: false; message: string } {
  const { ring, durationMs, reason } = args;
  if (ring === 0) return { ok: false, message: 'an agent can never be elevated to ring 0; ask for ring 1, 2 or 3' };
  if (ring !== 1 && ring !== 2 && ring !== 3) return { ok: false, message: `ring must be 1, 2 or 3 (got ${describe(ring)})` };
  const duration = durationMs ?? DEFAULT_ELEVATION_MS;
  if (typeof duration !== 'number' || !Number.isSafeInteger(duration) || duration <= 0) return { ok: false, message: `durationMs must be a whole number of milliseconds above 0 (got ${describe(durationMs)}); default ${DEFAULT_ELEVATION_MS} (5 minutes)` };
  if (duration > MAX_ELEVATION_MS) return { ok: false, message: `durationMs ${duration} is longer than the ${MAX_ELEVATION_MS} ms (1 hour) an elevation may last: ask for 1 hour or less, and again when it ends` };
  if (typeof reason !== 'string' || reason.trim() === '') return { ok: false, message: 'reason must say why the elevation is needed (a non-empty string): the human approving it reads it' };
  if (reason.length > MAX_ELEVATION_REASON) return { ok: false, message: `reason is ${reason.length} characters; at most ${MAX_ELEVATION_REASON}` };
  return { ok: true, ask: { ring, durationMs: duration, reason } };
}

/**
 * Why an agent acting from `agentRing` (its credential's) cannot be elevated to `ring`, or null.
 * `delegatorRings` are the effective rings now of every agent that delegated to it.
 */
export function elevationProblem(agentRing: number, ring: number, delegatorRings: readonly number[]): string | null {
  const own = Math.max(agentRing, MOST_PRIVILEGED_AGENT_RING);
  if (ring >= own) return `the agent already acts at ring ${own}: an elevation must ask for a more privileged ring than its own`;
  if (own - ring > MAX_ELEVATION_STEPS) return `ring ${ring} is ${own - ring} rings above the agent's ring ${own}; one elevation climbs at most ${MAX_ELEVATION_STEPS} (ask for ring ${own - MAX_ELEVATION_STEPS}, or issue a credential with a more privileged ring)`;
  const parent = delegatorRings.length ? Math.max(...delegatorRings) : undefined;
  if (parent !== undefined && ring < parent) return `ring ${ring} would put a delegate above the agent that delegated to it (which acts at ring ${parent} now); a child is never above its parent`;
  return null;
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `'${value.slice(0, 16)}'`;
  return value === undefined ? 'none' : value === null ? 'null' : `a ${typeof value}`;
}
