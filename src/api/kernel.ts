/**
 * `agent-governance-toolkit/kernel`: the kernel's parts beyond the root's Kernel and govern(), and the agent lifecycle (standing guard):
 * approvals on their own, transforms, refusals, and the caps of decide-now-run-later.
 */
export { requestApproval, DEFAULT_APPROVAL_TIMEOUT_MS } from '../kernel/approvals.js';
export type { ApprovalOutcome } from '../kernel/approvals.js';
export { applyTransform, REDACTED } from '../kernel/transform.js';
export { refusalOf } from '../kernel/action.js';
export { MAX_HELD_DECISIONS, MAX_PENDING_APPROVALS } from '../kernel/held-calls.js';
export { DEFAULT_LOG_WARNING_AT } from '../kernel/default-audit-log.js';
export { KillSwitch, DEFAULT_KILL_GRACE_MS, DEFAULT_COMPENSATION_TIMEOUT_MS, MAX_KILL_WAIT_MS } from '../execution/kill-switch.js';
export type { StillRunning, ApprovalHolder } from '../execution/kill-switch.js';
export { Compensations, type Compensation, type CompensationResult } from '../execution/compensations.js';
export { InFlightCalls, InFlightCall, AgentTerminatedError } from '../execution/in-flight.js';
export { KILL_SWITCH_RULE, TERMINATED } from '../execution/kill-decisions.js';
export { Lifecycle, DEFAULT_POLL_INTERVAL_MS, DEFAULT_STALE_AFTER_MS } from '../execution/lifecycle/lifecycle.js';
export type { LifecycleOptions, TransitionRequest, TransitionResult, TransitionEvent, Standing } from '../execution/lifecycle/lifecycle.js';
export { AGENT_STATES, LIFECYCLE_COMMANDS, TARGET_STATE, checkTransition } from '../execution/lifecycle/agent-state.js';
export type { AgentState, LifecycleCommand } from '../execution/lifecycle/agent-state.js';
export { mayRunInQuarantine, standingGuard } from '../kernel/standing-step.js';
export { Saga, SagaError, unfinishedSagas, SAGA_NAME, DEFAULT_SAGA_RETRIES, DEFAULT_SAGA_RETRY_DELAY_MS, DEFAULT_SAGA_COMPENSATION_TIMEOUT_MS } from '../execution/saga/index.js';
export type { UnfinishedSaga, SagaErrorCode, SagaOptions, SagaStep, StepContext, CompensationContext, SagaKernel, CompensationRegistry, StepToProve, SagaReport, SagaStatus, SagaStepReport, SagaStepStatus, CompensationReport, CompensationOutcome } from '../execution/saga/index.js';
export type { ElevationOutcome, ElevationRequest } from '../kernel/elevation-step.js';
export type { RingDenialKind } from '../kernel/ring-step.js';
export { DEFAULT_AGENT_RING, DEFAULT_ELEVATION_MS, ELEVATE_TOOL, MAX_ELEVATION_MS, MAX_ELEVATION_STEPS } from '../execution/rings/index.js';
