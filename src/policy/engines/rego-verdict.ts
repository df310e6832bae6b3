import type { RegoEngineSpec } from '../document/schema.js';
import { engineFailure, type EngineOutcome, type EngineVerdict } from '../compile/engine.js';

/**
 * Reads the verdict out of the value of a Rego rule, the same way for every place the value
 * comes from (wasm in-process or a remote OPA). Strict: anything but the agreed shape is a
 * `policy_output_invalid` failure, which the evaluator turns into a deny. A policy that answers
 * nonsense never allows, and an answer is never half-read: a member we do not act on (an
 * `effects` list, a `transform`) fails the whole answer rather than being dropped, since the
 * policy's author meant it to have an effect.
 *
 * - `verdict: allow`: the rule is a boolean; true allows, false denies.
 * - `verdict: object`: the rule is `{ decision, reason?, rule?, approvers? }` and nothing else,
 *   `decision` one of allow, deny, require_approval, warn, log. A reason may not start with
 *   `runtime_error:` (checked for every engine where answers become candidates).
 */

export type RegoVerdictForm = NonNullable<RegoEngineSpec['verdict']>;

const DECISIONS = new Set(['allow', 'deny', 'require_approval', 'warn', 'log']);
/** The members an object answer may have. */
const MEMBERS = new Set(['decision', 'reason', 'rule', 'approvers']);
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `data.agt.authz.allow`, `agt.authz.allow` or `agt/authz/allow` → `agt/authz/allow`; null if malformed. */
export function normalizeQuery(query: string): string | null {
  const trimmed = query.trim().replace(/^data[./]/, '');
  const segments = trimmed.split(/[./]/);
  return segments.length > 0 && segments.every((s) => SEGMENT.test(s)) ? segments.join('/') : null;
}

/**
 * The verdict a rule's value means. `value` is `undefined` when the rule is undefined for the
 * input (no default and no body held): that is a failure too, since the policy did not answer.
 */
export function readRegoVerdict(value: unknown, form: RegoVerdictForm, query: string): EngineOutcome {
  if (value === undefined) return engineFailure('rego_undefined', `the rule ${query} is undefined for this request (give it a default)`);
  const invalid = (message: string) => engineFailure('policy_output_invalid', `the rule ${query} ${message}`);
  if (form === 'allow') {
    if (typeof value !== 'boolean') return invalid(`should be a boolean but is ${preview(value)}`);
    return verdict(value ? 'allow' : 'deny', [query], value ? `Rego rule ${query} allows` : `Rego rule ${query} is false`, []);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(`should be an object { decision, reason?, rule?, approvers? } but is ${preview(value)}`);
  }
  const answer = value as Record<string, unknown>;
  const unknown = Object.keys(answer).filter((key) => !MEMBERS.has(key));
  if (unknown.length > 0) {
    return invalid(`gave ${unknown.map((key) => `'${key}'`).join(', ')}, which an answer may not hold (only decision, reason, rule, approvers); it is refused, not ignored`);
  }
  if (typeof answer.decision !== 'string' || !DECISIONS.has(answer.decision)) {
    return invalid(`gave decision ${preview(answer.decision)}; expected one of ${[...DECISIONS].join(', ')}`);
  }
  if (answer.reason !== undefined && typeof answer.reason !== 'string') return invalid('gave a reason that is not a string');
  if (answer.rule !== undefined && typeof answer.rule !== 'string') return invalid('gave a rule that is not a string');
  const approvers = answer.approvers ?? [];
  if (!Array.isArray(approvers) || !approvers.every((a): a is string => typeof a === 'string')) {
    return invalid('gave approvers that are not a list of strings');
  }
  const decision = answer.decision as EngineVerdict['verdict'];
  const rule = typeof answer.rule === 'string' ? answer.rule : query;
  return verdict(decision, [rule], typeof answer.reason === 'string' ? answer.reason : `Rego rule ${rule} decided ${decision}`, approvers);
}

function verdict(v: EngineVerdict['verdict'], determinedBy: string[], reason: string, approvers: string[]): EngineVerdict {
  return { ok: true, verdict: v, determinedBy, reason, approvers, errors: [] };
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
