import { canonicalJson } from '../../core/canonical-json.js';
import { INTERVENTION_POINTS, type DecisionError, type NormalizedRequest, type RuntimeErrorKind, type Stage, type Verdict } from '../../core/types.js';
import type { CompiledDocument, CompiledPolicySet, CompiledRule } from '../compile/compile.js';
import { explainConflict, mergeTransforms, resolveConflict, type Candidate } from './conflict.js';
import { combineParts, determiningNames, engineCandidate, explainCombination, hasSeveralDeterminers, type EnginePart } from './engine-combination.js';
import { engineFailure, type DecisionEngine, type EngineOutcome, type RemoteEngine } from '../compile/engine.js';
import { describeCandidate } from './explanation.js';
import { ALWAYS } from '../language/glob.js';
import { canonicalToolName } from '../../core/tool-name.js';
import { isToolPoint } from '../document/points.js';
import type { ConflictStrategy } from '../document/schema.js';
import type { DecisionTracer } from './tracer.js';
import { budgetSpentMessage, EvaluationBudget, EvaluationBudgetSpent } from '../language/budget.js';

/**
 * The decision procedure: the one algorithm both `evaluate` and `explain` run (explain with a
 * {@link DecisionTracer} watching). In order, at every intervention point:
 *
 * 1. the documents that apply to the agent (none: deny, `runtime_error:no_policy`);
 * 2. an unconfigured point: no applicable document configures the point and one of them says
 *    `unconfigured_points: deny` (deny, `runtime_error:intervention_point_unconfigured`);
 * 3. document checks: `denied_tools`/`allowed_tools` at pre_tool and post_tool, `blocked_patterns`
 *    at pre_input;
 * 4. the rules of the point (through the rule index), each condition run once, all of them
 *    drawing on one evaluation budget (spent: deny, `runtime_error:budget`);
 * 5. when some applicable document has an engine consulted at the point, the rules' winner and
 *    the engines' answers combined by `engines.combine`; otherwise the conflict strategy among
 *    the matched rules, or, when none matched, the point's default.
 *
 * Pure: no clock, no counters, no I/O (remote answers are gathered beforehand by the caller).
 */

/** What the procedure settled on: a winner among candidates, or a failure to decide. */
export type Settled =
  | { ok: true; winner: Candidate; matched: readonly Candidate[]; errors: DecisionError[] }
  | { ok: false; kind: RuntimeErrorKind; message: string };

const NO_TRACER = null;

export class DecisionProcedure {
  /** Each rule's candidate, by ordinal: rules carry no per-request state, so these are shared. */
  private readonly ruleCandidates: readonly Candidate[];
  /** True when no document filters by agent, so per-rule applicability checks can be skipped. */
  private readonly everyDocumentApplies: boolean;
  /** With every document applying: the document that denies each unconfigured point. */
  private readonly unconfiguredDenier = new Map<Stage, CompiledDocument>();
  /** The evaluation budget of the decision being made, refilled at the start of each. */
  private readonly budget: EvaluationBudget;
  /** Every tool name the policy names exactly, built on first use. */
  private exactToolNames: Set<string> | null = null;

  constructor(
    private readonly compiled: CompiledPolicySet,
    readonly strategy: ConflictStrategy,
  ) {
    this.ruleCandidates = compiled.rules.map((rule) => ({
      name: rule.name,
      document: rule.document,
      verdict: rule.verdict,
      priority: rule.priority,
      ordinal: rule.ordinal,
      reason: rule.reason,
      approvers: rule.approvers,
      transform: rule.transform,
    }));
    this.budget = new EvaluationBudget(compiled.evaluationBudget);
    this.everyDocumentApplies = compiled.documents.every((d) => d.appliesTo === ALWAYS);
    if (this.everyDocumentApplies) {
      const denier = compiled.documents.find((d) => d.unconfiguredPoints === 'deny');
      if (denier) for (const point of INTERVENTION_POINTS) if (!compiled.configuredPoints.has(point)) this.unconfiguredDenier.set(point, denier);
    }
  }

  /** The documents that apply to the request's agent. */
  applicableDocuments(agentId: string): readonly CompiledDocument[] {
    return this.everyDocumentApplies ? this.compiled.documents : this.compiled.documents.filter((d) => d.appliesTo(agentId));
  }

  /**
   * The remote engines the procedure would consult for `request`: none when a step before the
   * engines ends it (no need for a network round trip then).
   */
  remoteEnginesFor(request: NormalizedRequest): RemoteEngine[] {
    if (!this.compiled.enginePoints.has(request.stage)) return [];
    const documents = this.applicableDocuments(agentIdOf(request));
    if (documents.length === 0 || this.unconfigured(request.stage, documents) || this.documentChecks(request, documents)) return [];
    return documents.flatMap((d) => (d.engines?.byPoint.get(request.stage) ?? []).filter((e): e is RemoteEngine => e.remote));
  }

  /**
   * Runs the procedure. `remote`: the answers of remote engines (gathered by evaluateAsync); null
   * on the synchronous path. `tracer`: an observer (explain), or null (evaluate).
   */
  run(request: NormalizedRequest, remote: ReadonlyMap<DecisionEngine, EngineOutcome> | null, tracer: DecisionTracer | null = NO_TRACER): Settled {
    const stage = request.stage;
    const agentId = agentIdOf(request);
    const documents = this.applicableDocuments(agentId);
    tracer?.begin(documents, agentId);
    if (documents.length === 0) {
      const message = `no policy applies to agent '${agentId}'`;
      tracer?.decided({ by: 'no_policy', detail: `runtime_error:no_policy: ${message}` });
      return { ok: false, kind: 'no_policy', message };
    }
    const errors: DecisionError[] = [];

    const absolute = this.unconfigured(stage, documents) ?? this.documentChecks(request, documents);
    if (absolute) {
      if (absolute.name === 'unconfigured_points') errors.push({ kind: 'intervention_point_unconfigured', policy: absolute.document.name, message: absolute.reason });
      if (absolute.name === 'tool_name') errors.push({ kind: 'invalid_request', policy: absolute.document.name, message: absolute.reason });
      tracer?.decided({ by: 'document_check', check: absolute.name ?? '', policy: absolute.document.name, detail: absolute.reason });
      return { ok: true, winner: absolute, matched: [absolute], errors };
    }

    const rules = this.compiled.index.candidates(stage, request.tool_name, request.action.type);
    tracer?.indexed(this.compiled.index.rulesFor(stage), rules, request);
    const candidates: Candidate[] = [];
    // One budget per decision; the procedure is synchronous and never re-entered, so it is reused.
    const budget = this.budget;
    budget.remaining = budget.units;
    for (const rule of rules) {
      if (!this.everyDocumentApplies && !documents.includes(rule.document)) {
        tracer?.skippedForAgent(rule, agentId);
        continue;
      }
      const errorsBefore = errors.length;
      const matched = matches(rule, request, errors, budget);
      if (matched === BUDGET_SPENT) {
        const message = `${budgetSpentMessage(budget.units)}, at rule '${rule.name}' of policy '${rule.document.name}'; raise defaults.evaluation_budget if this request should be decided, or bound the lists the conditions iterate`;
        tracer?.evaluated(rule, false, message);
        tracer?.decided({ by: 'request_error', kind: 'budget', detail: `runtime_error:budget: ${message}` });
        return { ok: false, kind: 'budget', message };
      }
      tracer?.evaluated(rule, matched, errors.length > errorsBefore ? (errors[errors.length - 1] as DecisionError).message : null);
      if (matched) candidates.push(this.ruleCandidates[rule.ordinal] as Candidate);
    }

    if (this.compiled.enginePoints.has(stage)) {
      const combined = this.combineWithEngines(request, documents, candidates, errors, remote);
      if (combined) {
        if (tracer) {
          tracer.decided({
            by: 'engines',
            combine: this.compiled.combine,
            parts: combined.parts.map((p) => describeCandidate(p.candidate)),
            winner: { policy: combined.winner.document.name, rule: combined.winner.name ?? '(default)' },
            why: explainCombination(combined.parts, this.compiled.combine, combined.winner),
          });
        }
        return { ok: true, winner: combined.winner, matched: combined.matched, errors };
      }
    }

    if (candidates.length === 0) {
      const winner = this.defaultFor(request, documents);
      tracer?.decided({ by: 'default', policy: winner.document.name, check: winner.name, detail: winner.reason });
      return { ok: true, winner, matched: candidates, errors };
    }
    const resolved = resolveConflict(candidates, this.strategy);
    const winner = this.mergedIfTransform(resolved, candidates);
    if (tracer) {
      const merged = winner === resolved ? [] : candidates.filter((c) => c.verdict === 'transform' && c.transform).map((c) => c.name ?? '(default)');
      tracer.decided({
        by: 'conflict',
        strategy: this.strategy,
        candidates: candidates.map(describeCandidate),
        winner: { policy: winner.document.name, rule: winner.name ?? '(default)' },
        why: explainConflict(candidates, this.strategy, resolved),
        ...(merged.length > 1 ? { mergedTransforms: merged } : {}),
      });
    }
    return { ok: true, winner, matched: candidates, errors };
  }

  /**
   * Under deny_overrides a winning transform applies every matched transform. Under any strategy
   * a call held for approval carries every matched transform: what a human approves, and what
   * then runs, is the transformed call (an approval never drops a redaction).
   */
  private mergedIfTransform(winner: Candidate, candidates: readonly Candidate[]): Candidate {
    if (winner.verdict === 'transform' && this.strategy === 'deny_overrides') return { ...winner, transform: mergeTransforms(candidates) };
    if (winner.verdict === 'require_approval') {
      const matched = mergeTransforms(candidates);
      if (matched.redact.length > 0 || Object.keys(matched.set).length > 0) return { ...winner, transform: matched };
    }
    return winner;
  }

  /**
   * The point is unconfigured (no applicable document configures it) and an applicable document
   * asks for that to deny: the deny, naming that document. Null otherwise.
   */
  private unconfigured(stage: Stage, documents: readonly CompiledDocument[]): Candidate | null {
    let denier: CompiledDocument | undefined;
    if (this.everyDocumentApplies) {
      denier = this.unconfiguredDenier.get(stage);
    } else if (!documents.some((d) => d.configures.has(stage))) {
      denier = documents.find((d) => d.unconfiguredPoints === 'deny');
    }
    if (!denier) return null;
    return documentCandidate(
      denier,
      'unconfigured_points',
      'deny',
      `runtime_error:intervention_point_unconfigured: no policy configures the ${stage} point (no rule, engine${isToolPoint(stage) ? ' or tool list' : stage === 'pre_input' ? ' or blocked pattern' : ''} for it), and policy '${denier.name}' sets unconfigured_points: deny`,
    );
  }

  /** Document-level checks that end evaluation: tool allow/deny lists and blocked input patterns. */
  private documentChecks(request: NormalizedRequest, documents: readonly CompiledDocument[]): Candidate | null {
    const stage = request.stage;
    const ambiguous = this.ambiguousToolName(request.tool_name);
    if (ambiguous) return ambiguous;
    for (const document of documents) {
      if (isToolPoint(stage)) {
        // At post_tool too: the output of a tool the policy does not allow is not passed through.
        const tool = request.tool_name;
        if (document.deniedTools && tool !== null && document.deniedTools(tool)) {
          return documentCandidate(document, 'denied_tools', 'deny', `Tool '${tool}' is in denied_tools`);
        }
        if (document.allowedTools && (tool === null || !document.allowedTools(tool))) {
          return documentCandidate(document, 'allowed_tools', 'deny', tool === null ? 'The request names no tool and allowed_tools is set' : `Tool '${tool}' is not in allowed_tools`);
        }
      } else if (stage === 'pre_input' && document.blockedPatterns.length > 0 && request.input !== null) {
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

  /**
   * A tool name that is not a name the policy names, but has the canonical form of one (it
   * differs only by case or look-alike characters, see src/core/tool-name.ts): refused, so
   * neither a deny list, nor a `tool_name == '...'` rule, nor an allow list is fooled by it.
   */
  private ambiguousToolName(tool: string | null): Candidate | null {
    if (tool === null || this.compiled.toolNames.size === 0) return null;
    // A name the policy names exactly (the common case) needs no canonical form.
    this.exactToolNames ??= new Set([...this.compiled.toolNames.values()].flatMap((entry) => [...entry.names]));
    if (this.exactToolNames.has(tool)) return null;
    const known = this.compiled.toolNames.get(canonicalToolName(tool));
    if (!known || known.names.has(tool)) return null;
    const [listed] = known.names;
    return documentCandidate(
      known.document,
      'tool_name',
      'deny',
      `runtime_error:invalid_request: the tool name differs from '${listed as string}', which policy '${known.document.name}' names, only by case or look-alike characters; tool names must match exactly`,
    );
  }

  /**
   * A request decided by the documents' engines beside their rules: the rules' winner (when a rule
   * matched) is one part, each consulted engine's answer another, and, when no rule matched, the
   * default of the documents without engines at this point is a last, non-applicable part.
   * Documents with engines at the point leave a request no rule matched to their engines: their
   * own default is not consulted. Null when no applicable document consults an engine here.
   */
  private combineWithEngines(
    request: NormalizedRequest,
    documents: readonly CompiledDocument[],
    candidates: readonly Candidate[],
    errors: DecisionError[],
    remote: ReadonlyMap<DecisionEngine, EngineOutcome> | null,
  ): { winner: Candidate; matched: Candidate[]; parts: EnginePart[] } | null {
    const stage = request.stage;
    const parts: EnginePart[] = [];
    const matched: Candidate[] = [...candidates];
    if (candidates.length > 0) {
      parts.push({ candidate: this.mergedIfTransform(resolveConflict(candidates, this.strategy), candidates), failed: false, applicable: true, errors: [] });
    }
    let consulted = false;
    for (const document of documents) {
      for (const engine of document.engines?.byPoint.get(stage) ?? []) {
        consulted = true;
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
    if (!consulted) return null;
    if (candidates.length === 0) {
      const plain = documents.filter((d) => !d.engines?.byPoint.has(stage));
      if (plain.length > 0) parts.push({ candidate: this.defaultFor(request, plain), failed: false, applicable: false, errors: [] });
    }
    return { winner: combineParts(parts, this.compiled.combine), matched, parts };
  }

  /**
   * No rule matched. pre_tool: the documents' `default_action` (deny if any says deny;
   * `allowed_tools` counts as an allow). Every other point: the subject passes.
   */
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
}

/** The agent id rate limits and `agents` filters use: the request's, or `anonymous`. */
export function agentIdOf(request: NormalizedRequest): string {
  return typeof request.agent.id === 'string' ? request.agent.id : 'anonymous';
}

/** What {@link matches} returns when the decision's evaluation budget ran out in the condition. */
const BUDGET_SPENT = 'budget_spent';

/**
 * Runs a rule's condition; a runtime error counts in the rule's restrictive direction. A spent
 * budget is not a condition's error but the decision's: it ends the procedure.
 */
function matches(rule: CompiledRule, request: NormalizedRequest, errors: DecisionError[], budget: EvaluationBudget): boolean | typeof BUDGET_SPENT {
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
    return condition.test(request, budget);
  } catch (error) {
    if (error instanceof EvaluationBudgetSpent) return BUDGET_SPENT;
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

function documentCandidate(document: CompiledDocument, name: string | null, verdict: Verdict, reason: string): Candidate {
  return { name, document, verdict, priority: 0, ordinal: -1, reason, approvers: [], transform: null };
}
