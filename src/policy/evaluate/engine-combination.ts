import { VERDICTS_BY_RESTRICTIVENESS, type DecisionError, type RuntimeErrorKind } from '../../core/types.js';
import type { CompiledDocument } from '../compile/compile.js';
import type { Candidate } from './conflict.js';
import { engineFailure, type DecisionEngine, type EngineOutcome } from '../compile/engine.js';
import type { EngineCombination } from '../document/schema.js';

/**
 * Combining the YAML rules' answer with the answers of a document's Cedar and Rego engines into
 * one verdict. Each part is a {@link Candidate} named after what decided it: the YAML rule's
 * name, `cedar:<policy id>`, `rego:<rule>`. An engine that failed is never outvoted: its deny
 * (`runtime_error:<kind>`) wins under every combination, since an error must not allow.
 */

/** One part's answer as a candidate, with the errors it surfaced. */
export interface EnginePart {
  candidate: Candidate;
  /** True when the engine could not answer (its candidate is the fail-closed deny). */
  failed: boolean;
  /**
   * False for a document's default (`default_action`, a content point passing): a fallback, not
   * an answer. A default never pre-empts an engine's or a rule's answer under allow_overrides or
   * first_applicable (see {@link combineParts}). Rules that matched, and every engine answer
   * (Cedar's implicit deny included: it is Cedar's decision), are applicable.
   */
  applicable: boolean;
  errors: DecisionError[];
}

/** A reason an engine may not give: decisions that fail closed start with it, and only they may. */
export const RESERVED_REASON_PREFIX = 'runtime_error:';

const NO_ERRORS: DecisionError[] = [];

/** An engine's outcome → a candidate of `document`. */
export function engineCandidate(document: CompiledDocument, engine: DecisionEngine, outcome: EngineOutcome): EnginePart {
  if (outcome.ok && outcome.reason.startsWith(RESERVED_REASON_PREFIX)) {
    // An answer may not pass itself off as a runtime failure (alerts and tools key on the
    // prefix), and an answer that tries to is not one the engine was meant to give.
    outcome = engineFailure('policy_output_invalid', `the answer's reason claims the reserved '${RESERVED_REASON_PREFIX}' prefix: ${JSON.stringify(outcome.reason.slice(0, 80))}`);
  }
  if (!outcome.ok) {
    const reason = `runtime_error:${outcome.kind}: ${engine.label}: ${outcome.message}`;
    return {
      candidate: partCandidate(document, engine.label, 'deny', reason, []),
      failed: true,
      applicable: true,
      errors: [{ kind: outcome.kind, policy: document.name, rule: engine.label, message: outcome.message }],
    };
  }
  const first = outcome.determinedBy[0];
  const name = first === undefined ? engine.kind : `${engine.kind}:${first}`;
  return {
    candidate: partCandidate(document, name, outcome.verdict, outcome.reason, outcome.approvers),
    failed: false,
    applicable: true,
    errors: outcome.errors.length === 0 ? NO_ERRORS : outcome.errors.map((message) => ({ kind: `${engine.kind}_error` as RuntimeErrorKind, policy: document.name, rule: name, message })),
  };
}

/** The names of the candidates an engine's answer determined (all of Cedar's determining policies). */
export function determiningNames(engine: DecisionEngine, outcome: EngineOutcome): string[] {
  if (!outcome.ok) return [engine.label];
  return outcome.determinedBy.length ? outcome.determinedBy.map((id) => `${engine.kind}:${id}`) : [engine.kind];
}

/** True when the answer names more than the one policy its candidate is named after (Cedar, several determining policies). */
export function hasSeveralDeterminers(outcome: EngineOutcome): boolean {
  return outcome.ok && outcome.determinedBy.length > 1;
}

const RANK = new Map(VERDICTS_BY_RESTRICTIVENESS.map((v, i) => [v, i]));

/**
 * Picks the winner among the parts (the YAML rules' winner first, then each document's engines in
 * order, then any document default).
 * - deny_overrides: the most restrictive verdict (deny > require_approval > ... > allow) of every
 *   part, defaults included (a document's `default_action: deny` still denies); ties to the first.
 * - allow_overrides: the first applicable allow, else the most restrictive part.
 * - first_applicable: the first applicable part (the YAML rules when one matched, else Cedar,
 *   else Rego); only when no part applies, the most restrictive default.
 * A default is never an applicable answer, so a `default_action: allow` cannot pre-empt an
 * engine's forbid under any mode. A failed engine wins under each. `parts` must not be empty.
 */
export function combineParts(parts: readonly EnginePart[], combine: EngineCombination): Candidate {
  // Plain loops: this runs on every request a document with engines decides.
  let strictest = (parts[0] as EnginePart).candidate;
  let allow: Candidate | null = null;
  let first: Candidate | null = null;
  for (const part of parts) {
    if (part.failed) return part.candidate;
    const candidate = part.candidate;
    if (part.applicable) {
      first ??= candidate;
      if (allow === null && candidate.verdict === 'allow') allow = candidate;
    }
    if ((RANK.get(candidate.verdict) as number) < (RANK.get(strictest.verdict) as number)) strictest = candidate;
  }
  if (combine === 'first_applicable') return first ?? strictest;
  if (combine === 'allow_overrides') return allow ?? strictest;
  return strictest;
}

/** Why {@link combineParts} picked `winner`, in a sentence; for explanations, never on the evaluation path. */
export function explainCombination(parts: readonly EnginePart[], combine: EngineCombination, winner: Candidate): string {
  const label = `'${winner.name ?? '(default)'}'`;
  if (parts.some((p) => p.failed && p.candidate === winner)) return `${label} could not answer, and an engine error always denies`;
  switch (combine) {
    case 'first_applicable':
      return parts.some((p) => p.applicable) ? `first_applicable takes the first answer: ${label}` : `first_applicable found no answer, so the most restrictive default decides: ${label}`;
    case 'allow_overrides':
      return winner.verdict === 'allow' && parts.some((p) => p.applicable && p.candidate === winner)
        ? `allow_overrides takes an allow: ${label}`
        : `allow_overrides found no allow among the answers (a default is not one), so the most restrictive part decides: ${label} (${winner.verdict})`;
    case 'deny_overrides':
      return `deny_overrides: ${winner.verdict} is the most restrictive answer (${VERDICTS_BY_RESTRICTIVENESS.join(' > ')}), given by ${label}`;
  }
}

function partCandidate(document: CompiledDocument, name: string, verdict: Candidate['verdict'], reason: string, approvers: readonly string[]): Candidate {
  return { name, document, verdict, priority: 0, ordinal: -1, reason, approvers, transform: null };
}
