import type { JWTPayload } from 'jose';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * How a verified OIDC token's claims become an agent's facts. An OIDC provider knows nothing of
 * rings or trust scores, so each fact comes from a claim the operator names or, when no claim is
 * named (or the token lacks it), from a default the operator sets. Claim names are top-level
 * claims, read literally (namespaced claims such as `https://example.com/roles` work as is).
 */

/** Which claim carries which fact, and the defaults. */
export interface JwtClaimMapping {
  /** The agent's id. Default `sub` (Entra app-only tokens: consider `oid` or `azp`). */
  readonly subject?: string;
  /** Roles: an array of strings or one space-separated string. Default `roles` (Entra app roles). */
  readonly roles?: string;
  /** Ring 0-3 as an integer claim; default: no claim, `defaults.ring`. */
  readonly ring?: string;
  /** Trust 0-1000 as an integer claim; default: no claim, `defaults.trust`. */
  readonly trust?: string;
  /** Tool globs, like roles; default: no claim, `defaults.tools`. */
  readonly tools?: string;
  /** Facts for claims not named or absent: ring 3, trust 500, no tools, no roles. */
  readonly defaults?: Partial<ClaimFacts>;
}

/** The facts a token grants. */
export interface ClaimFacts {
  readonly subject: string;
  readonly ring: number;
  readonly roles: readonly string[];
  readonly tools: readonly string[];
  readonly trust: number;
}

const BASE: Omit<ClaimFacts, 'subject'> = { ring: 3, roles: [], tools: [], trust: 500 };
const MAX_LIST = 256;
const MAX_STRING = 512;

/** The facts `payload` grants under `mapping`, or a `malformed` failure naming the claim. */
export function factsFromClaims(payload: JWTPayload, mapping: JwtClaimMapping = {}): ClaimFacts | IdentityFailure {
  const defaults = { ...BASE, ...mapping.defaults };
  const subjectClaim = mapping.subject ?? 'sub';
  const subject = payload[subjectClaim];
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_STRING) {
    return identityFailure('malformed', `the token's '${subjectClaim}' claim is not a non-empty string of at most ${MAX_STRING} characters`);
  }
  const roles = listClaim(payload, mapping.roles ?? 'roles', defaults.roles);
  if (!Array.isArray(roles)) return roles as IdentityFailure;
  const tools = mapping.tools === undefined ? defaults.tools : listClaim(payload, mapping.tools, defaults.tools);
  if (!Array.isArray(tools)) return tools as IdentityFailure;
  const ring = mapping.ring === undefined ? defaults.ring : integerClaim(payload, mapping.ring, 0, 3, defaults.ring);
  if (typeof ring !== 'number') return ring;
  const trust = mapping.trust === undefined ? defaults.trust : integerClaim(payload, mapping.trust, 0, 1000, defaults.trust);
  if (typeof trust !== 'number') return trust;
  return { subject, roles, tools, ring, trust };
}

function listClaim(payload: JWTPayload, claim: string, fallback: readonly string[]): readonly string[] | IdentityFailure {
  const value = payload[claim];
  if (value === undefined) return fallback;
  const list = typeof value === 'string' ? value.split(' ').filter((item) => item.length > 0) : value;
  if (!Array.isArray(list) || list.length > MAX_LIST || !list.every((item) => typeof item === 'string' && item.length > 0 && item.length <= MAX_STRING)) {
    return identityFailure('malformed', `the token's '${claim}' claim is not a list of at most ${MAX_LIST} non-empty strings`);
  }
  return list as string[];
}

function integerClaim(payload: JWTPayload, claim: string, min: number, max: number, fallback: number): number | IdentityFailure {
  const value = payload[claim];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return identityFailure('malformed', `the token's '${claim}' claim is not an integer from ${min} to ${max}`);
  }
  return value;
}
