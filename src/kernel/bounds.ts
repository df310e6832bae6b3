import { GovernanceConfigError } from '../core/errors.js';
import { actionIdentity } from '../core/identity.js';
import { DEFAULT_REQUEST_LIMITS, joinPath, type RequestLimits } from '../core/limits.js';
import { parseStage, STAGE_NAMES } from '../core/request.js';
import { BOUNDED, BoundedFacts, boundedFacts, sealBounded, snapshotJson } from '../core/snapshot.js';
import { canonicalJson } from '../core/canonical-json.js';
import { toolNameProblem } from '../core/tool-name.js';
import type { DecisionIdentity, NormalizedRequest, Stage } from '../core/types.js';
import type { Action } from './action.js';
import { SUBJECT_OF as SUBJECT } from '../policy/index.js';

/** An action after the bounds step: the frozen request every later step sees, and its identity. */
export interface Bounded {
  ok: true;
  request: NormalizedRequest;
  /** The stage's subject in the request (arguments, input or output): what transforms rewrite. */
  subject: unknown;
  agentId: string;
  /** The action identity (core/identity.ts) of the request as it stands: computed when first read. */
  readonly inputIdentity: string;
  /** The action's identity proof: a frozen copy, or undefined when it carried none. Never in `request`. */
  proof?: unknown;
  /** Why the proof could not be copied (not JSON data, too deep, too large), by structure only. */
  proofProblem?: string;
  /** Who the identity step verified the agent to be; every decision on this request records it. */
  identity?: DecisionIdentity;
}

/**
 * A bounded action whose identity is hashed on first read, not when it is built: the identity
 * step replaces the request's agent (and so the identity) of every proven action, and a hash
 * nobody reads is work on every call.
 */
class BoundedAction implements Bounded {
  readonly ok = true;
  proof?: unknown;
  proofProblem?: string;
  identity?: DecisionIdentity;
  #identity: string | undefined;

  constructor(
    readonly request: NormalizedRequest,
    readonly subject: unknown,
    readonly agentId: string,
    /** The subject's canonical JSON when the subject is the arguments (the bounds step has it). */
    private readonly subjectJson: string | undefined,
  ) {}

  get inputIdentity(): string {
    if (this.#identity === undefined) {
      const request = this.request;
      const type = typeof request.action.type === 'string' ? request.action.type : null;
      this.#identity = actionIdentity({ stage: request.stage, tool: request.tool_name, action: type, agent: this.agentId, subject: this.subject }, this.subjectJson);
    }
    return this.#identity;
  }
}

/** An action the bounds step refused, with the request as far as it could be read (for the audit). */
export interface Unbounded {
  ok: false;
  request: NormalizedRequest;
  message: string;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** The kernel's own settings that every request starts from (already snapshotted). */
export interface BoundsDefaults {
  agent: Readonly<Record<string, unknown>>;
  context: Readonly<Record<string, unknown>>;
  limits: RequestLimits;
}

/**
 * Step 0 of the pipeline: reads the caller's action exactly once, into frozen copies within the
 * request limits, and computes the identity of what is asked. Never throws. A refusal's message
 * names what is wrong by structure and kind only (`args.<key 2>[0]: a bigint is not allowed`):
 * never a key, a value or what a getter threw, as the caller's data may hold secrets and the
 * message becomes the decision's (audited) reason.
 */
export function bound(action: Action, defaults: BoundsDefaults): Bounded | Unbounded {
  let stage: Stage = 'pre_tool';
  const fail = (message: string, tool: string | null = null): Unbounded => ({
    ok: false,
    request: { stage, agent: defaults.agent, tool_name: tool, action: tool === null ? EMPTY : { type: tool }, args: EMPTY, input: null, output: null, context: defaults.context },
    message,
  });
  let point: unknown, tool: unknown, args: unknown, actionType: unknown, content: unknown, agent: unknown, context: unknown, proof: unknown;
  try {
    ({ point, tool, args, action: actionType, content, agent, context, proof } = action);
  } catch {
    return fail('the action could not be read (a getter or proxy threw)');
  }
  const parsed = parseStage(point ?? 'pre_tool');
  if (!parsed) return fail(`the point is not one of ${STAGE_NAMES.join(', ')}`);
  stage = parsed;
  if (tool !== undefined && tool !== null && (typeof tool !== 'string' || tool === '')) return fail('the tool name must be a non-empty string');
  // A name from a model or client that is not plain could be a look-alike of a listed name (a
  // Cyrillic 'е', a zero-width space, a trailing space...): refused, and described, not echoed.
  const problem = typeof tool === 'string' ? toolNameProblem(tool) : null;
  if (problem !== null) return fail(`the tool name is not a plain identifier (${problem}); tool names are made of A-Z a-z 0-9 _ . : / -`);
  const toolName = typeof tool === 'string' ? tool : null;

  // Each part is a member of the request, one level down: it gets one level less of depth.
  const partLimits = { maxBytes: defaults.limits.maxBytes, maxDepth: defaults.limits.maxDepth - 1 };
  let bytes = 0;
  const argsCopy = args === undefined || args === null ? snapshotOk(EMPTY) : snapshotJson(args, partLimits);
  if (!argsCopy.ok) {
    return fail(argsCopy.path ? `${joinPath('args', argsCopy.path)}: ${argsCopy.message}` : `tool arguments must be a plain JSON object: ${argsCopy.message}`, toolName);
  }
  if (typeof argsCopy.value !== 'object' || argsCopy.value === null || Array.isArray(argsCopy.value)) {
    return fail(`tool arguments must be a JSON object; got ${Array.isArray(argsCopy.value) ? 'an array' : typeof argsCopy.value}`, toolName);
  }
  const argsValue = argsCopy.value as Readonly<Record<string, unknown>>;
  bytes += argsCopy.bytes;

  let agentValue = defaults.agent;
  if (agent !== undefined && agent !== null) {
    const copy = snapshotJson(typeof agent === 'string' ? { id: agent } : agent, partLimits);
    if (!copy.ok || !isRecord(copy.value)) return fail(copy.ok ? 'the agent must be an id or an object' : `${joinPath('agent', copy.path)}: ${copy.message}`, toolName);
    agentValue = copy.value;
    bytes += copy.bytes;
  }
  let contextValue = defaults.context;
  if (context !== undefined && context !== null) {
    const copy = snapshotJson(context, partLimits);
    if (!copy.ok || !isRecord(copy.value)) return fail(copy.ok ? 'the context must be an object' : `${joinPath('context', copy.path)}: ${copy.message}`, toolName);
    contextValue = Object.freeze({ ...defaults.context, ...copy.value });
    bytes += copy.bytes;
  }
  let subjectValue: unknown = null;
  if (content !== undefined) {
    const copy = snapshotJson(content, partLimits);
    if (!copy.ok) return fail(`${joinPath(SUBJECT[stage], copy.path)}: ${copy.message}`, toolName);
    subjectValue = copy.value;
    bytes += copy.bytes;
  }
  let proofValue: unknown;
  let proofProblem: string | undefined;
  if (proof !== undefined && proof !== null) {
    // Its own, tighter bounds: a proof is a token or a short chain, never a document.
    const copy = snapshotJson(proof, PROOF_LIMITS);
    if (copy.ok) proofValue = copy.value;
    else proofProblem = copy.path ? `${joinPath('proof', copy.path)}: ${copy.message}` : `the proof ${copy.message}`;
  }
  if (actionType !== undefined && typeof actionType !== 'string') return fail('the action type must be a string', toolName);
  const type = typeof actionType === 'string' ? actionType : typeof argsValue.action === 'string' ? argsValue.action : toolName;

  // The parts were measured one by one; together (with the agent and context the kernel adds,
  // measured when it was built, and the names around them) they must fit the request limit too.
  if (bytes > defaults.limits.maxBytes) return fail(`the request is more than ${defaults.limits.maxBytes} bytes as canonical JSON`, toolName);
  const subjectName = SUBJECT[stage];
  const argsJson = canonicalJson(argsValue);
  const request = sealBounded({
    stage,
    agent: agentValue,
    tool_name: toolName,
    action: type === null ? EMPTY : actionOf(type),
    args: argsValue,
    input: subjectName === 'input' ? subjectValue : null,
    output: subjectName === 'output' ? subjectValue : null,
    context: contextValue,
    [BOUNDED]: new BoundedFacts(defaults.limits, argsJson),
  }) as NormalizedRequest;
  const subject = subjectName === 'args' ? argsValue : subjectValue;
  const agentId = typeof agentValue.id === 'string' ? agentValue.id : 'anonymous';
  const bounded = new BoundedAction(request, subject, agentId, subjectName === 'args' ? argsJson : undefined);
  if (proofValue !== undefined) bounded.proof = proofValue;
  if (proofProblem !== undefined) bounded.proofProblem = proofProblem;
  return bounded;
}

/** Bounds on an action's proof: 64 KiB of canonical JSON, 8 levels (a token, a certificate chain). */
export const PROOF_LIMITS: RequestLimits = Object.freeze({ maxBytes: 64 * 1024, maxDepth: 8 });

/**
 * The bounded action with the request's `agent` replaced by a verified one (frozen by the
 * caller): the request is re-sealed around the same frozen parts and its identity recomputed
 * from the canonical JSON of the arguments made at the bounds step (no second copy of anything).
 */
export function withAgent(bounded: Bounded, agent: Readonly<Record<string, unknown>>, agentId: string): Bounded {
  const facts = boundedFacts(bounded.request);
  const argsJson = facts?.argsJson ?? canonicalJson(bounded.request.args);
  const { request } = bounded;
  const rebuilt = sealBounded({
    stage: request.stage,
    agent,
    tool_name: request.tool_name,
    action: request.action,
    args: request.args,
    input: request.input,
    output: request.output,
    context: request.context,
    [BOUNDED]: new BoundedFacts(facts?.limits ?? DEFAULT_REQUEST_LIMITS, argsJson, facts?.knownArgsDigest),
  }) as NormalizedRequest;
  return new BoundedAction(rebuilt, bounded.subject, agentId, SUBJECT[request.stage] === 'args' ? argsJson : undefined);
}

/** Snapshots a value given once, at construction (the kernel's agent and context). */
export function snapshotSetting(value: unknown, name: string, limits: RequestLimits): Readonly<Record<string, unknown>> {
  if (value === undefined || value === null) return EMPTY;
  const copy = snapshotJson(typeof value === 'string' ? { id: value } : value, limits);
  if (!copy.ok) throw new GovernanceConfigError(`${joinPath(`options.${name}`, copy.path)}: ${copy.message}`);
  if (!isRecord(copy.value)) throw new GovernanceConfigError(`options.${name} must be an object`);
  return copy.value;
}

const ACTIONS = new Map<string, Readonly<Record<string, unknown>>>();
const MAX_CACHED_ACTIONS = 1_000;

/** The frozen `{ type }` of an action type, shared (a handful of types recur on every call). */
function actionOf(type: string): Readonly<Record<string, unknown>> {
  let action = ACTIONS.get(type);
  if (action === undefined) {
    action = Object.freeze({ type });
    if (ACTIONS.size < MAX_CACHED_ACTIONS) ACTIONS.set(type, action);
  }
  return action;
}

function snapshotOk(value: unknown): { ok: true; value: unknown; bytes: number } {
  return { ok: true, value, bytes: 2 };
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
