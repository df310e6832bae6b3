import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * SPIFFE IDs per the SPIFFE-ID specification: `spiffe://<trust domain><path>`, the scheme in
 * lowercase, a trust domain of lowercase letters, digits, `.`, `-` and `_` (so no port, no
 * userinfo, no uppercase), a path of `/`-separated non-empty segments of letters, digits, `.`,
 * `-` and `_` that are not `.` or `..`, no trailing slash, no query, no fragment, no
 * percent-encoding, at most 2048 bytes. A workload's ID (what an SVID names) must have a path.
 */

/** A parsed workload SPIFFE ID. */
export interface SpiffeId {
  /** The whole ID, `spiffe://example.org/ns/prod/sa/api`. */
  readonly id: string;
  /** `example.org`. */
  readonly trustDomain: string;
  /** `/ns/prod/sa/api`. */
  readonly path: string;
}

const SCHEME = 'spiffe://';
const MAX_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN = 255;
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** The workload SPIFFE ID `value` is, or a `malformed` failure saying which rule it breaks. */
export function parseSpiffeId(value: unknown): SpiffeId | IdentityFailure {
  if (typeof value !== 'string') return identityFailure('malformed', 'the SPIFFE ID is not a string');
  if (Buffer.byteLength(value) > MAX_ID_BYTES) return identityFailure('malformed', `the SPIFFE ID is longer than ${MAX_ID_BYTES} bytes`);
  if (!value.startsWith(SCHEME)) return identityFailure('malformed', "the SPIFFE ID does not start with 'spiffe://' (lowercase scheme)");
  const rest = value.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  const domainProblem = trustDomainProblem(trustDomain);
  if (domainProblem !== null) return identityFailure('malformed', `the SPIFFE ID's trust domain ${domainProblem}`);
  if (path.length === 0) return identityFailure('malformed', 'the SPIFFE ID has no path: a workload ID names a workload, not just a trust domain');
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment.length === 0) return identityFailure('malformed', "the SPIFFE ID's path has an empty segment or a trailing slash");
    if (segment === '.' || segment === '..') return identityFailure('malformed', "the SPIFFE ID's path has a '.' or '..' segment");
    if (!SEGMENT.test(segment)) return identityFailure('malformed', "the SPIFFE ID's path may hold only letters, digits, '.', '-' and '_' (no query, fragment or percent-encoding)");
  }
  return { id: value, trustDomain, path };
}

/**
 * Why `name` is not a valid trust domain name, or null when it is. Used for configuration too
 * (there it becomes a TypeError), so the message reads after "the trust domain".
 */
export function trustDomainProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_TRUST_DOMAIN) return `is longer than ${MAX_TRUST_DOMAIN} characters`;
  if (!TRUST_DOMAIN.test(name)) return "may hold only lowercase letters, digits, '.', '-' and '_' (no port, userinfo, query or fragment)";
  return null;
}
