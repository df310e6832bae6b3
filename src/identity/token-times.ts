import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * The validity window of a token (JWT NumericDates, in seconds) against the verifier's clock,
 * with a clock-skew tolerance either way: two machines' clocks never agree exactly, and a
 * token refused for a second of drift is an outage, not security.
 */

/** Default tolerance for clock skew between issuer and verifier, in seconds. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

/** The times a token carries, already checked to be numbers. */
export interface TokenTimes {
  readonly iat: number;
  readonly exp: number;
  readonly nbf?: number | undefined;
}

/** Null when `now` (ms) falls inside the token's window (± `skewSeconds`), else why not. */
export function timeWindowProblem(times: TokenTimes, nowMs: number, skewSeconds: number, what: string): IdentityFailure | null {
  const now = nowMs / 1000;
  if (times.exp <= times.iat) return identityFailure('malformed', `${what} expires before it was issued (exp <= iat)`);
  if (now >= times.exp + skewSeconds) return identityFailure('expired', `${what} expired ${Math.round(now - times.exp)} s ago`);
  if (times.nbf !== undefined && now < times.nbf - skewSeconds) return identityFailure('not_yet_valid', `${what} is not valid for another ${Math.round(times.nbf - now)} s`);
  if (now < times.iat - skewSeconds) return identityFailure('not_yet_valid', `${what} was issued ${Math.round(times.iat - now)} s in the future (beyond the ${skewSeconds} s clock-skew tolerance)`);
  return null;
}
