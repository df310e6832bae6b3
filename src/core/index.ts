/** Core: shared types, errors, canonical JSON, request limits, ids and clocks. */
export * from './types.js';
export { GovernanceError, GovernanceDenied, GovernanceConfigError, PolicyLoadError, deniedMessage, describeError, formatIssue } from './errors.js';
export type { GovernanceErrorCode, PolicyIssue } from './errors.js';
export { canonicalJson, CanonicalJsonError } from './canonical-json.js';
export { checkJsonValue, DEFAULT_REQUEST_LIMITS } from './limits.js';
export type { LimitViolation, RequestLimits } from './limits.js';
export { normalizeRequest, parseStage, InvalidRequest } from './request.js';
export { uuidv7 } from './ids.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { canonicalToolName, toolNameProblem, PLAIN_TOOL_NAME } from './tool-name.js';
