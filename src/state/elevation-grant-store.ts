/**
 * Where elevation grants live: each one lets an agent (its subject) act at a more privileged
 * ring until it expires or is revoked. The store knows nothing of who may be elevated (that is
 * execution/rings/elevation-rules.ts); it keeps grants, answers "the lowest live ring of this
 * subject now" and marks ended grants once, so the same rules work on one process (memory) and
 * on every process of a machine (SQLite). Expiry needs no timer: a grant is live while
 * `now < expiresAt`, checked against the clock at each use.
 */

/** One grant, as stored. Times are epoch ms. */
export interface ElevationGrant {
  readonly id: string;
  /** The agent elevated: its verified subject (or asserted id without identity). */
  readonly subject: string;
  /** The ring it may act at while the grant lives (1-3). */
  readonly ring: number;
  readonly grantedAt: number;
  readonly expiresAt: number;
  /** Why it was asked for, as the agent wrote it. */
  readonly reason: string;
  /** The recorded decision (the human's approval) the grant rests on. */
  readonly decisionId: string;
  /** When it was revoked early, or null. */
  readonly revokedAt: number | null;
}

/** Elevation grants by id and subject. Every method throws when the store cannot be read or written. */
export interface ElevationGrantStore {
  /** Stores a new grant; durable when it returns. */
  add(grant: ElevationGrant): void;
  /** The most privileged (lowest) ring of `subject`'s grants live at `now`, or undefined. Includes other processes' writes. */
  liveRing(subject: string, now: number): number | undefined;
  /** Every grant live at `now`, soonest to expire first. */
  live(now: number): readonly ElevationGrant[];
  /** Ends grant `id` at `now`; the grant as revoked, or undefined when there is no live grant by that id. */
  revoke(id: string, now: number): ElevationGrant | undefined;
  /**
   * The grants that expired by `now` and were not reported before, each reported once across
   * every process sharing the store (so its expiry is recorded once).
   */
  claimExpired(now: number): readonly ElevationGrant[];
}

/** Elevation grants in this process's memory. */
export class MemoryElevationGrantStore implements ElevationGrantStore {
  readonly #grants = new Map<string, ElevationGrant>();

  /** Stores `grant`. */
  add(grant: ElevationGrant): void {
    this.#grants.set(grant.id, Object.freeze({ ...grant }));
  }

  /** The lowest live ring of `subject` at `now`, or undefined. */
  liveRing(subject: string, now: number): number | undefined {
    return lowestRing(this.#grants.values(), subject, now);
  }

  /** Grants live at `now`. */
  live(now: number): readonly ElevationGrant[] {
    return [...this.#grants.values()].filter((grant) => isLive(grant, now)).sort((a, b) => a.expiresAt - b.expiresAt);
  }

  /** Ends grant `id` at `now`. */
  revoke(id: string, now: number): ElevationGrant | undefined {
    const grant = this.#grants.get(id);
    if (!grant || !isLive(grant, now)) return undefined;
    const revoked = Object.freeze({ ...grant, revokedAt: now });
    this.#grants.set(id, revoked);
    return revoked;
  }

  /** Expired grants not reported before; ended grants are then forgotten (the audit log has them). */
  claimExpired(now: number): readonly ElevationGrant[] {
    const expired: ElevationGrant[] = [];
    for (const grant of this.#grants.values()) {
      if (grant.expiresAt > now) continue;
      if (grant.revokedAt === null) expired.push(grant);
      this.#grants.delete(grant.id);
    }
    return expired;
  }
}

/** Whether `grant` lets its subject act at its ring at `now`. */
export function isLive(grant: ElevationGrant, now: number): boolean {
  return grant.revokedAt === null && now < grant.expiresAt;
}

/** The lowest ring among `subject`'s grants live at `now`. */
export function lowestRing(grants: Iterable<ElevationGrant>, subject: string, now: number): number | undefined {
  let lowest: number | undefined;
  for (const grant of grants) {
    if (grant.subject === subject && isLive(grant, now) && (lowest === undefined || grant.ring < lowest)) lowest = grant.ring;
  }
  return lowest;
}
