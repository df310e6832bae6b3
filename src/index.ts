/**
 * agent-governance-toolkit: deterministic governance for autonomous AI agents.
 *
 * `govern(tool, { policy })` wraps any tool; `PolicyEvaluator` decides requests against YAML/CEL
 * policies; `AuditLog` keeps a hash-chained record of every decision.
 */
export * from './core/index.js';
export * from './policy/index.js';
export * from './kernel/index.js';
export * from './audit/index.js';
export * from './state/index.js';
