/** `agent-governance-toolkit/reliability`: rate limits (the kernel's limits step) on their own. */
export { RateLimiter, countsAgainstLimits, limitDecision } from '../reliability/rate-limits.js';
export type { RateLimitSpec, RateLimitOutcome } from '../reliability/rate-limits.js';
