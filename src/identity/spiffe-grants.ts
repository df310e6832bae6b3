/**
 * What a verified SPIFFE workload may be. An SVID proves *which* workload is calling and carries
 * no roles, ring or trust, so those come from the deployment: per exact SPIFFE ID, else the
 * defaults (ring 3, trust 500, no roles, no tools: a workload nobody configured is the least
 * privileged agent there is).
 */

/** The facts granted to a workload. */
export interface WorkloadGrant {
  readonly ring: number;
  readonly roles: readonly string[];
  readonly tools: readonly string[];
  readonly trust: number;
}

/** Grants per SPIFFE ID, and the defaults for any other workload of the trust domain. */
export interface SpiffeGrants {
  readonly defaults?: Partial<WorkloadGrant>;
  /** Keyed by the exact SPIFFE ID, e.g. `spiffe://example.org/ns/prod/sa/billing`. */
  readonly workloads?: Readonly<Record<string, Partial<WorkloadGrant>>>;
}

const BASE: WorkloadGrant = { ring: 3, roles: [], tools: [], trust: 500 };

/** The grant for `spiffeId`: its own entry over the defaults over the base. */
export function grantFor(spiffeId: string, grants: SpiffeGrants = {}): WorkloadGrant {
  const own = grants.workloads !== undefined && Object.hasOwn(grants.workloads, spiffeId) ? grants.workloads[spiffeId] : undefined;
  return { ...BASE, ...grants.defaults, ...own };
}

/** Throws a TypeError naming the field when a configured grant is out of range. */
export function checkGrants(grants: SpiffeGrants = {}): void {
  const entries: [string, Partial<WorkloadGrant>][] = [['defaults', grants.defaults ?? {}], ...Object.entries(grants.workloads ?? {}).map(([id, g]): [string, Partial<WorkloadGrant>] => [`workloads[${id}]`, g])];
  for (const [where, grant] of entries) {
    if (grant.ring !== undefined && !(Number.isInteger(grant.ring) && grant.ring >= 0 && grant.ring <= 3)) throw new TypeError(`SPIFFE grant ${where}.ring must be an integer from 0 to 3`);
    if (grant.trust !== undefined && !(Number.isInteger(grant.trust) && grant.trust >= 0 && grant.trust <= 1000)) throw new TypeError(`SPIFFE grant ${where}.trust must be an integer from 0 to 1000`);
  }
}
