import type { NormalizedRequest } from '../../core/types.js';
import { isToolPoint } from '../document/points.js';

/**
 * Maps a request to Cedar's vocabulary. Principal `Agent::"<agent id>"` at every point. At the
 * tool points (pre_tool, post_tool): action `Action::"<action type>"`, resource
 * `Tool::"<tool name>"`. At the content points (agent_startup, pre_input, pre_model_call,
 * post_model_call, pre_output, agent_shutdown): action `Action::"<point>"` and resource
 * `Point::"<point>"`, the point named as our stage (`pre_output`, not `output`). The context
 * record is `{ stage, args, context, agent }` plus `input` and `output` when the request has them
 * (the subject at content points and post_tool). Cedar values are narrower than JSON, so the
 * conversion says plainly what it cannot carry instead of letting the engine guess.
 */

/** A Cedar entity reference in JSON form. */
export interface CedarUid {
  type: string;
  id: string;
}

/** Cedar's JSON value (the subset we produce: no entity escapes; extensions only for decimals). */
export type CedarValue = boolean | number | string | CedarValue[] | { [key: string]: CedarValue } | { __extn: { fn: 'decimal'; arg: string } };

/** Cedar decimals have four digits after the point and fit a 64-bit integer scaled by 10^4. */
const DECIMAL_PLACES = 4;
const LARGEST_DECIMAL = 922_337_203_685_477;

/** The parts of an authorization call that come from the request. */
export interface CedarRequestParts {
  principal: CedarUid;
  action: CedarUid;
  resource: CedarUid;
  context: Record<string, CedarValue>;
}

/**
 * A request value Cedar cannot represent; the engine answers with a `cedar_request` failure. The
 * message names the value by structure and kind (`args.<key 0>[1]: the number has no exact Cedar
 * form`), never by a request key or value.
 */
export class CedarConversionError extends Error {}

/**
 * Keys Cedar's JSON format reads as escapes (`{"__entity": ...}` is an entity reference). From a
 * caller's arguments they would let a request forge an entity (`context.args.owner == principal`),
 * so they are refused, not passed on.
 */
const ESCAPE_KEYS = new Set(['__entity', '__extn', '__expr']);

/** The request in Cedar's terms. Throws {@link CedarConversionError}. */
export function toCedarRequest(request: NormalizedRequest): CedarRequestParts {
  const agentId = typeof request.agent.id === 'string' ? request.agent.id : 'anonymous';
  const context: Record<string, CedarValue> = {
    stage: request.stage,
    args: toRecord(request.args, 'args'),
    context: toRecord(request.context, 'context'),
    agent: toRecord(request.agent, 'agent'),
  };
  // Cedar has no null: a missing subject is an absent attribute (`context has output`).
  if (request.input !== null) context.input = toValue(request.input, 'input');
  if (request.output !== null) context.output = toValue(request.output, 'output');
  if (!isToolPoint(request.stage)) {
    return { principal: { type: 'Agent', id: agentId }, action: { type: 'Action', id: request.stage }, resource: { type: 'Point', id: request.stage }, context };
  }
  const actionType = typeof request.action.type === 'string' ? request.action.type : (request.tool_name ?? '');
  return { principal: { type: 'Agent', id: agentId }, action: { type: 'Action', id: actionType }, resource: { type: 'Tool', id: request.tool_name ?? '' }, context };
}

function toRecord(value: Record<string, unknown>, path: string): Record<string, CedarValue> {
  const record: Record<string, CedarValue> = {};
  let position = 0;
  for (const [key, item] of Object.entries(value)) {
    // The path names a member by its position (`args.<key 2>`), never by its key: keys are the
    // request's own text and the message becomes an audited reason.
    const at = `${path}.<key ${position++}>`;
    if (ESCAPE_KEYS.has(key)) throw new CedarConversionError(`${at}: the key '${key}' is a Cedar JSON escape and is not accepted from a request`);
    // Cedar has no null: an absent attribute is what `has` tests for, so a null field is left out.
    if (item === null || item === undefined) continue;
    record[key] = toValue(item, at);
  }
  return record;
}

/**
 * An integer is a Cedar Long. A fraction with at most four decimal places is a Cedar `decimal`
 * (`context.agent.trust.greaterThan(decimal("0.5"))`); any other number has no exact Cedar form
 * and is refused rather than rounded.
 */
function toNumber(value: number, path: string): CedarValue {
  if (Number.isSafeInteger(value)) return value;
  if (Number.isFinite(value) && Math.abs(value) < LARGEST_DECIMAL) {
    const text = value.toFixed(DECIMAL_PLACES);
    if (Number(text) === value) return { __extn: { fn: 'decimal', arg: text } };
  }
  throw new CedarConversionError(`${path}: the number has no exact Cedar form (a 64-bit integer, or a decimal with at most ${DECIMAL_PLACES} places)`);
}

function toValue(value: unknown, path: string): CedarValue {
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return toNumber(value, path);
    case 'object':
      if (value === null) throw new CedarConversionError(`${path}: null inside a list has no Cedar form`);
      if (Array.isArray(value)) return value.map((item, i) => toValue(item, `${path}[${i}]`));
      return toRecord(value as Record<string, unknown>, path);
    default:
      throw new CedarConversionError(`${path}: a ${typeof value} has no Cedar form`);
  }
}
