import { VERDICTS_BY_RESTRICTIVENESS, type Transform, type Verdict } from '../../core/types.js';
import type { CompiledDocument } from '../compile/compile.js';
import type { ConflictStrategy } from '../document/schema.js';

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

/**
 * Why `resolveConflict(candidates, strategy)` picked `winner`, in a sentence: the rule of the
 * strategy that applied, and the tie-break when several candidates qualified. For explanations;
 * never on the evaluation path.
 */
export function explainConflict(candidates: readonly Candidate[], strategy: ConflictStrategy, winner: Candidate): string {
  const name = `'${winner.name ?? '(default)'}'`;
  if (candidates.length === 1) return `${name} is the only matched rule`;
  const tieBreak = (peers: readonly Candidate[], what: string) =>
    peers.length > 1 ? `; of the ${peers.length} ${what}, ${name} comes first in evaluation order (priority ${winner.priority}, then document and rule order)` : '';
  const restrictive = () => {
    const peers = candidates.filter((c) => c.verdict === winner.verdict);
    return `${winner.verdict} is the most restrictive matched verdict (${VERDICTS_BY_RESTRICTIVENESS.join(' > ')})${tieBreak(peers, `${winner.verdict} candidates`)}`;
  };
  switch (strategy) {
    case 'priority_first_match':
      return `priority_first_match takes the first matched rule in evaluation order: ${name} (priority ${winner.priority})`;
    case 'most_specific_wins': {
      const peers = candidates.filter((c) => c.document.specificity === winner.document.specificity);
      return `most_specific_wins takes the most specific document scope: ${winner.document.scope} (policy '${winner.document.name}')${tieBreak(peers, `candidates of that scope`)}`;
    }
    case 'allow_overrides':
      if (winner.verdict === 'allow') {
        const peers = candidates.filter((c) => c.verdict === 'allow');
        return `allow_overrides takes a matched allow${tieBreak(peers, 'allow candidates')}`;
      }
      return `allow_overrides found no matched allow, so ${restrictive()}`;
    case 'deny_overrides':
      return `deny_overrides: ${restrictive()}`;
  }
}
