import type { PolicyIssue } from '../../core/errors.js';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../../core/limits.js';
import { InvalidRequest, normalizeRequest } from '../../core/request.js';
import { boundedFacts } from '../../core/snapshot.js';
import type { Decision, NormalizedRequest, RuntimeErrorKind, Stage } from '../../core/types.js';
import type { RateLimitSpec } from '../../reliability/rate-limits.js';
import { limitKey, type CompiledPolicySet } from '../compile/compile.js';
import type { ToolRequirements } from '../compile/tool-requirements.js';
import { DecisionProcedure, type Settled } from './decide.js';
import { decisionOf, failureOf } from './decisions.js';
import { describeThrown, engineFailure, type DecisionEngine, type EngineOutcome } from '../compile/engine.js';
import { requestErrorExplanation, type ExplainedDecision, type ExplainOptions } from './explanation.js';
import type { ConflictStrategy, EngineCombination } from '../document/schema.js';
import { ExplanationTracer } from './tracer.js';

/**
 * Evaluate: one request in, one self-explaining {@link Decision} out, synchronously. Never
 * throws for a bad request or a failing condition: those become decisions (fail closed).
 */

/** Options shared by every way of building an evaluator. */
export interface EvaluatorOptions {
  /** Overrides the documents' `conflict_strategy`. */
  conflictStrategy?: ConflictStrategy;
  /** Bounds on a request (size, depth, string length); {@link DEFAULT_REQUEST_LIMITS} by default. */
  limits?: RequestLimits;
}

/**
 * The deciding half of the public `PolicyEvaluator` (src/policy/evaluator.ts), which builds it
 * from documents: it holds a compiled policy set, engines loaded, and decides requests against it.
 *
 * The evaluator is the kernel's pure "policy" step: no clock, no counters, no side effects. Rate
 * limits are stated here ({@link rateLimitsOf}) and applied after it (the kernel's limits step, or
 * `limitDecision` from the reliability module).
 */
export class CompiledEvaluator {
  readonly revision: string;
  /** Non-fatal problems found at load (deprecated forms, ignored AGT settings). */
  readonly warnings: readonly PolicyIssue[];
  readonly strategy: ConflictStrategy;
  private readonly compiled: CompiledPolicySet;
  private readonly procedure: DecisionProcedure;
  private readonly limits: RequestLimits;

  constructor(compiled: CompiledPolicySet, options: EvaluatorOptions = {}) {
    this.compiled = compiled;
    this.revision = compiled.revision;
    this.warnings = compiled.warnings;
    this.strategy = options.conflictStrategy ?? compiled.strategy;
    this.limits = options.limits ?? DEFAULT_REQUEST_LIMITS;
    this.procedure = new DecisionProcedure(compiled, this.strategy);
  }

  /** Names of the loaded documents, in load order. */
  get policyNames(): string[] {
    return this.compiled.documents.map((d) => d.name);
  }

  /**
   * True when the documents say something about `stage`, so callers (adapters, govern()) must not
   * skip it: some document configures it (a rule, an engine consulted there, blocked patterns at
   * pre_input, a tool list at pre_tool and post_tool, a written default_action at pre_tool), or
   * some document denies the points it leaves unconfigured (`unconfigured_points: deny`).
   */
  hasRulesFor(stage: Stage): boolean {
    return this.compiled.configuredPoints.has(stage) || this.compiled.documents.some((d) => d.unconfiguredPoints === 'deny');
  }

  /**
   * The rate limits a decision is subject to: those of the rules in
   * `decision.diagnostics.matchedRules` that have a `limit`, in match order. Costs a length check
   * when no rule has a limit. The evaluator never counts: the kernel's limits step consumes them
   * (with `RateLimiter`) for a call that goes ahead or waits for approval, and turns an exceeded
   * one into a deny (`limitDecision`).
   */
  rateLimitsOf(decision: Decision): readonly RateLimitSpec[] {
    const limits = this.compiled.limits;
    if (limits.size === 0) return NO_LIMITS;
    let found: RateLimitSpec[] | null = null;
    for (const matched of decision.diagnostics.matchedRules) {
      const spec = limits.get(limitKey(matched.policy, matched.rule));
      if (spec && !found?.includes(spec)) (found ??= []).push(spec);
    }
    return found ?? NO_LIMITS;
  }

  /**
   * What a call of `tool` requires (the policy's `tools:` entries whose glob matches it,
   * strictest-wins): `verify` and `minTrust`. Enforced by the kernel after the identity step;
   * the evaluator itself decides nothing with them. A Map lookup per known tool name.
   */
  requirementsFor(tool: string): ToolRequirements {
    return this.compiled.toolRequirements.requirementsFor(tool);
  }

  /**
   * Whether a quarantined agent may still call `tool`: every document with a `quarantine:`
   * section allows it (none: nothing is). Read by the kernel's standing guard.
   */
  quarantineAllows(tool: string): boolean {
    return this.compiled.quarantine.allows(tool);
  }

  /** True when some document has a `tools:` entry. */
  get hasToolRequirements(): boolean {
    return !this.compiled.toolRequirements.empty;
  }

  /** Decides one request. Never throws. */
  evaluate(request: unknown): Decision {
    const started = performance.now();
    const normalized = this.normalize(request);
    if (normalized instanceof InvalidRequest) return this.failure('invalid_request', normalized.message, normalized.stage, started);
    return this.settle(normalized, null, started);
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
    const normalized = this.normalize(request);
    if (normalized instanceof InvalidRequest) return this.failure('invalid_request', normalized.message, normalized.stage, started);
    const remote = new Map<DecisionEngine, EngineOutcome>();
    try {
      await Promise.all(
        this.procedure.remoteEnginesFor(normalized).map(async (engine) => {
          remote.set(engine, await engine.decideAsync(normalized).catch((error: unknown) => engineFailure('opa_error', describeThrown(error))));
        }),
      );
    } catch (error) {
      return this.failure('internal', `evaluation failed: ${describeThrown(error)}`, normalized.stage, started);
    }
    return this.settle(normalized, remote, started);
  }

  /** Releases what engines hold open (a remote OPA engine's kept-alive connections). */
  close(): void {
    for (const document of this.compiled.documents) {
      for (const engine of document.engines?.list ?? []) if (engine.remote) engine.close();
    }
  }

  /** The deny decision for a request that could not even be read (e.g. text that is not JSON). */
  rejectInvalid(message: string, stage: Stage = 'pre_tool'): Decision {
    return this.failure('invalid_request', message, stage, performance.now());
  }

  /**
   * Decides one request exactly as {@link evaluate} does and says how: the documents and rules
   * considered, the rules the index skipped and why, each condition's value, and how the conflict
   * strategy (or a default, a tool list, a blocked pattern, the engines) settled it. It runs the
   * same procedure as evaluate, with a tracer watching; evaluate runs it with none.
   *
   * Rate limits: the explanation lists the limits of the matched rules; the evaluator counts
   * nothing, so `exceeded` and `counted` are false until a caller that applies limits (the
   * kernel, `agt policy eval`) fills them in. `dryRun` is carried into the explanation for them.
   */
  explain(request: unknown, options: ExplainOptions = {}): ExplainedDecision {
    const started = performance.now();
    const dryRun = options.dryRun === true;
    const normalized = this.normalize(request);
    if (normalized instanceof InvalidRequest) return this.explainedFailure('invalid_request', normalized.message, normalized.stage, started, dryRun);
    const tracer = new ExplanationTracer(this.compiled, normalized.stage, this.strategy, dryRun);
    let settled: Settled;
    try {
      settled = this.procedure.run(normalized, null, tracer);
    } catch (error) {
      return this.explainedFailure('internal', `evaluation failed: ${describeThrown(error)}`, normalized.stage, started, dryRun);
    }
    return { decision: this.decisionOf(settled, normalized.stage, started), explanation: tracer.explanation() };
  }

  /** {@link rejectInvalid} with its explanation, for `explain` callers. */
  explainInvalid(message: string, stage: Stage = 'pre_tool'): ExplainedDecision {
    return this.explainedFailure('invalid_request', message, stage, performance.now(), false);
  }

  /** The request checked and normalized, or why it cannot be read. Never throws. */
  private normalize(request: unknown): NormalizedRequest | InvalidRequest {
    // The kernel's bounds step already copied, checked and normalized this request (within these
    // limits or tighter ones) and froze it: walking it again would find nothing new.
    const facts = boundedFacts(request);
    if (facts && facts.limits.maxBytes <= this.limits.maxBytes && facts.limits.maxDepth <= this.limits.maxDepth) return request as NormalizedRequest;
    try {
      return normalizeRequest(request, this.limits);
    } catch {
      // Only exotic objects get here (a getter or proxy trap that throws): not JSON data. What it
      // threw is the request's own text (it may hold a secret), so it is not repeated.
      return new InvalidRequest('the request could not be read (a getter or proxy threw)');
    }
  }

  /** Runs the procedure without a tracer. Never throws. */
  private settle(request: NormalizedRequest, remote: ReadonlyMap<DecisionEngine, EngineOutcome> | null, started: number): Decision {
    try {
      return this.decisionOf(this.procedure.run(request, remote, null), request.stage, started);
    } catch (error) {
      return this.failure('internal', `evaluation failed: ${describeThrown(error)}`, request.stage, started);
    }
  }

  private decisionOf(settled: Settled, stage: Stage, started: number): Decision {
    return settled.ok ? decisionOf(settled.winner, settled.matched, settled.errors, stage, this.revision, started) : this.failure(settled.kind, settled.message, stage, started);
  }

  private explainedFailure(kind: RuntimeErrorKind, message: string, stage: Stage, started: number, dryRun: boolean): ExplainedDecision {
    const decision = this.failure(kind, message, stage, started);
    return { decision, explanation: requestErrorExplanation(stage, this.strategy, kind, decision.reason, dryRun) };
  }

  private failure(kind: RuntimeErrorKind, message: string, stage: Stage, started: number): Decision {
    return failureOf(kind, message, stage, this.revision, started);
  }
}

const NO_LIMITS: readonly RateLimitSpec[] = Object.freeze([]);
