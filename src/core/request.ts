import { checkJsonValue, DEFAULT_REQUEST_LIMITS, type RequestLimits } from './limits.js';
import type { NormalizedRequest, Stage } from './types.js';

const STAGE_SYNONYMS: Readonly<Record<string, Stage>> = {
  agent_startup: 'agent_startup',
  pre_input: 'pre_input',
  input: 'pre_input',
  pre_tool: 'pre_tool',
  pre_tool_call: 'pre_tool',
  post_tool: 'post_tool',
  post_tool_call: 'post_tool',
  pre_output: 'pre_output',
  output: 'pre_output',
  pre_model_call: 'pre_model_call',
  post_model_call: 'post_model_call',
  agent_shutdown: 'agent_shutdown',
};

/** Maps a stage name or its Agent Control Specification synonym to ours; undefined if unknown. */
export function parseStage(name: unknown): Stage | undefined {
  return typeof name === 'string' && Object.hasOwn(STAGE_SYNONYMS, name) ? STAGE_SYNONYMS[name] : undefined;
}

/** The names of every stage, with synonyms, for error messages. */
export const STAGE_NAMES: readonly string[] = Object.keys(STAGE_SYNONYMS);

/** A request that could not be decided on; the evaluator turns it into a deny. */
export class InvalidRequest {
  constructor(
    readonly message: string,
    /** The stage, when it could be read; deny decisions report it. */
    readonly stage: Stage = 'pre_tool',
  ) {}
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a request against the limits and binds every name a condition may read. An invalid
 * request's message names the problem by structure and kind, never by a key or value it holds.
 * `action` given as a string becomes `{ type }`, `agent` given as a string `{ id }`;
 * `action.type` defaults to the tool name;
 * `args`, `agent`, `action` and `context` default to empty maps. Never throws.
 */
export function normalizeRequest(
  request: unknown,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS,
): NormalizedRequest | InvalidRequest {
  if (!isRecord(request)) return new InvalidRequest('a request must be a JSON object');
  const violation = checkJsonValue(request, limits);
  const stageName = request.stage ?? 'pre_tool';
  const stage = parseStage(stageName);
  if (violation) {
    return new InvalidRequest(violation.path ? `${violation.path}: ${violation.message}` : violation.message, stage);
  }
  if (!stage) {
    return new InvalidRequest(`the stage is not one of ${STAGE_NAMES.join(', ')}`);
  }
  const { tool_name, args, context } = request;
  // An agent may be named by its id alone, as `action` may be by its type.
  const agent = typeof request.agent === 'string' ? { id: request.agent } : request.agent;
  if (tool_name !== undefined && tool_name !== null && typeof tool_name !== 'string') {
    return new InvalidRequest('tool_name must be a string', stage);
  }
  for (const [name, value] of [['agent', agent], ['args', args], ['context', context]] as const) {
    if (value !== undefined && value !== null && !isRecord(value)) {
      return new InvalidRequest(`${name} must be an object`, stage);
    }
  }
  const toolName = typeof tool_name === 'string' ? tool_name : null;
  let action: Record<string, unknown>;
  const rawAction = request.action;
  if (typeof rawAction === 'string') {
    action = { type: rawAction };
  } else if (isRecord(rawAction)) {
    action = rawAction.type === undefined && toolName !== null ? { ...rawAction, type: toolName } : rawAction;
  } else if (rawAction === undefined || rawAction === null) {
    action = toolName !== null ? { type: toolName } : EMPTY;
  } else {
    return new InvalidRequest('action must be an object or a string', stage);
  }
  return {
    stage,
    agent: (agent as Record<string, unknown> | undefined) ?? EMPTY,
    tool_name: toolName,
    action,
    args: (args as Record<string, unknown> | undefined) ?? EMPTY,
    input: request.input ?? null,
    output: request.output ?? null,
    context: (context as Record<string, unknown> | undefined) ?? EMPTY,
  };
}
