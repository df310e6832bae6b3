/**
 * agent-governance-toolkit: deterministic governance for autonomous AI agents.
 *
 * The root exports what a user needs: {@link govern} to wrap a tool, the {@link Kernel} every
 * action passes through, policies ({@link PolicyEvaluator}, {@link loadPolicies}), decisions and
 * errors, and the audit log with its sinks and verification. Specialised parts live in subpaths
 * (`/policy`, `/audit`, `/kernel`, `/core`, `/state`, `/reliability`, and one per framework
 * adapter); no name is exported twice.
 */
export { govern } from './kernel/govern.js';
export type { GovernedTool, GovernOptions } from './kernel/govern.js';
export { Kernel } from './kernel/kernel.js';
export { defaultAuditLog } from './kernel/default-audit-log.js';
export type { KernelOptions, HandleOptions } from './kernel/kernel.js';
export type { KernelIdentityOptions } from './kernel/identity-step.js';
export type { TrustDenialKind } from './kernel/requirements-step.js';
export type { Action, Outcome, Cleared, Held, Refused, Passed, Failed, Refusal, RunTool, ToolRunContext } from './kernel/action.js';
export { currentSignal } from './kernel/tool-signal.js';
export type { KillOptions, KillReport } from './execution/kill-switch.js';
export type { Guard, GuardContext } from './kernel/guards.js';
export type { ApprovalHandler } from './kernel/approvals.js';
export type { PolicyInput } from './kernel/policy-input.js';

export { createGovernance, Governance } from './config/governance.js';
export type { GovernanceOptions, HandoffGateSettings } from './config/governance.js';
export { DeploymentConfigError } from './config/config-error.js';
export type { DeploymentSource } from './config/load-deployment.js';
export type { DeploymentFile } from './config/schema.js';
export type { DeploymentConfig, IdentityDeployment, StoreLocation } from './config/resolve-config.js';

export { PolicyEvaluator } from './policy/evaluator.js';
export type { EvaluatorOptions, PolicyEvaluatorInit } from './policy/evaluator.js';
export { loadPolicies, loadPoliciesSync } from './policy/loader.js';
export { PolicyDocument, PolicyRule } from './policy/document/document.js';
export type { PolicyDocumentInit, PolicyRuleInit } from './policy/document/document.js';
export type { ConflictStrategy } from './policy/document/schema.js';
export type { ExplainedDecision, Explanation } from './policy/evaluate/explanation.js';

export type {
  ActionRef,
  AgentRef,
  Decision,
  DecisionError,
  DecisionIdentity,
  Diagnostics,
  GovernanceRequest,
  MatchedRule,
  NormalizedRequest,
  RuntimeErrorKind,
  Stage,
  StageName,
  Transform,
  Verdict,
} from './core/types.js';
export { GovernanceError, GovernanceDenied, GovernanceConfigError, PolicyLoadError, ToolFailed } from './core/errors.js';
export type { GovernanceErrorCode, PolicyIssue } from './core/errors.js';

export { AuditLog } from './audit/audit-log.js';
export type { AuditLogOptions } from './audit/audit-log.js';
export type { AuditEntry } from './audit/entry.js';
export { MemoryAuditSink } from './audit/sink.js';
export type { AuditSink } from './audit/sink.js';
export { JsonlAuditSink } from './audit/jsonl-sink.js';
export { SqliteAuditSink } from './audit/sqlite-sink.js';
export type { SqliteAuditSinkOptions } from './audit/sqlite-sink.js';
export { verifySqliteStore } from './audit/sqlite-verify.js';
export { FileWitness } from './audit/file-witness.js';
export { HttpWitness } from './audit/http-witness.js';
export { StreamWitness } from './audit/stream-witness.js';
export type { Witness, WitnessStatement } from './audit/witness.js';
export { verifyWitnessedStore } from './audit/verify-witnessed.js';
export type { StoreVerifyResult } from './audit/sqlite-verify.js';
export type { VerifyResult } from './audit/verify.js';
