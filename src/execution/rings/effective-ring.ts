import type { ElevationGrantStore } from '../../state/elevation-grant-store.js';
import { MOST_PRIVILEGED_AGENT_RING } from './agent-ring.js';

/** An agent that delegated to the one acting, as the identity step lists it (`agent.delegators`). */
export interface DelegatorRing {
  readonly subject: string;
  readonly ring?: number;
}

/**
 * The ring an agent acts at now: the more privileged of its own ring and its live grants, but
 * never above any agent that delegated to it (each at its own ring or live grant now), so a
 * child's elevation ends with its parent's. Reads the store; throws when it cannot be read.
 */
export function effectiveRing(grants: ElevationGrantStore, subject: string, ownRing: number, delegators: readonly DelegatorRing[], now: number): number {
  const granted = grants.liveRing(subject, now);
  let ring = granted !== undefined && granted < ownRing ? granted : ownRing;
  for (const delegator of delegators) ring = Math.max(ring, delegatorRing(grants, delegator, now));
  return ring;
}

/** The effective ring now of each agent that delegated to `delegators`' delegate. */
export function delegatorRings(grants: ElevationGrantStore, delegators: readonly DelegatorRing[], now: number): number[] {
  return delegators.map((delegator) => delegatorRing(grants, delegator, now));
}

/** The delegators named on a request's agent (`agent.delegators`, written by the identity step); malformed entries are dropped. */
export function delegatorsOf(agent: Readonly<Record<string, unknown>>): readonly DelegatorRing[] {
  const listed = agent.delegators;
  if (!Array.isArray(listed)) return NONE;
  return listed.filter((d): d is DelegatorRing => typeof d === 'object' && d !== null && typeof (d as DelegatorRing).subject === 'string');
}

const NONE: readonly DelegatorRing[] = Object.freeze([]);

function delegatorRing(grants: ElevationGrantStore, delegator: DelegatorRing, now: number): number {
  // A delegator whose ring is unknown caps nothing beyond its delegate's own (attenuated) ring.
  const own = Number.isInteger(delegator.ring) ? Math.max(delegator.ring as number, MOST_PRIVILEGED_AGENT_RING) : MOST_PRIVILEGED_AGENT_RING;
  const granted = grants.liveRing(delegator.subject, now);
  return granted !== undefined && granted < own ? granted : own;
}
