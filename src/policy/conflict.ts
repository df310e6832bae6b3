import { VERDICTS_BY_RESTRICTIVENESS, type Transform, type Verdict } from '../core/types.js';
import type { CompiledDocument } from './compile.js';
import type { ConflictStrategy } from './schema.js';

/** A verdict some rule (or document-level check) proposes for the request. */
export interface Candidate {
  /**
   * Rule name, a document-level check (`denied_tools`, `allowed_tools`, `blocked_patterns`), or
   * null for a document's default action.
   */
  name: string | null;
  document: CompiledDocument;
  verdict: Verdict;
  priority: number;
  /** Evaluation order; lower first. Ties in every strategy resolve by it, so results are deterministic. */
  ordinal: number;
  reason: string;
  approvers: readonly string[];
  transform: Transform | null;
  rateLimited: boolean;
  retryAfterMs: number | null;
}

const RANK = new Map<Verdict, number>(VERDICTS_BY_RESTRICTIVENESS.map((v, i) => [v, i]));

/**
 * Picks the winning candidate. `candidates` must be in evaluation order (priority high first,
 * then document order, then rule order) and non-empty.
 *
 * - deny_overrides: the most restrictive verdict (deny > require_approval > transform > warn > log > allow).
 * - allow_overrides: the first `allow` if there is one, else as deny_overrides.
 * - priority_first_match: the first candidate.
 * - most_specific_wins: the most specific document scope (agent > tenant > organization > global), then order.
 */
export function resolveConflict(candidates: readonly Candidate[], strategy: ConflictStrategy): Candidate {
  const first = candidates[0] as Candidate;
  switch (strategy) {
    case 'priority_first_match':
      return first;
    case 'most_specific_wins':
      return candidates.reduce((best, c) => (c.document.specificity > best.document.specificity ? c : best), first);
    case 'allow_overrides':
      return candidates.find((c) => c.verdict === 'allow') ?? mostRestrictive(candidates);
    case 'deny_overrides':
      return mostRestrictive(candidates);
  }
}

function mostRestrictive(candidates: readonly Candidate[]): Candidate {
  let best = candidates[0] as Candidate;
  for (const c of candidates) {
    if ((RANK.get(c.verdict) as number) < (RANK.get(best.verdict) as number)) best = c;
  }
  return best;
}

/** Under deny_overrides every matched transform applies: their redactions and sets, first rule first. */
export function mergeTransforms(candidates: readonly Candidate[]): Transform {
  const redact: string[] = [];
  const set: Record<string, unknown> = {};
  for (const c of candidates) {
    if (c.verdict !== 'transform' || !c.transform) continue;
    for (const path of c.transform.redact) if (!redact.includes(path)) redact.push(path);
    for (const [path, value] of Object.entries(c.transform.set)) if (!Object.hasOwn(set, path)) set[path] = value;
  }
  return { redact, set };
}
