/**
 * `agent-governance-toolkit/policy`: the policy language beyond the root's PolicyEvaluator and
 * loadPolicies: linting, policy tests, explanations in detail, conditions on their own, the
 * document format's constants, the simple glob-rule engine, and the OPA binary lookup.
 */
export type { CandidateExplanation, DecidedBy, DocumentExplanation, ExplainOptions, RateLimitExplanation, RuleExplanation, SkippedRule } from '../policy/evaluate/explanation.js';
export type { DecisionTracer } from '../policy/evaluate/tracer.js';
export { evaluateWithLimits, explainWithLimits } from '../policy/evaluate/limited.js';
export { loadPolicySources, resolvePolicyFile } from '../policy/loader.js';
export type { ResolvedPolicyFile } from '../policy/loader.js';
export { lintPolicies } from '../policy/lint/lint.js';
export type { LintFinding, LintReport } from '../policy/lint/lint.js';
export { parsePolicyText, MAX_POLICY_BYTES, MAX_YAML_ALIASES } from '../policy/document/source.js';
export type { PolicySource } from '../policy/document/source.js';
export { PolicyAction, PolicyCondition, PolicyDefaults, PolicyOperator } from '../policy/document/document.js';
export { PolicyEngine } from '../policy/simple-engine.js';
export type { SimpleEffect, SimpleRule } from '../policy/simple-engine.js';
export { compileCondition, ConditionError, REQUEST_VARIABLES } from '../policy/language/cel.js';
export type { CompiledCondition } from '../policy/language/cel.js';
export { DEFAULT_EVALUATION_BUDGET, MAX_EVALUATION_BUDGET, EvaluationBudget, EvaluationBudgetSpent } from '../policy/language/budget.js';
export { API_VERSION, CONFLICT_STRATEGIES, RULE_ACTIONS, STAGES, ENGINE_COMBINATIONS, REGO_VERDICT_FORMS, DEFAULT_REMOTE_TIMEOUT_MS, UNCONFIGURED_POINTS } from '../policy/document/schema.js';
export { VERIFICATION_LEVELS } from '../policy/document/schema.js';
export { NO_REQUIREMENTS } from '../policy/document/tool-requirements.js';
export type { ToolRequirements, ToolRing } from '../policy/document/tool-requirements.js';
export type { ToolRequirementsSpec } from '../policy/document/schema.js';
export type { PolicyDocumentSpec, PolicyRuleSpec, PolicyScope, EnginesSpec, CedarEngineSpec, RegoEngineSpec, EngineCombination } from '../policy/document/schema.js';
export { findOpaBinary } from '../policy/engines/opa-binary.js';
export type { EngineKind } from '../policy/compile/engine.js';
export { findPolicyTestFiles, runPolicyTestFile, runPolicyTests, unmetExpectations } from '../policy/testing/policy-test.js';
export type { PolicyTestCaseResult, PolicyTestFileResult, PolicyTestOptions, PolicyTestReport } from '../policy/testing/policy-test.js';
export { readPolicyTestFile, MAX_REPEAT } from '../policy/testing/policy-test-file.js';
export { POLICY_TEST_FILE } from '../policy/document/files.js';
export type { PolicyTestCase, PolicyTestExpectation, PolicyTestFile } from '../policy/testing/policy-test-file.js';
