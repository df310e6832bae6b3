/**
 * Policy: documents (YAML / JSON / code), CEL conditions, the rule index, conflict strategies,
 * the Cedar and Rego engines and the evaluator, laid out by stage (each imports only those before
 * it; eslint.config.js enforces it): language/ ← document/ ← compile/ ← evaluate/, with engines/
 * (loaded, with all their I/O, before compile), lint/ and testing/ on top. The top level composes
 * them: evaluator.ts (document → engines → compile → evaluate) and loader.ts (files → evaluator).
 */
export { PolicyEvaluator } from './evaluator.js';
export type { EvaluatorOptions, PolicyEvaluatorInit } from './evaluator.js';
export type {
  CandidateExplanation,
  DecidedBy,
  DocumentExplanation,
  ExplainedDecision,
  Explanation,
  ExplainOptions,
  RateLimitExplanation,
  RuleExplanation,
  SkippedRule,
} from './evaluate/explanation.js';
export { evaluateWithLimits, explainWithLimits } from './evaluate/limited.js';
export { SUBJECT_OF, transformPathProblem } from './document/points.js';
export type { PathProblem, Subject } from './document/points.js';
export type { DecisionTracer } from './evaluate/tracer.js';
export { loadPolicies, loadPoliciesSync, loadPolicySources, resolvePolicyFile } from './loader.js';
export type { ResolvedPolicyFile } from './loader.js';
export { lintPolicies } from './lint/lint.js';
export type { LintFinding, LintReport } from './lint/lint.js';
export { parsePolicyText, validatePolicyData, MAX_POLICY_BYTES, MAX_YAML_ALIASES } from './document/source.js';
export type { PolicySource } from './document/source.js';
export { PolicyAction, PolicyCondition, PolicyDefaults, PolicyDocument, PolicyOperator, PolicyRule } from './document/document.js';
export type { PolicyDocumentInit, PolicyRuleInit } from './document/document.js';
export { PolicyEngine } from './simple-engine.js';
export type { SimpleEffect, SimpleRule } from './simple-engine.js';
export { compileCondition, ConditionError, REQUEST_VARIABLES } from './language/cel.js';
export type { CompiledCondition } from './language/cel.js';
export { rewriteDialect } from './language/dialect.js';
export { documentSchema, API_VERSION, CONFLICT_STRATEGIES, RULE_ACTIONS, STAGES, ENGINE_COMBINATIONS, REGO_VERDICT_FORMS, DEFAULT_REMOTE_TIMEOUT_MS, UNCONFIGURED_POINTS } from './document/schema.js';
export type { ConflictStrategy, PolicyDocumentSpec, PolicyRuleSpec, PolicyScope, EnginesSpec, CedarEngineSpec, RegoEngineSpec, EngineCombination } from './document/schema.js';
export { findOpaBinary } from './engines/opa-binary.js';
export type { EngineKind } from './compile/engine.js';
export { findPolicyTestFiles, runPolicyTestFile, runPolicyTests, unmetExpectations } from './testing/policy-test.js';
export type { PolicyTestCaseResult, PolicyTestFileResult, PolicyTestOptions, PolicyTestReport } from './testing/policy-test.js';
export { readPolicyTestFile, MAX_REPEAT } from './testing/policy-test-file.js';
export { POLICY_TEST_FILE } from './document/files.js';
export type { PolicyTestCase, PolicyTestExpectation, PolicyTestFile } from './testing/policy-test-file.js';
