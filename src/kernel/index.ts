/** Kernel: the decision pipeline, govern(), enforcement and approvals. */
export { govern } from './govern.js';
export type { GovernedTool, GovernOptions } from './govern.js';
export { Kernel, defaultAuditLog, derive, DEFAULT_LOG_WARNING_AT } from './kernel.js';
export { requestApproval, DEFAULT_APPROVAL_TIMEOUT_MS } from './approvals.js';
export type { ApprovalHandler, ApprovalOutcome } from './approvals.js';
export { applyTransform, REDACTED } from './transform.js';
export { evaluatorFor } from './policy-input.js';
export type { PolicyInput } from './policy-input.js';
