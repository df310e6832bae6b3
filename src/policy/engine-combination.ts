import { VERDICTS_BY_RESTRICTIVENESS, type DecisionError } from '../core/types.js';
import type { CompiledDocument } from './compile.js';
import type { Candidate } from './conflict.js';
import type { DecisionEngine, EngineOutcome } from './engines/engine.js';
import type { EngineCombination } from './schema.js';

/**
 * Combining the YAML rules' answer with the answers of a document's Cedar and Rego engines into
 * one verdict. Each part is a {@link Candidate} named after what decided it: the YAML rule's
 * name, `cedar:<policy id>`, `rego:<rule>`. An engine that failed is never outvoted: its deny
 * (`runtime_error:<kind>`) wins under every combination, since an error must not allow.
 */

/** One engine's answer as a candidate, with the errors it surfaced. */
export interface EnginePart {
  candidate: Candidate;
  /** True when the engine could not answer (its candidate is the fail-closed deny). */
  failed: boolean;
  errors: DecisionError[];
}

/** An engine's outcome → a candidate of `document`. */
export function engineCandidate(document: CompiledDocument, engine: DecisionEngine, outcome: EngineOutcome): EnginePart {
  if (!outcome.ok) {
    const reason = `runtime_error:${outcome.kind}: ${engine.label}: ${outcome.message}`;
    return {
      candidate: partCandidate(document, engine.label, 'deny', reason, []),
      failed: true,
      errors: [{ kind: outcome.kind, policy: document.name, rule: engine.label, message: outcome.message }],
    };
  }
  const first = outcome.determinedBy[0];
  const name = first === undefined ? engine.kind : `${engine.kind}:${first}`;
  return {
    candidate: partCandidate(document, name, outcome.verdict, outcome.reason, outcome.approvers),
    failed: false,
    errors: outcome.errors.map((message) => ({ kind: `${engine.kind}_error`, policy: document.name, rule: name, message })),
  };
}

/** The names of the candidates an engine's answer determined (all of Cedar's determining policies). */
export function determiningNames(engine: DecisionEngine, outcome: EngineOutcome): string[] {
  if (!outcome.ok) return [engine.label];
  return outcome.determinedBy.length ? outcome.determinedBy.map((id) => `${engine.kind}:${id}`) : [engine.kind];
}

const RANK = new Map(VERDICTS_BY_RESTRICTIVENESS.map((v, i) => [v, i]));

/**
 * Picks the winner among the parts (YAML first, then each document's engines in order).
 * - deny_overrides: the most restrictive verdict (deny > require_approval > ... > allow); ties to the first.
 * - allow_overrides: the first allow, else as deny_overrides.
 * - first_applicable: the first part (the YAML rules when one matched, else Cedar, else Rego).
 * A failed engine wins under each.
 */
export function combineParts(parts: readonly EnginePart[], combine: EngineCombination): { winner: Candidate; why: string } {
  const failed = parts.find((p) => p.failed);
  if (failed) return { winner: failed.candidate, why: `${failed.candidate.name ?? 'an engine'} could not answer, and an engine error always denies` };
  const candidates = parts.map((p) => p.candidate);
  const first = candidates[0] as Candidate;
  const strictest = () => candidates.reduce((best, c) => ((RANK.get(c.verdict) as number) < (RANK.get(best.verdict) as number) ? c : best), first);
  const label = (c: Candidate) => `'${c.name ?? '(default)'}'`;
  switch (combine) {
    case 'first_applicable':
      return { winner: first, why: `first_applicable takes the first answer: ${label(first)}` };
    case 'allow_overrides': {
      const allow = candidates.find((c) => c.verdict === 'allow');
      if (allow) return { winner: allow, why: `allow_overrides takes an allow: ${label(allow)}` };
      const winner = strictest();
      return { winner, why: `allow_overrides found no allow, so the most restrictive answer decides: ${label(winner)} (${winner.verdict})` };
    }
    case 'deny_overrides': {
      const winner = strictest();
      return { winner, why: `deny_overrides: ${winner.verdict} is the most restrictive answer (${VERDICTS_BY_RESTRICTIVENESS.join(' > ')}), given by ${label(winner)}` };
    }
  }
}

function partCandidate(document: CompiledDocument, name: string, verdict: Candidate['verdict'], reason: string, approvers: readonly string[]): Candidate {
  return { name, document, verdict, priority: 0, ordinal: -1, reason, approvers, transform: null, rateLimited: false, retryAfterMs: null };
}
