import type { Decision, NormalizedRequest, Stage, Verdict } from '../../core/types.js';
import type { CompiledRule } from '../compile/compile.js';
import type { Candidate } from './conflict.js';
import type { ConflictStrategy, EngineCombination } from '../document/schema.js';

/**
 * The trace `PolicyEvaluator.explain()` returns beside a decision: what was considered, what each
 * condition came to, and how the winner was chosen. Plain JSON data, so `agt policy eval
 * --explain --json` prints it as is.
 */

/** A decision and how it was reached. */
export interface ExplainedDecision {
  decision: Decision;
  explanation: Explanation;
}

/** How {@link PolicyEvaluator.explain} runs. */
export interface ExplainOptions {
  /**
   * Count nothing against rate limits. The evaluator never counts (limits are applied after it);
   * the flag is carried into {@link Explanation.dryRun} for the callers that apply limits
   * afterwards (`explainWithLimits`, `agt policy eval --explain`), which then count nothing.
   */
  dryRun?: boolean;
}

/** Everything that went into one decision, in the order the evaluator did it. */
export interface Explanation {
  stage: Stage;
  /** The agent id limits and `agents` filters used; `anonymous` when the request names none. */
  agent: string;
  strategy: ConflictStrategy;
  /** Every loaded document and whether its `agents` let it apply to this request. */
  documents: DocumentExplanation[];
  /** Rules of the request's stage that were evaluated, in evaluation order. */
  rules: RuleExplanation[];
  /** Rules of the request's stage that were not evaluated, and why. */
  skipped: SkippedRule[];
  /** How many rules are for other stages (never considered). */
  otherStages: number;
  decidedBy: DecidedBy;
  /**
   * The rate limits of the matched rules. The evaluator lists them (exceeded and counted false);
   * a caller that applies them says whether each was past its limit and whether this call counted.
   */
  rateLimits: RateLimitExplanation[];
  /** True when {@link ExplainOptions.dryRun} kept this call from being counted. */
  dryRun: boolean;
}

/** One loaded document. */
export interface DocumentExplanation {
  policy: string;
  origin: string;
  applies: boolean;
}

/** One evaluated rule: its condition's value, and whether that made it a candidate. */
export interface RuleExplanation {
  policy: string;
  rule: string;
  action: Verdict;
  priority: number;
  /** The condition as written; null for a rule without one (always true). */
  condition: string | null;
  /** What the condition came to; `error` when it failed at run time. */
  value: boolean | 'error';
  /** The run-time error, when `value` is `error`. */
  error?: string;
  /** True when the rule became a candidate: its condition held, or it failed and the rule fails closed. */
  matched: boolean;
}

/** A rule of the request's stage that was not evaluated. */
export interface SkippedRule {
  policy: string;
  rule: string;
  /** `index`: its condition pins a literal the request does not have. `agent`: its document does not apply. */
  by: 'index' | 'agent';
  why: string;
}

/** One candidate the conflict strategy chose among. */
export interface CandidateExplanation {
  policy: string;
  rule: string;
  verdict: Verdict;
  priority: number;
  /** Always false from the evaluator: a rate limit is applied after the decision, never to one candidate. */
  rateLimited: boolean;
}

/** What settled the decision. */
export type DecidedBy =
  /** The request could not be decided on (not JSON data, over the limits, an unknown stage), or evaluation failed. */
  | { by: 'request_error'; kind: string; detail: string }
  /** No document applies to the agent. */
  | { by: 'no_policy'; detail: string }
  /** A document check ended evaluation before any rule: a tool list or a blocked input pattern. */
  | { by: 'document_check'; check: string; policy: string; detail: string }
  /** Rules matched; the conflict strategy picked the winner. */
  | {
      by: 'conflict';
      strategy: ConflictStrategy;
      candidates: CandidateExplanation[];
      winner: { policy: string; rule: string };
      why: string;
      /** Under deny_overrides a winning transform applies every matched transform: their rules, in order. */
      mergedTransforms?: string[];
    }
  /** A tool call decided by the documents' Cedar and Rego engines with their rules: each part's answer, and the combination's pick. */
  | { by: 'engines'; combine: EngineCombination; parts: CandidateExplanation[]; winner: { policy: string; rule: string }; why: string }
  /** No rule matched: a document's default_action, or allowed_tools, or a content stage letting content through. */
  | { by: 'default'; policy: string; check: string | null; detail: string };

/** One matched rule's rate limit. */
export interface RateLimitExplanation {
  policy: string;
  rule: string;
  limit: string;
  /** Past the limit: the rule's verdict became deny. */
  exceeded: boolean;
  retryAfterMs: number | null;
  /** This call was counted against the limit (it went ahead, and this was not a dry run). */
  counted: boolean;
}

/** The explanation of a request that never reached the documents. */
export function requestErrorExplanation(stage: Stage, strategy: ConflictStrategy, kind: string, detail: string, dryRun: boolean): Explanation {
  return { stage, agent: 'anonymous', strategy, documents: [], rules: [], skipped: [], otherStages: 0, decidedBy: { by: 'request_error', kind, detail }, rateLimits: [], dryRun };
}

/** The rules of a stage the index left out of `considered`, each with the literal that excluded it. */
export function skippedByIndex(stageRules: readonly CompiledRule[], considered: readonly CompiledRule[], request: NormalizedRequest): SkippedRule[] {
  if (considered.length === stageRules.length) return [];
  const kept = new Set(considered);
  return stageRules
    .filter((rule) => !kept.has(rule))
    .map((rule) => {
      const pins = rule.condition?.pins;
      const field = pins?.field ?? 'tool_name';
      const actual = field === 'tool_name' ? request.tool_name : request.action.type;
      const values = (pins?.values ?? []).map((v) => `'${v}'`);
      const wanted = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      return {
        policy: rule.document.name,
        rule: rule.name,
        by: 'index' as const,
        why: `its condition needs ${field} ${wanted}; the request's is ${typeof actual === 'string' ? `'${actual}'` : String(actual)}`,
      };
    });
}

/** A candidate as the explanation shows it. */
export function describeCandidate(candidate: Candidate): CandidateExplanation {
  return {
    policy: candidate.document.name,
    rule: candidate.name ?? '(default)',
    verdict: candidate.verdict,
    priority: candidate.priority,
    rateLimited: false,
  };
}
