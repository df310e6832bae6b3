/**
 * `agent-governance-toolkit/core`: the building blocks under every decision: canonical JSON,
 * request limits, the kernel's snapshot and action identity, verdict and stage tables, and
 * helpers for errors and issues.
 */
export { INTERVENTION_POINTS, VERDICTS_BY_RESTRICTIVENESS, isAllowingVerdict } from '../core/types.js';
export { deniedMessage, describeError, formatIssue } from '../core/errors.js';
export { canonicalJson, CanonicalJsonError } from '../core/canonical-json.js';
export { checkJsonValue, DEFAULT_REQUEST_LIMITS } from '../core/limits.js';
export type { LimitViolation, RequestLimits } from '../core/limits.js';
export { snapshotJson } from '../core/snapshot.js';
export type { Snapshot } from '../core/snapshot.js';
export { actionIdentity } from '../core/identity.js';
export type { IdentityParts } from '../core/identity.js';
export { parseStage, STAGE_NAMES } from '../core/request.js';
export { systemClock } from '../core/clock.js';
export type { Clock } from '../core/clock.js';
