import type { NormalizedRequest, Stage } from '../../core/types.js';
import type { CompiledDocument, CompiledPolicySet, CompiledRule } from '../compile/compile.js';
import { skippedByIndex, type DecidedBy, type Explanation, type RateLimitExplanation, type RuleExplanation, type SkippedRule } from './explanation.js';
import type { ConflictStrategy } from '../document/schema.js';

/**
 * An observer of the decision procedure (src/policy/evaluate/decide.ts), in the manner of OPA's tracer: the
 * procedure calls it at each step when one is given and never otherwise, so `evaluate` (no
 * tracer) and `explain` (an {@link ExplanationTracer}) run one and the same algorithm. A tracer
 * only watches: it never changes what is decided.
 */
export interface DecisionTracer {
  /** The documents that apply to the request's agent (all loaded ones are known to the tracer). */
  begin(applicable: readonly CompiledDocument[], agentId: string): void;
  /** The stage's rules, and those of them the rule index left as candidates. */
  indexed(stageRules: readonly CompiledRule[], considered: readonly CompiledRule[], request: NormalizedRequest): void;
  /** A candidate rule of a document that does not apply to the agent. */
  skippedForAgent(rule: CompiledRule, agentId: string): void;
  /** A rule's condition was evaluated: matched or not, and the run-time error if it failed. */
  evaluated(rule: CompiledRule, matched: boolean, error: string | null): void;
  /** What settled the decision. Called once, last. */
  decided(by: DecidedBy): void;
}

/** Builds today's {@link Explanation} from the procedure's steps. */
export class ExplanationTracer implements DecisionTracer {
  private agent = 'anonymous';
  private applicable: readonly CompiledDocument[] = [];
  private readonly rules: RuleExplanation[] = [];
  private readonly skipped: SkippedRule[] = [];
  private readonly rateLimits: RateLimitExplanation[] = [];
  private decidedBy: DecidedBy | null = null;

  constructor(
    private readonly compiled: CompiledPolicySet,
    private readonly stage: Stage,
    private readonly strategy: ConflictStrategy,
    private readonly dryRun: boolean,
  ) {}

  begin(applicable: readonly CompiledDocument[], agentId: string): void {
    this.applicable = applicable;
    this.agent = agentId;
  }

  indexed(stageRules: readonly CompiledRule[], considered: readonly CompiledRule[], request: NormalizedRequest): void {
    this.skipped.push(...skippedByIndex(stageRules, considered, request));
  }

  skippedForAgent(rule: CompiledRule, agentId: string): void {
    this.skipped.push({ policy: rule.document.name, rule: rule.name, by: 'agent', why: `policy '${rule.document.name}' does not apply to agent '${agentId}'` });
  }

  evaluated(rule: CompiledRule, matched: boolean, error: string | null): void {
    this.rules.push({
      policy: rule.document.name,
      rule: rule.name,
      action: rule.verdict,
      priority: rule.priority,
      condition: rule.condition?.source ?? null,
      value: error === null ? matched : 'error',
      ...(error === null ? {} : { error }),
      matched,
    });
    if (matched && rule.limit) {
      // The evaluator decides without counting; a caller that applies the limits afterwards (the
      // kernel, `agt policy eval`) fills in exceeded, retryAfterMs and counted.
      this.rateLimits.push({ policy: rule.document.name, rule: rule.name, limit: rule.limit.text, exceeded: false, retryAfterMs: null, counted: false });
    }
  }

  decided(by: DecidedBy): void {
    this.decidedBy = by;
  }

  /** The explanation of the steps seen. */
  explanation(): Explanation {
    const traced = this.decidedBy !== null && this.decidedBy.by !== 'no_policy' && this.decidedBy.by !== 'document_check';
    return {
      stage: this.stage,
      agent: this.agent,
      strategy: this.strategy,
      documents: this.compiled.documents.map((d) => ({ policy: d.name, origin: d.origin, applies: this.applicable.includes(d) })),
      // a decision made before any rule ran (no policy, a document check) has an empty trace
      rules: traced ? this.rules : [],
      skipped: traced ? this.skipped : [],
      otherStages: this.compiled.rules.length - this.compiled.index.rulesFor(this.stage).length,
      decidedBy: this.decidedBy ?? { by: 'request_error', kind: 'internal', detail: 'the decision procedure ended without a decision' },
      rateLimits: traced ? this.rateLimits : [],
      dryRun: this.dryRun,
    };
  }
}
