import { canonicalJson } from '../core/canonical-json.js';
import type { PolicyIssue } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../core/limits.js';
import { InvalidRequest, normalizeRequest } from '../core/request.js';
import { isAllowingVerdict, type Decision, type DecisionError, type MatchedRule, type NormalizedRequest, type RuntimeErrorKind, type Stage, type Verdict } from '../core/types.js';
import type { RateLimitSpec } from '../reliability/rate-limits.js';
import { compilePolicies, type CompiledDocument, type CompiledPolicySet, type CompiledRule } from './compile.js';
import { explainConflict, mergeTransforms, resolveConflict, type Candidate } from './conflict.js';
import type { PolicyDocument } from './document.js';
import { combineParts, determiningNames, engineCandidate, explainCombination, hasSeveralDeterminers, type EnginePart } from './engine-combination.js';
import { describeThrown, engineFailure, type DecisionEngine, type EngineOutcome } from './engines/engine.js';
import {
  describeCandidate,
  requestErrorExplanation,
  skippedByIndex,
  type DecidedBy,
  type ExplainedDecision,
  type ExplainOptions,
  type Explanation,
  type RateLimitExplanation,
  type RuleExplanation,
} from './explanation.js';
import { ALWAYS } from './glob.js';
import type { ConflictStrategy, EngineCombination } from './schema.js';
import { parsePolicyText, validatePolicyData, type PolicySource } from './source.js';

/**
 * Evaluate: one request in, one self-explaining {@link Decision} out, synchronously. Never
 * throws for a bad request or a failing condition: those become decisions (fail closed).
 */

/** Options shared by every way of building an evaluator. */
export interface EvaluatorOptions {
  /** Overrides the documents' `conflict_strategy`. */
  conflictStrategy?: ConflictStrategy;
  limits?: RequestLimits;
}

/** What `new PolicyEvaluator(...)` accepts: documents (class instances or plain objects) and options. */
export interface PolicyEvaluatorInit extends EvaluatorOptions {
  policies: readonly (PolicyDocument | Record<string, unknown>)[];
}

/**
 * Decides requests against compiled policy documents. Build one with `new PolicyEvaluator({ policies })`,
 * {@link PolicyEvaluator.fromYaml} or `loadPolicies()`; `evaluate(request)` is synchronous, never
 * throws, and returns a {@link Decision} naming the rule, the policy and the reason.
 *
 * @example
 * const evaluator = PolicyEvaluator.fromYaml(yamlText);
 * evaluator.evaluate({ tool_name: 'db', action: { type: 'drop' } }).verdict; // 'deny'
 */
export class PolicyEvaluator {
  readonly revision: string;
  /** Non-fatal problems found at load (deprecated forms, ignored AGT settings). */
  readonly warnings: readonly PolicyIssue[];
  readonly strategy: ConflictStrategy;
  private readonly compiled: CompiledPolicySet;
  private readonly limitsByRule = new Map<string, RateLimitSpec>();
  private readonly limits: RequestLimits;
  /** True when no document filters by agent, so per-rule applicability checks can be skipped. */
  private readonly everyDocumentApplies: boolean;

  constructor(init: PolicyEvaluatorInit | { sources: readonly PolicySource[]; options?: EvaluatorOptions }) {
    let options: EvaluatorOptions;
    let sources: readonly PolicySource[];
    if ('sources' in init) {
      sources = init.sources;
      options = init.options ?? {};
    } else {
      sources = init.policies.map((doc, i) => validatePolicyData(toPlain(doc), `<policies[${i}]>`));
      options = init;
    }
    this.compiled = compilePolicies(sources);
    this.revision = this.compiled.revision;
    this.warnings = this.compiled.warnings;
    this.strategy = options.conflictStrategy ?? this.compiled.strategy;
    this.limits = options.limits ?? DEFAULT_REQUEST_LIMITS;
    this.everyDocumentApplies = this.compiled.documents.every((d) => d.appliesTo === ALWAYS);
    for (const rule of this.compiled.rules) {
      if (rule.limit) this.limitsByRule.set(`${rule.document.name}\u0000${rule.name}`, { policy: rule.document.name, rule: rule.name, count: rule.limit.count, windowMs: rule.limit.windowMs, text: rule.limit.text });
    }
  }

  /** Builds an evaluator from one policy document in YAML (or JSON) text. */
  static fromYaml(text: string, options: EvaluatorOptions & { origin?: string } = {}): PolicyEvaluator {
    return new PolicyEvaluator({ sources: [parsePolicyText(text, options.origin ?? '<yaml>')], options });
  }

  /** Names of the loaded documents, in load order. */
  get policyNames(): string[] {
    return this.compiled.documents.map((d) => d.name);
  }

  /** True when some rule of `stage` exists (lets callers skip a stage nobody governs). */
  hasRulesFor(stage: Stage): boolean {
    return this.compiled.index.rulesFor(stage).length > 0 || (stage === 'pre_input' && this.compiled.documents.some((d) => d.blockedPatterns.length > 0));
  }

  /** Decides one request. Never throws. */
  evaluate(request: unknown): Decision {
    const started = performance.now();
    const normalized = this.normalize(request, started);
    if (!isNormalized(normalized)) return normalized;
    try {
      return this.decide(normalized, started, null);
    } catch (error) {
      return this.failure('internal', `evaluation failed: ${describe(error)}`, normalized.stage, started);
    }
  }

  /**
   * True when some document has a remote engine (a remote OPA server): decide with
   * {@link evaluateAsync}; `evaluate` denies such requests, since it cannot wait for the network.
   */
  get needsAsync(): boolean {
    return this.compiled.hasRemoteEngines;
  }

  /** How the documents' rules and engines are combined (see `engines.combine`). */
  get engineCombination(): EngineCombination {
    return this.compiled.combine;
  }

  /**
   * Decides one request like {@link evaluate}, waiting for remote engines (OPA over HTTP) where
   * a document has one. Without remote engines it is `evaluate`, already resolved. Never
   * rejects: a remote engine that times out, fails or answers nonsense makes the decision a deny.
   */
  async evaluateAsync(request: unknown): Promise<Decision> {
    if (!this.compiled.hasRemoteEngines) return this.evaluate(request);
    const started = performance.now();
    const normalized = this.normalize(request, started);
    if (!isNormalized(normalized)) return normalized;
    const remote = new Map<DecisionEngine, EngineOutcome>();
    try {
      if (normalized.stage === 'pre_tool') {
        const documents = this.applicableDocuments(normalized);
        // A document check that ends evaluation needs no network round trip.
        if (documents.length > 0 && !this.documentChecks(normalized, documents)) {
          const engines = documents.flatMap((d) => d.engines?.list ?? []).filter((e) => e.remote);
          await Promise.all(
            engines.map(async (engine) => {
              const outcome = engine.remote ? await engine.decideAsync(normalized).catch((error: unknown) => engineFailure('opa_error', describeThrown(error))) : null;
              if (outcome) remote.set(engine, outcome);
            }),
          );
        }
      }
      return this.decide(normalized, started, remote);
    } catch (error) {
      return this.failure('internal', `evaluation failed: ${describe(error)}`, normalized.stage, started);
    }
  }

  /** Releases what engines hold open (a remote OPA engine's kept-alive connections). */
  close(): void {
    for (const document of this.compiled.documents) {
      for (const engine of document.engines?.list ?? []) if (engine.remote) engine.close();
    }
  }

  /** The request checked and normalized, or the deny decision for one that cannot be read. */
  private normalize(request: unknown, started: number): NormalizedRequest | Decision {
    let normalized: NormalizedRequest | InvalidRequest;
    try {
      normalized = normalizeRequest(request, this.limits);
    } catch (error) {
      // Only exotic objects get here (a getter or proxy trap that throws): not JSON data.
      return this.failure('invalid_request', `the request could not be read: ${describe(error)}`, 'pre_tool', started);
    }
    if (normalized instanceof InvalidRequest) {
      return this.failure('invalid_request', normalized.message, normalized.stage, started);
    }
    return normalized;
  }

  private applicableDocuments(request: NormalizedRequest): readonly CompiledDocument[] {
    if (this.everyDocumentApplies) return this.compiled.documents;
    const agentId = typeof request.agent.id === 'string' ? request.agent.id : 'anonymous';
    return this.compiled.documents.filter((d) => d.appliesTo(agentId));
  }

  /** The deny decision for a request that could not even be read (e.g. text that is not JSON). */
  rejectInvalid(message: string, stage: Stage = 'pre_tool'): Decision {
    return this.failure('invalid_request', message, stage, performance.now());
  }

  /**
   * Decides one request exactly as {@link evaluate} does and says how: the documents and rules
   * considered, the rules the index skipped and why, each condition's value, and how the conflict
   * strategy (or a default, a tool list, a blocked pattern) settled it. It runs on its own path,
   * so evaluate pays nothing for it; a randomized test holds the two to the same decisions.
   *
   * Rate limits: explain is evaluate with a trace, so it counts a call that goes ahead against
   * the limits of the rules it matched, once, exactly as evaluate would; a stream of explained
   * requests gets the decisions a stream of evaluated ones gets. Call it instead of evaluate, not
   * as well (that would count the call twice), or pass `{ dryRun: true }` to count nothing.
   */
  explain(request: unknown, options: ExplainOptions = {}): ExplainedDecision {
    const started = performance.now();
    const dryRun = options.dryRun === true;
    let normalized: NormalizedRequest | InvalidRequest;
    try {
      normalized = normalizeRequest(request, this.limits);
    } catch (error) {
      return this.explainedFailure('invalid_request', `the request could not be read: ${describe(error)}`, 'pre_tool', started, dryRun);
    }
    if (normalized instanceof InvalidRequest) {
      return this.explainedFailure('invalid_request', normalized.message, normalized.stage, started, dryRun);
    }
    try {
      return this.decideExplained(normalized, started, dryRun);
    } catch (error) {
      return this.explainedFailure('internal', `evaluation failed: ${describe(error)}`, normalized.stage, started, dryRun);
    }
  }

  /** {@link rejectInvalid} with its explanation, for `explain` callers. */
  explainInvalid(message: string, stage: Stage = 'pre_tool'): ExplainedDecision {
    return this.explainedFailure('invalid_request', message, stage, performance.now(), false);
  }

  /** `remote`: the answers of remote engines, gathered by evaluateAsync; null on the sync path. */
  private decide(request: NormalizedRequest, started: number, remote: ReadonlyMap<DecisionEngine, EngineOutcome> | null): Decision {
    const agentId = typeof request.agent.id === 'string' ? request.agent.id : 'anonymous';
    const documents = this.everyDocumentApplies ? this.compiled.documents : this.compiled.documents.filter((d) => d.appliesTo(agentId));
    if (documents.length === 0) {
      return this.failure('no_policy', `no policy applies to agent '${agentId}'`, request.stage, started);
    }
    const candidates: Candidate[] = [];
    const errors: DecisionError[] = [];

    const absolute = this.documentChecks(request, documents);
    if (absolute) return this.finish(absolute, [absolute], errors, request.stage, started);

    const rules = this.compiled.index.candidates(request.stage, request.tool_name, request.action.type);
    for (const rule of rules) {
      if (!this.everyDocumentApplies && !documents.includes(rule.document)) continue;
      if (this.matches(rule, request, errors)) candidates.push(this.candidateFor(rule));
    }

    if (this.compiled.hasEngines && request.stage === 'pre_tool') {
      const combined = this.combineWithEngines(request, documents, candidates, errors, remote);
      return this.finish(combined.winner, combined.matched, errors, request.stage, started);
    }

    let winner: Candidate;
    if (candidates.length > 0) {
      winner = resolveConflict(candidates, this.strategy);
      if (winner.verdict === 'transform' && this.strategy === 'deny_overrides') {
        winner = { ...winner, transform: mergeTransforms(candidates) };
      }
    } else {
      winner = this.defaultFor(request, documents);
    }
    return this.finish(winner, candidates, errors, request.stage, started);
  }

  /**
   * {@link decide}, step for step, recording each step. Keep the two in step: every branch here
   * mirrors one there (the equivalence test in test/policy/explain.test.ts checks they agree).
   */
  private decideExplained(request: NormalizedRequest, started: number, dryRun: boolean): ExplainedDecision {
    const stage = request.stage;
    const agentId = typeof request.agent.id === 'string' ? request.agent.id : 'anonymous';
    const documents = this.everyDocumentApplies ? this.compiled.documents : this.compiled.documents.filter((d) => d.appliesTo(agentId));
    const stageRules = this.compiled.index.rulesFor(stage);
    const context = {
      stage,
      agent: agentId,
      strategy: this.strategy,
      documents: this.compiled.documents.map((d) => ({ policy: d.name, origin: d.origin, applies: documents.includes(d) })),
      otherStages: this.compiled.rules.length - stageRules.length,
      dryRun,
    };
    // a decision made before any rule ran (no policy, a document check) has an empty trace
    const explained = (decision: Decision, decidedBy: DecidedBy, trace: Pick<Explanation, 'rules' | 'skipped' | 'rateLimits'> = { rules: [], skipped: [], rateLimits: [] }): ExplainedDecision => ({
      decision,
      explanation: { ...context, ...trace, decidedBy },
    });
    if (documents.length === 0) {
      const decision = this.failure('no_policy', `no policy applies to agent '${agentId}'`, stage, started);
      return explained(decision, { by: 'no_policy', detail: decision.reason });
    }
    const candidates: Candidate[] = [];
    const errors: DecisionError[] = [];

    const absolute = this.documentChecks(request, documents);
    if (absolute) {
      const decidedBy: DecidedBy = { by: 'document_check', check: absolute.name ?? '', policy: absolute.document.name, detail: absolute.reason };
      return explained(this.finish(absolute, [absolute], errors, stage, started), decidedBy);
    }

    const rules = this.compiled.index.candidates(stage, request.tool_name, request.action.type);
    const evaluated: RuleExplanation[] = [];
    const skipped = skippedByIndex(stageRules, rules, request);
    const limits = new Map<Candidate, RateLimitExplanation>();
    for (const rule of rules) {
      if (!this.everyDocumentApplies && !documents.includes(rule.document)) {
        skipped.push({ policy: rule.document.name, rule: rule.name, by: 'agent', why: `policy '${rule.document.name}' does not apply to agent '${agentId}'` });
        continue;
      }
      const errorsBefore = errors.length;
      const matched = this.matches(rule, request, errors);
      const error = errors.length > errorsBefore ? (errors[errors.length - 1] as DecisionError).message : null;
      evaluated.push({
        policy: rule.document.name,
        rule: rule.name,
        action: rule.verdict,
        priority: rule.priority,
        condition: rule.condition?.source ?? null,
        value: error === null ? matched : 'error',
        ...(error === null ? {} : { error }),
        matched,
      });
      if (!matched) continue;
      const candidate = this.candidateFor(rule);
      candidates.push(candidate);
      if (rule.limit) {
        limits.set(candidate, { policy: rule.document.name, rule: rule.name, limit: rule.limit.text, exceeded: candidate.rateLimited, retryAfterMs: candidate.retryAfterMs, counted: false });
      }
    }

    let winner: Candidate;
    let decidedBy: DecidedBy;
    let matched: Candidate[] = candidates;
    if (this.compiled.hasEngines && stage === 'pre_tool') {
      const combined = this.combineWithEngines(request, documents, candidates, errors, null);
      winner = combined.winner;
      matched = combined.matched;
      decidedBy = {
        by: 'engines',
        combine: this.compiled.combine,
        parts: combined.parts.map((p) => describeCandidate(p.candidate)),
        winner: { policy: winner.document.name, rule: winner.name ?? '(default)' },
        why: explainCombination(combined.parts, this.compiled.combine, winner),
      };
    } else if (candidates.length > 0) {
      winner = resolveConflict(candidates, this.strategy);
      const why = explainConflict(candidates, this.strategy, winner);
      let mergedTransforms: string[] = [];
      if (winner.verdict === 'transform' && this.strategy === 'deny_overrides') {
        winner = { ...winner, transform: mergeTransforms(candidates) };
        mergedTransforms = candidates.filter((c) => c.verdict === 'transform' && c.transform).map((c) => c.name ?? '(default)');
      }
      decidedBy = {
        by: 'conflict',
        strategy: this.strategy,
        candidates: candidates.map(describeCandidate),
        winner: { policy: winner.document.name, rule: winner.name ?? '(default)' },
        why,
        ...(mergedTransforms.length > 1 ? { mergedTransforms } : {}),
      };
    } else {
      winner = this.defaultFor(request, documents);
      decidedBy = { by: 'default', policy: winner.document.name, check: winner.name, detail: winner.reason };
    }
    return explained(this.finish(winner, matched, errors, stage, started), decidedBy, { rules: evaluated, skipped, rateLimits: [...limits.values()] });
  }

  private explainedFailure(kind: RuntimeErrorKind, message: string, stage: Stage, started: number, dryRun: boolean): ExplainedDecision {
    const decision = this.failure(kind, message, stage, started);
    return { decision, explanation: requestErrorExplanation(stage, this.strategy, kind, decision.reason, dryRun) };
  }

  /**
   * A tool call decided by the documents' engines beside their rules: the rules' winner (or, when
   * no rule matched, the default of the documents without engines) is one part, each engine's
   * answer another, and the combination picks among them. Documents with engines leave a request
   * no rule matched to their engines: their `default_action` is not consulted.
   */
  private combineWithEngines(
    request: NormalizedRequest,
    documents: readonly CompiledDocument[],
    candidates: readonly Candidate[],
    errors: DecisionError[],
    remote: ReadonlyMap<DecisionEngine, EngineOutcome> | null,
  ): { winner: Candidate; matched: Candidate[]; parts: EnginePart[] } {
    const parts: EnginePart[] = [];
    const matched: Candidate[] = [...candidates];
    if (candidates.length > 0) {
      let rules = resolveConflict(candidates, this.strategy);
      if (rules.verdict === 'transform' && this.strategy === 'deny_overrides') rules = { ...rules, transform: mergeTransforms(candidates) };
      parts.push({ candidate: rules, failed: false, errors: [] });
    } else {
      const plain = documents.filter((d) => d.engines === null);
      if (plain.length > 0) parts.push({ candidate: this.defaultFor(request, plain), failed: false, errors: [] });
    }
    for (const document of documents) {
      for (const engine of document.engines?.list ?? []) {
        const outcome = engine.remote
          ? (remote?.get(engine) ?? engineFailure('remote_engine', `policy '${document.name}' uses a remote OPA server, which a synchronous evaluate() cannot wait for; use evaluateAsync() (govern() does)`))
          : engine.decide(request);
        const part = engineCandidate(document, engine, outcome);
        parts.push(part);
        if (part.errors.length > 0) errors.push(...part.errors);
        if (hasSeveralDeterminers(outcome)) {
          for (const name of determiningNames(engine, outcome)) matched.push({ ...part.candidate, name });
        } else {
          matched.push(part.candidate);
        }
      }
    }
    return { winner: combineParts(parts, this.compiled.combine), matched, parts };
  }

  /** Runs a rule's condition; a runtime error counts in the rule's restrictive direction. */
  private matches(rule: CompiledRule, request: NormalizedRequest, errors: DecisionError[]): boolean {
    const condition = rule.condition;
    if (condition === null) return true;
    const pins = condition.pins;
    if (pins?.exact) {
      // The condition is exactly `field == literal` / `field in [literals]`: decide it directly
      // when the field holds a string (it does on the indexed path); otherwise let CEL decide.
      const value = pins.field === 'tool_name' ? request.tool_name : request.action.type;
      if (typeof value === 'string') return pins.values.includes(value);
    }
    try {
      return condition.test(request);
    } catch (error) {
      const message = (error as { summary?: string; message?: string })?.summary ?? (error as Error)?.message ?? String(error);
      errors.push({
        kind: 'condition_error',
        policy: rule.document.name,
        rule: rule.name,
        message: `${message} (counted as ${rule.errorMatches ? 'matched' : 'not matched'}: ${rule.verdict} rules fail ${rule.errorMatches ? 'closed' : 'open to the default'})`,
      });
      return rule.errorMatches;
    }
  }

  private candidateFor(rule: CompiledRule): Candidate {
    const candidate: Candidate = {
      name: rule.name,
      document: rule.document,
      verdict: rule.verdict,
      priority: rule.priority,
      ordinal: rule.ordinal,
      reason: rule.reason,
      approvers: rule.approvers,
      transform: rule.transform,
      rateLimited: false,
      retryAfterMs: null,
    };
    return candidate;
  }

  /**
   * The rate limits of the rules a decision matched, in match order: what the kernel's limits
   * step counts the call against. Empty (and free) when no rule has a limit.
   */
  rateLimitsOf(decision: Decision): readonly RateLimitSpec[] {
    if (this.limitsByRule.size === 0) return NO_LIMITS;
    const specs: RateLimitSpec[] = [];
    for (const matched of decision.diagnostics.matchedRules) {
      const spec = this.limitsByRule.get(`${matched.policy}\u0000${matched.rule}`);
      if (spec && !specs.includes(spec)) specs.push(spec);
    }
    return specs;
  }

  /** Document-level checks that end evaluation: tool allow/deny lists and blocked input patterns. */
  private documentChecks(request: NormalizedRequest, documents: readonly CompiledDocument[]): Candidate | null {
    for (const document of documents) {
      if (request.stage === 'pre_tool') {
        const tool = request.tool_name;
        if (document.deniedTools && tool !== null && document.deniedTools(tool)) {
          return documentCandidate(document, 'denied_tools', 'deny', `Tool '${tool}' is in denied_tools`);
        }
        if (document.allowedTools && (tool === null || !document.allowedTools(tool))) {
          return documentCandidate(document, 'allowed_tools', 'deny', tool === null ? 'The request names no tool and allowed_tools is set' : `Tool '${tool}' is not in allowed_tools`);
        }
      } else if (request.stage === 'pre_input' && document.blockedPatterns.length > 0 && request.input !== null) {
        const text = typeof request.input === 'string' ? request.input : canonicalJson(request.input);
        for (const blocked of document.blockedPatterns) {
          if (blocked.regex.test(text)) {
            return documentCandidate(document, 'blocked_patterns', 'deny', `Input matches blocked pattern ${JSON.stringify(blocked.pattern)}`);
          }
        }
      }
    }
    return null;
  }

  /** No rule matched. Tool calls get the documents' default (deny if any says deny); content stages pass. */
  private defaultFor(request: NormalizedRequest, documents: readonly CompiledDocument[]): Candidate {
    if (request.stage !== 'pre_tool') {
      return documentCandidate(documents[0] as CompiledDocument, null, 'allow', `No ${request.stage} rule matched; content passes unless a rule says otherwise`);
    }
    let allowing: Candidate | null = null;
    for (const document of documents) {
      if (document.allowedTools) {
        allowing ??= documentCandidate(document, 'allowed_tools', 'allow', `Tool '${request.tool_name}' is in allowed_tools`);
      } else if (document.defaultVerdict === 'deny') {
        return documentCandidate(document, null, 'deny', 'No rule matched; default_action is deny');
      } else {
        allowing ??= documentCandidate(document, null, 'allow', 'No rule matched; default_action is allow');
      }
    }
    return allowing as Candidate;
  }

  private finish(winner: Candidate, candidates: readonly Candidate[], errors: DecisionError[], stage: Stage, started: number): Decision {
    const matchedRules: MatchedRule[] = candidates.map((c) => ({ policy: c.document.name, rule: c.name ?? '(default)', verdict: c.verdict, priority: c.priority }));
    return {
      verdict: winner.verdict,
      allowed: isAllowingVerdict(winner.verdict),
      rule: winner.name,
      policy: winner.document.name,
      reason: winner.reason,
      message: winner.reason,
      approvers: [...winner.approvers],
      transform: winner.verdict === 'transform' ? winner.transform : null,
      rateLimited: winner.rateLimited,
      retryAfterMs: winner.retryAfterMs,
      decisionId: uuidv7(),
      policyRevision: this.revision,
      stage,
      inputIdentity: null,
      enforcedIdentity: null,
      durationUs: elapsedUs(started),
      diagnostics: { matchedRules, errors },
    };
  }

  private failure(kind: RuntimeErrorKind, message: string, stage: Stage, started: number): Decision {
    const reason = `runtime_error:${kind}: ${message}`;
    return {
      verdict: 'deny',
      allowed: false,
      rule: null,
      policy: null,
      reason,
      message: reason,
      approvers: [],
      transform: null,
      rateLimited: false,
      retryAfterMs: null,
      decisionId: uuidv7(),
      policyRevision: this.revision,
      stage,
      inputIdentity: null,
      enforcedIdentity: null,
      durationUs: elapsedUs(started),
      diagnostics: { matchedRules: [], errors: [{ kind, message }] },
    };
  }
}


const NO_LIMITS: readonly RateLimitSpec[] = Object.freeze([]);

function isNormalized(value: NormalizedRequest | Decision): value is NormalizedRequest {
  return !('verdict' in value);
}

function documentCandidate(document: CompiledDocument, name: string | null, verdict: Verdict, reason: string): Candidate {
  return {
    name,
    document,
    verdict,
    priority: 0,
    ordinal: -1,
    reason,
    approvers: [],
    transform: null,
    rateLimited: false,
    retryAfterMs: null,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}


function elapsedUs(started: number): number {
  return Math.round((performance.now() - started) * 10_000) / 10;
}

function toPlain(doc: PolicyDocument | Record<string, unknown>): unknown {
  return typeof (doc as PolicyDocument).toSpec === 'function' ? (doc as PolicyDocument).toSpec() : doc;
}
