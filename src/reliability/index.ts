/** Reliability: rate limits now; circuit breakers, budgets and SLOs build here. */
export { RateLimiter, countsAgainstLimits, limitDecision } from './rate-limits.js';
export type { RateLimitSpec, RateLimitOutcome } from './rate-limits.js';
