import type { PolicyIssue } from '../../core/errors.js';
import { parseStage } from '../../core/request.js';
import type { Stage, Verdict } from '../../core/types.js';
import { compileCondition, parseConditionSyntax, type ConditionSyntax } from '../language/cel.js';
import { findUnguardedReads } from './field-guards.js';
import { describeNesting, findNestedComprehensions } from './nested-comprehensions.js';
import { ACTION_ALIASES, LIMIT_PATTERN, type ConflictStrategy, type PolicyRuleSpec } from '../document/schema.js';
import { isShadowed, rank } from './shadowing.js';
import type { Path, PolicySource } from '../document/source.js';
import { structuredToCel } from '../language/structured.js';

/**
 * The checks lint makes on one document beyond what loading enforces: rules that never apply or
 * never decide, rules that repeat or contradict each other, unguarded reads of optional fields,
 * and limits that cannot work as written. Each problem is a located {@link PolicyIssue} with a
 * stable code and a hint. The document is the merged one (`extends` applied), so a child's rules
 * are checked against its parents'; locations point into whichever file wrote the rule.
 */

/** Above this count a sliding window stops being cheap: it keeps one timestamp per counted call, per agent. */
export const LARGEST_SENSIBLE_LIMIT = 100_000;

/** What the checks need to know about one rule. */
interface RuleFacts {
  spec: PolicyRuleSpec;
  /** Position in the document's `rules`. */
  index: number;
  stage: Stage;
  verdict: Verdict;
  enabled: boolean;
  /** The parsed condition; null when there is none (always true) or it does not compile (loading reports that). */
  syntax: ConditionSyntax | null;
  /** Whether the condition compiles (an absent condition does). */
  valid: boolean;
  /** The condition in normal form; `true` when absent. */
  normalized: string;
}

/** Runs every document-level check; returns the problems found, in rule order. */
export function checkDocument(source: PolicySource): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const issueAt = (severity: PolicyIssue['severity'], code: string, path: Path, message: string, hint: string): void => {
    issues.push({ severity, code, file: source.origin, ...source.locate(path), key: path.join('.'), message, hint });
  };
  const strategy: ConflictStrategy = source.spec.conflict_strategy ?? 'deny_overrides';
  const rules = (source.spec.rules ?? []).map(ruleFacts);
  const reported = new Set<RuleFacts>();

  for (const rule of rules) {
    const name = rule.spec.name;
    const conditionPath: Path = rule.spec.condition === undefined ? ['rules', rule.index] : ['rules', rule.index, 'condition'];
    if (!rule.enabled) {
      issueAt('warning', 'rule-disabled', ['rules', rule.index, 'enabled'], `rule '${name}' is disabled (enabled: false) and never applies`, 'delete the rule, or remove `enabled: false` to apply it');
      continue;
    }
    if (!rule.valid) continue;
    if (rule.normalized === 'false') {
      issueAt('warning', 'unreachable-rule', conditionPath, `rule '${name}' never applies: its condition is always false`, 'delete the rule, or fix its condition');
      reported.add(rule);
    }
    if (rule.syntax) {
      const restrictive = rule.verdict === 'deny' || rule.verdict === 'require_approval' || rule.verdict === 'transform';
      for (const read of findUnguardedReads(rule.syntax.ast)) {
        const consequence = restrictive
          ? `which counts as matched: this ${rule.verdict} rule applies to it`
          : `which counts as not matched: this ${rule.verdict} rule is skipped`;
        issueAt(
          'warning',
          'unguarded-field',
          conditionPath,
          `rule '${name}' reads ${read.field} without a guard: a request without ${read.unguarded[0]} makes the condition an error, ${consequence}`,
          `guard the read: ${read.guards.join(' && ')} && ...`,
        );
      }
      for (const nested of findNestedComprehensions(rule.syntax.ast)) {
        issueAt(
          'warning',
          'nested-comprehension',
          conditionPath,
          `rule '${name}' nests comprehensions over request data: it ${describeNesting(nested.ranges)}, so a request with long lists spends the evaluation budget and is denied (runtime_error:budget)`,
          `bound the lists first (size(${nested.ranges[0] as string}) <= 100 && ...), or avoid the nesting`,
        );
      }
    }
    limitChecks(rule, issueAt);
  }

  // Same stage and same condition: the later of two rules either contradicts or repeats the earlier.
  const byCondition = new Map<string, RuleFacts[]>();
  for (const rule of rules) {
    if (!rule.enabled || !rule.valid) continue;
    const key = `${rule.stage}\n${rule.normalized}`;
    const earlier = byCondition.get(key) ?? [];
    const contradicted = earlier.find((other) => other.verdict !== rule.verdict);
    const repeated = earlier.find((other) => effectOf(other) === effectOf(rule));
    const at: Path = rule.spec.condition === undefined ? ['rules', rule.index] : ['rules', rule.index, 'condition'];
    if (contradicted) {
      issueAt(
        'error',
        'conflicting-rules',
        at,
        `rules '${contradicted.spec.name}' (${contradicted.verdict}) and '${rule.spec.name}' (${rule.verdict}) have the same condition${describeCondition(rule)} but different actions`,
        'merge them into one rule, or make their conditions differ',
      );
      reported.add(rule);
    } else if (repeated) {
      issueAt('warning', 'redundant-rule', at, `rule '${rule.spec.name}' repeats rule '${repeated.spec.name}': same stage, condition and action`, `delete one of them`);
      reported.add(rule);
    }
    earlier.push(rule);
    byCondition.set(key, earlier);
  }

  // A rule behind an unconditional rule that always decides first.
  const ordered = rules.filter((rule) => rule.enabled && rule.valid).sort((a, b) => (b.spec.priority ?? 0) - (a.spec.priority ?? 0) || a.index - b.index);
  ordered.forEach((rule, position) => {
    if (reported.has(rule)) return;
    const shadow = ordered
      .slice(0, position)
      .find((earlier) => earlier.stage === rule.stage && earlier.normalized === 'true' && isShadowed(effect(earlier), effect(rule), strategy));
    if (!shadow) return;
    issueAt(
      rank(rule.verdict) < rank(shadow.verdict) ? 'error' : 'warning',
      'unreachable-rule',
      ['rules', rule.index],
      `rule '${rule.spec.name}' (${rule.verdict}) never decides: rule '${shadow.spec.name}' (${shadow.verdict}, no condition) comes first and always matches, and ${strategyReason(strategy, shadow)}`,
      `give '${rule.spec.name}' a higher priority than '${shadow.spec.name}', give '${shadow.spec.name}' a condition, or delete '${rule.spec.name}'`,
    );
  });

  defaultsChecks(source, issueAt);
  return issues;
}

type IssueAt = (severity: PolicyIssue['severity'], code: string, path: Path, message: string, hint: string) => void;

function ruleFacts(spec: PolicyRuleSpec, index: number): RuleFacts {
  const facts: RuleFacts = {
    spec,
    index,
    stage: parseStage(spec.stage ?? 'pre_tool') as Stage,
    verdict: (ACTION_ALIASES[spec.action] ?? spec.action) as Verdict,
    enabled: spec.enabled !== false,
    syntax: null,
    valid: true,
    normalized: 'true',
  };
  if (spec.condition === undefined) return facts;
  try {
    const source = typeof spec.condition === 'string' ? spec.condition : structuredToCel(spec.condition);
    compileCondition(source);
    facts.syntax = parseConditionSyntax(source);
    facts.normalized = facts.syntax.normalized;
  } catch {
    facts.valid = false; // compiling the document reports it, with its location
  }
  return facts;
}

function effect(rule: RuleFacts): { verdict: Verdict; limited: boolean } {
  return { verdict: rule.verdict, limited: rule.spec.limit !== undefined };
}

/** Everything a rule does when it matches; two rules with the same effect and condition are one rule twice. */
function effectOf(rule: RuleFacts): string {
  const { verdict } = rule;
  const { limit, approvers, redact, set } = rule.spec;
  return JSON.stringify([verdict, limit ?? null, approvers ?? [], redact ?? [], set ?? {}]);
}

function describeCondition(rule: RuleFacts): string {
  return rule.spec.condition === undefined ? ' (none)' : ` (${rule.normalized})`;
}

function strategyReason(strategy: ConflictStrategy, shadow: RuleFacts): string {
  switch (strategy) {
    case 'priority_first_match':
      return 'under priority_first_match the first matched rule decides';
    case 'most_specific_wins':
      return 'under most_specific_wins the first matched rule of the most specific document decides, and both are in one document';
    case 'deny_overrides':
      return `under deny_overrides the most restrictive verdict decides, ties going to the earlier rule, and '${shadow.spec.name}' is at least as restrictive`;
    case 'allow_overrides':
      return shadow.verdict === 'allow'
        ? 'under allow_overrides the first matched allow decides'
        : `under allow_overrides, with no allow matched, the most restrictive verdict decides, ties going to the earlier rule, and '${shadow.spec.name}' is at least as restrictive`;
  }
}

function limitChecks(rule: RuleFacts, issueAt: IssueAt): void {
  const limit = rule.spec.limit;
  if (limit === undefined) return;
  const path: Path = ['rules', rule.index, 'limit'];
  if (rule.verdict === 'deny') {
    issueAt('warning', 'ineffective-limit', path, `the limit on deny rule '${rule.spec.name}' changes nothing: past a limit a rule denies, as this one always does`, 'remove the limit, or put it on an allow, warn or log rule');
  }
  const match = LIMIT_PATTERN.exec(limit);
  const count = Number(match?.[1]);
  const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
  if (unit && count > LARGEST_SENSIBLE_LIMIT) {
    const same = smallerWindow(count, unit);
    issueAt(
      'warning',
      'limit-too-large',
      path,
      `limit "${limit}" keeps up to ${count} call times per agent and rule (8 bytes each: ${formatBytes(count * 8)} per agent)`,
      `count at most ${LARGEST_SENSIBLE_LIMIT} calls per window${same ? `; about the same rate: "${same}"` : ''}`,
    );
  }
}

const UNIT_MS = { day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1_000 } as const;

/** The same rate over the longest shorter window that keeps the count sensible, e.g. 5000000/day → 3473/minute. */
function smallerWindow(count: number, unit: keyof typeof UNIT_MS): string | null {
  for (const [smaller, ms] of Object.entries(UNIT_MS)) {
    if (ms >= UNIT_MS[unit]) continue;
    const scaled = Math.ceil((count * ms) / UNIT_MS[unit]);
    if (scaled <= LARGEST_SENSIBLE_LIMIT) return `${scaled}/${smaller}`;
  }
  return null;
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KiB` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** AGT's `defaults.max_*` and `confidence_threshold`: the schema takes any number; most are nonsense. */
function defaultsChecks(source: PolicySource, issueAt: IssueAt): void {
  const defaults = source.spec.defaults;
  if (!defaults) return;
  for (const key of ['max_tokens', 'max_tool_calls'] as const) {
    const value = defaults[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      issueAt('error', 'invalid-limit', ['defaults', key], `${key} is ${value}: it must be a whole number, 0 or more`, `set defaults.${key} to a count such as 4096, or remove it`);
    }
  }
  const threshold = defaults.confidence_threshold;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
    issueAt('error', 'invalid-limit', ['defaults', 'confidence_threshold'], `confidence_threshold is ${threshold}: it is a probability, between 0 and 1`, 'set it between 0 and 1, e.g. 0.8, or remove it');
  }
}
