/** Kernel: the one enforcement pipeline (`Kernel.handle`), govern(), approvals and transforms. */
export { govern } from './govern.js';
export type { GovernedTool, GovernOptions } from './govern.js';
export { Kernel, defaultAuditLog, DEFAULT_LOG_WARNING_AT } from './kernel.js';
export type { KernelOptions, HandleOptions } from './kernel.js';
export { refusalOf } from './action.js';
export type { Action, Outcome, Cleared, Held, Refused, Passed, Refusal, RunTool } from './action.js';
export type { Guard, GuardContext } from './guards.js';
export { MAX_HELD_DECISIONS, MAX_PENDING_APPROVALS } from './held-calls.js';
export { requestApproval, DEFAULT_APPROVAL_TIMEOUT_MS } from './approvals.js';
export type { ApprovalHandler, ApprovalOutcome } from './approvals.js';
export { applyTransform, REDACTED } from './transform.js';
export type { PolicyInput } from './policy-input.js';
