import type { RegoEngineSpec } from '../schema.js';
import { engineFailure, type EngineOutcome, type EngineVerdict } from './engine.js';

/**
 * Reads the verdict out of the value of a Rego rule, the same way for every place the value
 * comes from (wasm in-process or a remote OPA). Anything but the agreed shape is a failure,
 * which the evaluator turns into a deny: a policy that answers nonsense never allows.
 *
 * - `verdict: allow`: the rule is a boolean; true allows, false denies.
 * - `verdict: object`: the rule is `{ decision, reason?, rule?, approvers? }`, `decision` one of
 *   allow, deny, require_approval, warn, log.
 */

export type RegoVerdictForm = NonNullable<RegoEngineSpec['verdict']>;

const DECISIONS = new Set(['allow', 'deny', 'require_approval', 'warn', 'log']);
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
  if (form === 'allow') {
    if (typeof value !== 'boolean') return engineFailure('rego_malformed', `the rule ${query} should be a boolean but is ${preview(value)}`);
    return verdict(value ? 'allow' : 'deny', [query], value ? `Rego rule ${query} allows` : `Rego rule ${query} is false`, []);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return engineFailure('rego_malformed', `the rule ${query} should be an object { decision, reason? } but is ${preview(value)}`);
  }
  const answer = value as Record<string, unknown>;
  if (typeof answer.decision !== 'string' || !DECISIONS.has(answer.decision)) {
    return engineFailure('rego_malformed', `the rule ${query} gave decision ${preview(answer.decision)}; expected one of ${[...DECISIONS].join(', ')}`);
  }
  if (answer.reason !== undefined && typeof answer.reason !== 'string') return engineFailure('rego_malformed', `the rule ${query} gave a reason that is not a string`);
  if (answer.rule !== undefined && typeof answer.rule !== 'string') return engineFailure('rego_malformed', `the rule ${query} gave a rule that is not a string`);
  const approvers = answer.approvers ?? [];
  if (!Array.isArray(approvers) || !approvers.every((a): a is string => typeof a === 'string')) {
    return engineFailure('rego_malformed', `the rule ${query} gave approvers that are not a list of strings`);
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
