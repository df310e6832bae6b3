import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json.js';
import { PolicyLoadError, type PolicyIssue } from '../../core/errors.js';
import { parseStage } from '../../core/request.js';
import { INTERVENTION_POINTS, type Stage, type Transform, type Verdict } from '../../core/types.js';
import type { RateLimitSpec } from '../../reliability/rate-limits.js';
import { compileCondition, compileRegex, ConditionError, type CompiledCondition } from '../language/cel.js';
import { ALWAYS, compileGlobList, compileToolGlobList, type NameMatcher } from '../language/glob.js';
import { canonicalToolName } from '../../core/tool-name.js';
import type { DocumentEngines, LoadedEngines } from './engine.js';
import { RuleIndex } from './rule-index.js';
import { QuarantineAllowList } from './quarantine-allow-list.js';
import { ToolRequirementIndex } from './tool-requirements.js';
import { ACTION_ALIASES, LIMIT_PATTERN, type ConflictStrategy, type EngineCombination, type PolicyRuleSpec, type PolicyScope } from '../document/schema.js';
import { issueAt as locatedIssue, type PolicySource } from '../document/source.js';
import { structuredToCel } from '../language/structured.js';
import type { RE2JS } from 're2js';
import { DEFAULT_EVALUATION_BUDGET } from '../language/budget.js';

/**
 * Compile: validated documents → the evaluator's internal form. Conditions are compiled to CEL
 * programs, globs and regexes are built, rules get a total evaluation order, and the rule index
 * is laid out. Everything that can fail fails here, at load, with a location. Compile does no
 * I/O: a document's engines arrive already loaded (see src/policy/engines/load-engines.ts).
 */

/** A document ready to evaluate: its defaults, matchers and blocked patterns built. */
export interface CompiledDocument {
  name: string;
  /** Position among the loaded documents; breaks ties deterministically. */
  index: number;
  origin: string;
  scope: PolicyScope;
  /** global 0 < organization 1 < tenant 2 < agent 3, for most_specific_wins. */
  specificity: number;
  defaultVerdict: 'allow' | 'deny';
  conflictStrategy: ConflictStrategy | undefined;
  appliesTo: NameMatcher;
  allowedTools: NameMatcher | null;
  deniedTools: NameMatcher | null;
  blockedPatterns: { pattern: string; regex: RE2JS }[];
  /** The document's Cedar and Rego engines, which decide at their points beside its rules; null when it has none. */
  engines: DocumentEngines | null;
  /** `unconfigured_points`: whether a point no applicable document configures is denied. */
  unconfiguredPoints: 'allow' | 'deny';
  /**
   * The points this document configures: those its rules name, its engines are consulted at,
   * pre_input with blocked patterns, pre_tool and post_tool with a tool list, pre_tool with a
   * written `default_action`.
   */
  configures: ReadonlySet<Stage>;
}

/** A rule ready to evaluate, with its place in the evaluation order. */
export interface CompiledRule {
  /** Total evaluation order: priority (high first), then document order, then rule order. */
  ordinal: number;
  name: string;
  document: CompiledDocument;
  verdict: Verdict;
  priority: number;
  stage: Stage;
  condition: CompiledCondition | null;
  /** True when a runtime error in the condition counts as a match (deny, require_approval, transform). */
  errorMatches: boolean;
  approvers: string[];
  reason: string;
  limit: RateLimitSpec | null;
  transform: Transform | null;
}

/** Everything an evaluator needs, compiled from a set of documents. */
export interface CompiledPolicySet {
  documents: CompiledDocument[];
  rules: CompiledRule[];
  index: RuleIndex;
  /** SHA-256 over the canonical JSON of every loaded document. */
  revision: string;
  /** The strategy used when the evaluator is not told one. */
  strategy: ConflictStrategy;
  /** How rules and engines combine, when some document has engines. */
  combine: EngineCombination;
  /** True when some document has engines. */
  hasEngines: boolean;
  /** The points some document's engine is consulted at. */
  enginePoints: ReadonlySet<Stage>;
  /** The points some document configures (see {@link CompiledDocument.configures}). */
  configuredPoints: ReadonlySet<Stage>;
  /** Every rule's rate limit by `policy\u0000rule`; empty when no rule has one. */
  limits: ReadonlyMap<string, RateLimitSpec>;
  /**
   * The tool names the documents name (tool lists without globs, literals conditions compare
   * `tool_name` with), by canonical form: a request whose name has the canonical form of one of
   * them without being one of them exactly is refused as ambiguous.
   */
  toolNames: ReadonlyMap<string, KnownToolNames>;
  /** True when some engine is remote: evaluation then needs `evaluateAsync`. */
  hasRemoteEngines: boolean;
  /** Units one decision's conditions may spend: the smallest `defaults.evaluation_budget` set, else the default. */
  evaluationBudget: number;
  /** Every document's `tools:` entries, answered per tool strictest-wins. */
  toolRequirements: ToolRequirementIndex;
  /** Every document's `quarantine:` allow-list, strictest-wins. */
  quarantine: QuarantineAllowList;
  warnings: PolicyIssue[];
}

/** The names, exactly as written, that share one canonical form, and the first document naming one. */
export interface KnownToolNames {
  names: ReadonlySet<string>;
  document: CompiledDocument;
}

const SCOPE_SPECIFICITY: Record<PolicyScope, number> = { global: 0, organization: 1, tenant: 2, agent: 3 };
const WINDOW_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/**
 * Compiles validated sources; throws PolicyLoadError listing every problem, with locations.
 * `engines[i]` holds the loaded engines of `sources[i]`, and must be given for every document
 * with an `engines` key (`loadDocumentEngines` loads them).
 */
export function compilePolicies(sources: readonly PolicySource[], engines: readonly (LoadedEngines | undefined)[] = []): CompiledPolicySet {
  const issues: PolicyIssue[] = [];
  const warnings = sources.flatMap((s) => s.warnings);
  const documents: CompiledDocument[] = [];
  const drafts: Omit<CompiledRule, 'ordinal'>[] = [];
  const positions = new Map<Omit<CompiledRule, 'ordinal'>, number>();

  sources.forEach((source, docIndex) => {
    const { spec, origin } = source;
    const issueAt = (path: (string | number)[], code: string, message: string, hint?: string) => locatedIssue(source, path, code, message, hint);
    const scope = spec.scope ?? 'global';
    const defaultAction = spec.default_action ?? spec.defaults?.action ?? 'deny';
    const document: CompiledDocument = {
      name: spec.name,
      index: docIndex,
      origin,
      scope,
      specificity: SCOPE_SPECIFICITY[scope],
      defaultVerdict: defaultAction === 'allow' || defaultAction === 'audit' ? 'allow' : 'deny',
      conflictStrategy: spec.conflict_strategy,
      appliesTo: spec.agents && !spec.agents.includes('*') ? compileGlobList(spec.agents) : ALWAYS,
      allowedTools: spec.allowed_tools ? compileGlobList(spec.allowed_tools) : null,
      deniedTools: spec.denied_tools ? compileToolGlobList(spec.denied_tools) : null,
      blockedPatterns: [],
      engines: null,
      unconfiguredPoints: spec.unconfigured_points ?? 'allow',
      configures: new Set(),
    };
    const configures = document.configures as Set<Stage>;
    if (spec.default_action !== undefined || spec.defaults?.action !== undefined) configures.add('pre_tool');
    if (spec.allowed_tools || spec.denied_tools) {
      configures.add('pre_tool');
      configures.add('post_tool');
    }
    if (spec.blocked_patterns?.length) configures.add('pre_input');
    if (spec.engines) {
      const loaded = engines[docIndex];
      if (!loaded) throw new Error(`policy '${spec.name}' has engines, and they were not loaded before compile`);
      issues.push(...loaded.issues);
      document.engines = loaded.engines;
      for (const point of document.engines?.byPoint.keys() ?? []) configures.add(point);
    }
    spec.blocked_patterns?.forEach((pattern, i) => {
      try {
        document.blockedPatterns.push({ pattern, regex: compileRegex(pattern) });
      } catch (error) {
        issues.push(issueAt(['blocked_patterns', i], 'invalid-pattern', `invalid regular expression: ${(error as Error).message}`, 'patterns use RE2 syntax (no backreferences or lookaround)'));
      }
    });
    documents.push(document);

    spec.rules?.forEach((rule, ruleIndex) => {
      if (rule.enabled === false) return;
      const at = (key: string) => ['rules', ruleIndex, key];
      const stage = parseStage(rule.stage ?? 'pre_tool') as Stage;
      configures.add(stage);
      const verdict = (ACTION_ALIASES[rule.action] ?? rule.action) as Verdict;
      let condition: CompiledCondition | null = null;
      if (rule.condition !== undefined) {
        try {
          const source = typeof rule.condition === 'string' ? rule.condition : structuredToCel(rule.condition);
          condition = compileCondition(source);
        } catch (error) {
          const hint = error instanceof ConditionError ? error.hint : undefined;
          issues.push(issueAt(at('condition'), 'invalid-condition', `rule '${rule.name}': condition does not compile: ${(error as Error).message}`, hint));
          return;
        }
      }
      const draft = {
        name: rule.name,
        document,
        verdict,
        priority: rule.priority ?? 0,
        stage,
        condition,
        errorMatches: verdict === 'deny' || verdict === 'require_approval' || verdict === 'transform',
        approvers: rule.approvers ?? [],
        reason: rule.message ?? rule.description ?? `Matched rule '${rule.name}'`,
        limit: parseLimit(rule.limit, spec.name, rule.name),
        transform: verdict === 'transform' ? transformOf(rule) : null,
      };
      drafts.push(draft);
      positions.set(draft, ruleIndex);
    });
  });

  let revision = '';
  try {
    const hash = createHash('sha256').update(canonicalJson(sources.map((s) => s.spec)));
    // Engine sources live in their own files: the revision covers what they hold, not just their names.
    const engineDigests = documents.flatMap((d) => d.engines?.digests ?? []);
    if (engineDigests.length) hash.update(`\u0000engines:${engineDigests.join(',')}`);
    revision = hash.digest('hex');
  } catch (error) {
    issues.push({ severity: 'error', code: 'not-json-data', message: `policy holds a value that is not JSON data: ${(error as Error).message}` });
  }
  if (issues.length) throw new PolicyLoadError([...issues, ...warnings]);

  drafts.sort(
    (a, b) => b.priority - a.priority || a.document.index - b.document.index || (positions.get(a) as number) - (positions.get(b) as number),
  );
  const rules: CompiledRule[] = drafts.map((draft, ordinal) => ({ ...draft, ordinal }));
  const strategies = new Set(documents.map((d) => d.conflictStrategy ?? 'deny_overrides'));
  let strategy: ConflictStrategy = 'deny_overrides';
  if (strategies.size === 1) {
    strategy = [...strategies][0] as ConflictStrategy;
  } else if (strategies.size > 1) {
    warnings.push({
      severity: 'warning',
      code: 'mixed-conflict-strategies',
      message: `documents declare different conflict strategies (${[...strategies].join(', ')}); using deny_overrides`,
      hint: 'pass conflictStrategy to the evaluator to choose one',
    });
  }
  const withEngines = documents.filter((d) => d.engines !== null);
  const combinations = new Set(withEngines.map((d) => (d.engines as DocumentEngines).combine));
  let combine: EngineCombination = 'deny_overrides';
  if (combinations.size === 1) {
    combine = [...combinations][0] as EngineCombination;
  } else if (combinations.size > 1) {
    warnings.push({
      severity: 'warning',
      code: 'mixed-engine-combinations',
      message: `documents combine their engines differently (${[...combinations].join(', ')}); using deny_overrides`,
      hint: 'give every document the same engines.combine',
    });
  }
  const limits = new Map<string, RateLimitSpec>();
  for (const rule of rules) if (rule.limit) limits.set(limitKey(rule.document.name, rule.name), rule.limit);
  return {
    documents,
    rules,
    index: new RuleIndex(rules),
    toolNames: knownToolNames(sources, documents, rules),
    revision,
    strategy,
    combine,
    hasEngines: withEngines.length > 0,
    enginePoints: new Set(INTERVENTION_POINTS.filter((point) => withEngines.some((d) => d.engines?.byPoint.has(point)))),
    configuredPoints: new Set(INTERVENTION_POINTS.filter((point) => documents.some((d) => d.configures.has(point)))),
    limits,
    hasRemoteEngines: withEngines.some((d) => d.engines?.remote === true),
    evaluationBudget: evaluationBudgetOf(sources),
    toolRequirements: new ToolRequirementIndex(sources.map((s) => s.spec.tools)),
    quarantine: new QuarantineAllowList(sources.map((s) => s.spec.quarantine)),
    warnings,
  };
}

/**
 * The budget of each decision: the smallest any document sets (each document's author gets at
 * most the budget they asked for; the strictest wins, as deny wins), else the default.
 */
function evaluationBudgetOf(sources: readonly PolicySource[]): number {
  const set = sources.flatMap((s) => (s.spec.defaults?.evaluation_budget === undefined ? [] : [s.spec.defaults.evaluation_budget]));
  return set.length === 0 ? DEFAULT_EVALUATION_BUDGET : Math.min(...set);
}

function knownToolNames(sources: readonly PolicySource[], documents: readonly CompiledDocument[], rules: readonly CompiledRule[]): Map<string, KnownToolNames> {
  const known = new Map<string, { names: Set<string>; document: CompiledDocument }>();
  const add = (name: string, document: CompiledDocument) => {
    if (name.includes('*')) return;
    const key = canonicalToolName(name);
    const entry = known.get(key);
    if (entry) entry.names.add(name);
    else known.set(key, { names: new Set([name]), document });
  };
  sources.forEach(({ spec }, i) => {
    const document = documents[i];
    if (!document) return;
    for (const name of spec.allowed_tools ?? []) add(name, document);
    for (const name of spec.denied_tools ?? []) add(name, document);
  });
  for (const rule of rules) for (const name of rule.condition?.toolNames ?? []) add(name, rule.document);
  return known;
}

/** The key of a rule's limit in {@link CompiledPolicySet.limits}. */
export function limitKey(policy: string, rule: string): string {
  return `${policy}\u0000${rule}`;
}

function parseLimit(limit: string | undefined, policy: string, rule: string): RateLimitSpec | null {
  if (limit === undefined) return null;
  const match = LIMIT_PATTERN.exec(limit) as RegExpExecArray; // validated by the schema
  const unit = match[2] as keyof typeof WINDOW_MS;
  return { policy, rule, count: Number(match[1]), windowMs: WINDOW_MS[unit], text: `${match[1]}/${unit}` };
}

function transformOf(rule: PolicyRuleSpec): Transform {
  return { redact: rule.redact ?? [], set: rule.set ?? {} };
}
