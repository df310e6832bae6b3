import { GovernanceDenied } from '../core/errors.js';
import type { AgentRef, Decision, GovernanceRequest } from '../core/types.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { PolicyEvaluator } from '../policy/evaluator.js';
import type { ConflictStrategy } from '../policy/schema.js';
import { DEFAULT_APPROVAL_TIMEOUT_MS, requestApproval, type ApprovalHandler } from './approvals.js';
import { defaultAuditLog, derive, Kernel } from './kernel.js';
import { evaluatorFor, type PolicyInput } from './policy-input.js';
import { applyTransform } from './transform.js';

/** How {@link govern} decides and records a tool's calls. */
export interface GovernOptions {
  /** A policy file or directory path, a PolicyDocument (or plain document object), or an evaluator. */
  policy: PolicyInput;
  /** The tool's name in requests and the audit log. Default: the function's name. */
  name?: string;
  /** The agent on whose behalf calls are made (an id, or a full reference). */
  agent?: AgentRef | string;
  /** Where decisions are recorded: an AuditLog, or false for none. Default: the shared in-memory log. */
  audit?: AuditLog | false;
  /** Called with every denial, before GovernanceDenied is thrown. */
  onDeny?: (decision: Decision, request: GovernanceRequest) => void;
  /** Resolves require_approval decisions. Without one, require_approval denies. */
  approvals?: ApprovalHandler;
  /** How long an approval may take; default 5 minutes. A timeout denies. */
  approvalTimeoutMs?: number;
  /** Conflict strategy when govern() builds the evaluator (not with a ready evaluator). */
  conflictStrategy?: ConflictStrategy;
  /** Free-form values conditions can read as `context`. */
  context?: Record<string, unknown>;
}

/** A governed tool: same parameters, always async, plus what governs it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function is governable
export type GovernedTool<F extends (...args: any[]) => unknown> = ((...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>) & {
  readonly toolName: string;
  readonly evaluator: PolicyEvaluator;
  readonly audit: AuditLog | null;
};

/**
 * Wraps a tool so every call is decided by policy before it runs and its result is checked
 * after. A denied call never reaches the tool and throws {@link GovernanceDenied}.
 *
 * @example
 * const safeTool = govern(myTool, { policy: 'policy.yaml' });
 * await safeTool({ action: 'read', table: 'users' }); // runs
 * await safeTool({ action: 'drop', table: 'users' }); // throws GovernanceDenied
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function is governable
export function govern<F extends (...args: any[]) => unknown>(tool: F, options: GovernOptions): GovernedTool<F> {
  if (typeof tool !== 'function') throw new TypeError('govern() needs a function to wrap');
  if (!options || options.policy === undefined || options.policy === null) throw new TypeError('govern() needs options.policy: a policy path, document or evaluator');
  const toolName = options.name ?? tool.name;
  if (!toolName) throw new TypeError('govern() needs options.name for an anonymous function');
  const evaluator = evaluatorFor(options.policy, options.conflictStrategy);
  const audit = options.audit === false ? null : (options.audit ?? defaultAuditLog());
  const kernel = new Kernel(evaluator, audit);
  const agent = typeof options.agent === 'string' ? { id: options.agent } : options.agent;
  const checksOutput = evaluator.hasRulesFor('post_tool');
  const timeoutMs = options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;

  const deny = (decision: Decision, request: GovernanceRequest): never => {
    try {
      options.onDeny?.(decision, request);
    } catch {
      // A failing observer must not turn a denial into something else.
    }
    throw new GovernanceDenied(decision);
  };

  /** Applies a transform; if it cannot be applied, the call is denied (and that is audited). */
  const transformed = (subject: unknown, decision: Decision, request: GovernanceRequest, stage: 'pre_tool' | 'post_tool'): unknown => {
    try {
      return applyTransform(subject, decision.transform as NonNullable<Decision['transform']>, stage);
    } catch (error) {
      const failure = derive(decision, 'deny', `runtime_error:transform: ${(error as Error)?.message ?? String(error)}`);
      return deny(kernel.record(request, failure), request);
    }
  };

  async function decideAndRun(this: unknown, callArgs: unknown[]): Promise<unknown> {
    const single = callArgs.length === 1 && isPlainObject(callArgs[0]);
    let args: Record<string, unknown> = single ? (callArgs[0] as Record<string, unknown>) : callArgs.length === 0 ? {} : { positional: callArgs };
    let request: GovernanceRequest;
    try {
      request = {
        stage: 'pre_tool',
        tool_name: toolName,
        action: { type: typeof args.action === 'string' ? args.action : toolName },
        args,
        ...(agent ? { agent } : {}),
        ...(options.context ? { context: options.context } : {}),
      };
    } catch (error) {
      // Reading the arguments threw (a getter or proxy): they are not JSON data.
      request = { stage: 'pre_tool', tool_name: toolName, ...(agent ? { agent } : {}) };
      return deny(kernel.record(request, evaluator.rejectInvalid(`the arguments could not be read: ${(error as Error)?.message ?? String(error)}`)), request);
    }
    // A remote engine (OPA over HTTP) is waited for; local policies keep the synchronous path.
    const decided = kernel.decideWhenReady(request);
    let decision = decided instanceof Promise ? await decided : decided;
    let runArgs = callArgs;
    if (decision.verdict === 'require_approval') {
      // The call now waits, possibly for minutes, while the caller still holds the arguments.
      // What runs afterwards must be exactly what was checked and approved: a copy taken now
      // (the arguments passed the request checks, so they are plain JSON data).
      args = structuredClone(args);
      request = { ...request, args };
      runArgs = single ? [args] : callArgs.length === 0 ? [] : (args.positional as unknown[]);
      const outcome = await requestApproval(options.approvals, request, decision, timeoutMs);
      decision = kernel.record(request, derive(decision, outcome.approved ? 'allow' : 'deny', outcome.reason));
    }
    if (!decision.allowed) return deny(decision, request);
    // Nothing unaudited goes ahead: with a store that commits in the background, the tool runs
    // only once the decision's entry is durable.
    const confirmed = kernel.confirm(decision);
    if (confirmed !== decision) {
      decision = await confirmed;
      if (!decision.allowed) return deny(decision, request);
    }

    if (decision.verdict === 'transform' && decision.transform) {
      const rewritten = transformed(args, decision, request, 'pre_tool') as Record<string, unknown>;
      runArgs = single ? [rewritten] : callArgs.length === 0 ? [] : ((rewritten.positional as unknown[]) ?? callArgs);
    }
    const result = await tool.apply(this, runArgs);
    if (!checksOutput) return result;

    const outputRequest: GovernanceRequest = { ...request, stage: 'post_tool', output: result };
    const checked = kernel.decideWhenReady(outputRequest);
    let after = checked instanceof Promise ? await checked : checked;
    if (!after.allowed) return deny(after, request);
    const afterConfirmed = kernel.confirm(after);
    if (afterConfirmed !== after) {
      after = await afterConfirmed;
      if (!after.allowed) return deny(after, request);
    }
    return after.verdict === 'transform' && after.transform ? transformed(result, after, request, 'post_tool') : result;
  }

  async function governed(this: unknown, ...callArgs: unknown[]): Promise<unknown> {
    try {
      return await decideAndRun.call(this, callArgs);
    } catch (error) {
      // A denial is acknowledged too: the caller hears of it once its entry is committed.
      if (error instanceof GovernanceDenied) await audit?.durable()?.catch(() => undefined);
      throw error;
    }
  }

  return Object.defineProperties(governed, {
    name: { value: toolName },
    toolName: { value: toolName },
    evaluator: { value: evaluator },
    audit: { value: audit },
  }) as unknown as GovernedTool<F>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  } catch {
    return false; // a proxy that refuses to say: treat it as an opaque value (the request check denies it)
  }
}
