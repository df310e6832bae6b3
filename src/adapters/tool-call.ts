import { canonicalJson } from '../core/canonical-json.js';
import { deniedMessage } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import type { AgentRef, Decision, GovernanceRequest, Stage, Verdict } from '../core/types.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { PolicyEvaluator } from '../policy/evaluator.js';
import type { ConflictStrategy } from '../policy/schema.js';
import { DEFAULT_APPROVAL_TIMEOUT_MS, requestApproval, type ApprovalHandler } from '../kernel/approvals.js';
import { defaultAuditLog, derive, Kernel } from '../kernel/kernel.js';
import { evaluatorFor, type PolicyInput } from '../kernel/policy-input.js';
import { applyTransform } from '../kernel/transform.js';

/** How an adapter decides and records an agent's tool calls, inputs and outputs. */
export interface AdapterOptions {
  /** A policy file or directory path, a PolicyDocument (or plain document object), or an evaluator. */
  policy: PolicyInput;
  /** The agent on whose behalf the framework calls tools (an id, or a full reference). */
  agent?: AgentRef | string;
  /** Where decisions are recorded: an AuditLog, or false for none. Default: the shared in-memory log. */
  audit?: AuditLog | false;
  /**
   * Resolves require_approval where the adapter runs the approval itself (MCP, or a framework
   * whose own approval flow is not used). Without one, require_approval denies there.
   */
  approvals?: ApprovalHandler;
  /** How long `approvals` may take; default 5 minutes. A timeout denies. */
  approvalTimeoutMs?: number;
  /** Conflict strategy when the adapter builds the evaluator (not with a ready evaluator). */
  conflictStrategy?: ConflictStrategy;
  /** Free-form values conditions can read as `context`. */
  context?: Record<string, unknown>;
}

/** One tool call as a framework hands it over. */
export interface ToolCall {
  /** The tool's name. */
  tool: string;
  /** The arguments as the framework parsed them: anything; only a JSON object (or nothing) can run. */
  args: unknown;
  /** The framework's id for this call, when it has one: links a decision to a later run or approval. */
  callId?: string;
  /** Per-call values merged over the adapter's `context`. */
  context?: Record<string, unknown>;
}

/**
 * What the model is told when governance stops something: readable text plus the fields an
 * operator needs to find the decision in the audit log.
 */
export interface Refusal {
  denied: true;
  /** e.g. "Action denied by policy rule 'block-drop': Destructive operations need approval". */
  message: string;
  verdict: Verdict;
  rule: string | null;
  policy: string | null;
  reason: string;
  decisionId: string;
  stage: Stage;
}

/** A tool call that may run now, with the arguments it must run with (transforms applied). */
export interface ClearedCall {
  kind: 'run';
  args: Record<string, unknown>;
  request: GovernanceRequest;
  decision: Decision;
}

/** A call that is held for a human: resolve it with {@link ToolCallGovernor.settleApproval}. */
export interface PendingApproval {
  kind: 'approval';
  /** The framework's call id, or one minted here. */
  id: string;
  tool: string;
  /** A copy of the arguments as checked: exactly these run if approved. */
  args: Record<string, unknown>;
  request: GovernanceRequest;
  decision: Decision;
}

/** A call or content that does not go ahead. */
export interface Refused {
  kind: 'refuse';
  refusal: Refusal;
  decision: Decision;
}

/** What the pre-tool stage says about a call. */
export type PreToolOutcome = ClearedCall | PendingApproval | Refused;

/** What the post-tool stage says about a result: let through (maybe redacted), or withheld. */
export type PostToolOutcome = { kind: 'output'; output: unknown } | Refused;

/** The stages that decide content rather than a tool call. */
export type ContentStage = 'agent_startup' | 'pre_input' | 'pre_model_call' | 'post_model_call' | 'pre_output' | 'agent_shutdown';

/** What a content stage (pre_input, pre_output, the model-call points) says about text: let through (maybe rewritten), or stopped. */
export type ContentOutcome = { kind: 'pass'; text: string } | Refused;

/** Calls decided ahead of their run (see {@link ToolCallGovernor.beforeTool}) kept at most this many at once. */
const MAX_HELD = 10_000;

interface Held {
  digest: string;
  outcome: ClearedCall | Refused;
  /** Cleared by a human's approval (not by the policy alone). */
  approved: boolean;
}

/**
 * The shared core of every framework adapter. It turns a framework's tool call into a kernel
 * request, decides it (recording to the audit log), applies transforms, checks the result, and
 * turns denials into a {@link Refusal} the adapter hands back in the framework's own idiom.
 *
 * Frameworks that own the approval flow (AI SDK, OpenAI Agents, LangChain) decide a call when
 * they ask whether it needs approval and run it later: the decision is held under the call's id
 * ({@link beforeTool} with `hold`), the human's answer is recorded by {@link settleApproval}, and
 * the run consumes exactly what was decided or approved. A run with no record behind it is
 * decided afresh, so nothing skips the policy.
 */
export class ToolCallGovernor {
  readonly evaluator: PolicyEvaluator;
  readonly audit: AuditLog | null;
  readonly kernel: Kernel;
  private readonly agent: AgentRef | undefined;
  private readonly context: Record<string, unknown> | undefined;
  private readonly approvals: ApprovalHandler | undefined;
  private readonly approvalTimeoutMs: number;
  private readonly checksOutput: boolean;
  private readonly pending = new Map<string, PendingApproval>();
  private readonly held = new Map<string, Held>();

  constructor(options: AdapterOptions) {
    if (!options || options.policy === undefined || options.policy === null) throw new TypeError('an adapter needs options.policy: a policy path, document or evaluator');
    this.evaluator = evaluatorFor(options.policy, options.conflictStrategy);
    this.audit = options.audit === false ? null : (options.audit ?? defaultAuditLog());
    this.kernel = new Kernel(this.evaluator, this.audit);
    this.agent = typeof options.agent === 'string' ? { id: options.agent } : options.agent;
    this.context = options.context;
    this.approvals = options.approvals;
    this.approvalTimeoutMs = options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    this.checksOutput = this.evaluator.hasRulesFor('post_tool');
  }

  /** Whether the policy has rules for a stage (adapters skip stages with nothing to decide). */
  decides(stage: Stage): boolean {
    return stage === 'pre_tool' || this.evaluator.hasRulesFor(stage);
  }

  /**
   * Decides a call before it runs. With `hold`, the outcome is kept under the call's id for the
   * run that follows (a framework that asks "does this need approval?" first); a later call with
   * the same id and the same arguments consumes it instead of deciding again.
   */
  async beforeTool(call: ToolCall, options: { hold?: boolean } = {}): Promise<PreToolOutcome> {
    const request = this.toolRequest(call);
    // The digest ties a held decision to the very arguments it was made on (a copy mutated in
    // between does not match); calls without an id are never held, so they skip it.
    const digest = call.callId === undefined ? '' : digestOf(request.args === INVALID ? call.args : request.args);
    if (call.callId !== undefined) {
      const held = this.held.get(call.callId);
      if (held) {
        this.held.delete(call.callId);
        if (held.digest === digest) return held.outcome;
      }
    }
    const outcome =
      request.args === INVALID
        ? await this.refuse(this.kernel.record(request.request, this.evaluator.rejectInvalid(request.why)))
        : await this.clear(request.request, await this.kernel.decideWhenReady(request.request), call.callId);
    if (options.hold && call.callId !== undefined && outcome.kind !== 'approval') this.hold(call.callId, digest, outcome);
    return outcome;
  }

  /**
   * Whether a call was approved by a human and waits for its run, with these very arguments.
   * Frameworks that ask again before running an approved call (the AI SDK does) get their yes
   * without a new decision.
   */
  wasApproved(callId: string, args: unknown): boolean {
    const held = this.held.get(callId);
    return held !== undefined && held.approved && held.digest === digestOf(args);
  }

  /**
   * Takes the refusal held for a call, if its decision was a refusal: for a framework whose
   * guardrail reports a denial before the run (OpenAI Agents), so the run is never reached.
   */
  takeRefusal(callId: string): Refused | undefined {
    const held = this.held.get(callId);
    if (held?.outcome.kind !== 'refuse') return undefined;
    this.held.delete(callId);
    return held.outcome;
  }

  /** The pending approval for a call id, if one is waiting. */
  pendingApproval(id: string): PendingApproval | undefined {
    return this.pending.get(id);
  }

  /**
   * Records a human's answer to a pending approval (as the kernel does: a derived allow or
   * deny with the reason). Approved, the call is cleared with the arguments that were checked;
   * either way the outcome is held under the call's id for the framework's run (a framework that
   * skips rejected calls can drop it with {@link takeRefusal}). An unknown id is a refusal.
   */
  async settleApproval(id: string, approved: boolean, reason?: string): Promise<ClearedCall | Refused> {
    const pending = this.pending.get(id);
    if (!pending) {
      const request: GovernanceRequest = { stage: 'pre_tool', ...(this.agent ? { agent: this.agent } : {}) };
      return this.refuse(this.kernel.record(request, this.evaluator.rejectInvalid(`no approval is pending for call '${id}'`)));
    }
    this.pending.delete(id);
    const who = pending.decision.approvers.length ? ` (approvers: ${pending.decision.approvers.join(', ')})` : '';
    const why = reason ?? (approved ? `approved${who}` : `approval denied${who}`);
    const outcome = await this.clear(pending.request, this.kernel.record(pending.request, derive(pending.decision, approved ? 'allow' : 'deny', why)), undefined);
    if (outcome.kind === 'approval') throw new Error('unreachable: a settled approval is allow or deny');
    this.hold(id, digestOf(pending.args), outcome, outcome.kind === 'run');
    return outcome;
  }

  /** Resolves a pending approval with the configured handler (deny without one, or on timeout). */
  async askApprovals(pending: PendingApproval): Promise<ClearedCall | Refused> {
    const outcome = await requestApproval(this.approvals, pending.request, pending.decision, this.approvalTimeoutMs);
    const settled = await this.settleApproval(pending.id, outcome.approved, outcome.reason);
    this.held.delete(pending.id);
    return settled;
  }

  /**
   * Checks a tool's result (the post_tool stage): a deny withholds it, a transform redacts a
   * copy. Without post_tool rules the result passes untouched and nothing is recorded.
   */
  async afterTool(cleared: ClearedCall, output: unknown): Promise<PostToolOutcome> {
    if (!this.checksOutput) return { kind: 'output', output };
    const request: GovernanceRequest = { ...cleared.request, stage: 'post_tool', output };
    let decision = await this.kernel.decideWhenReady(request);
    if (decision.allowed) decision = await this.kernel.confirm(decision);
    if (!decision.allowed) return this.refuse(decision);
    if (decision.verdict !== 'transform' || !decision.transform) return { kind: 'output', output };
    const rewritten = this.transformed(output, decision, request, 'post_tool');
    return rewritten.ok ? { kind: 'output', output: rewritten.value } : this.refuse(rewritten.decision);
  }

  /**
   * The whole path for an adapter that owns the call: decide, ask for approval when needed (with
   * the configured handler), run with the cleared arguments, check the result.
   */
  async callTool(call: ToolCall, run: (args: Record<string, unknown>) => unknown): Promise<PostToolOutcome> {
    let outcome = await this.beforeTool(call);
    if (outcome.kind === 'approval') outcome = await this.askApprovals(outcome);
    if (outcome.kind === 'refuse') return outcome;
    return this.afterTool(outcome, await run(outcome.args));
  }

  /**
   * Decides text at a content stage: `pre_input` (what reaches the model) or `pre_output` (what
   * the agent says). A deny stops it; a transform rewrites it (a redaction of the whole text
   * yields `[REDACTED]`). Without rules for the stage the text passes and nothing is recorded.
   */
  async screen(stage: ContentStage, text: string, context?: Record<string, unknown>): Promise<ContentOutcome> {
    if (!this.evaluator.hasRulesFor(stage)) return { kind: 'pass', text };
    const mergedContext = context ? { ...this.context, ...context } : this.context;
    const request: GovernanceRequest = {
      stage,
      ...(stage === 'post_model_call' || stage === 'pre_output' ? { output: text } : { input: text }),
      ...(this.agent ? { agent: this.agent } : {}),
      ...(mergedContext ? { context: mergedContext } : {}),
    };
    let decision = await this.kernel.decideWhenReady(request);
    if (decision.allowed) decision = await this.kernel.confirm(decision);
    if (!decision.allowed) return this.refuse(decision);
    if (decision.verdict !== 'transform' || !decision.transform) return { kind: 'pass', text };
    const rewritten = this.transformed(text, decision, request, stage);
    if (!rewritten.ok) return this.refuse(rewritten.decision);
    return { kind: 'pass', text: typeof rewritten.value === 'string' ? rewritten.value : JSON.stringify(rewritten.value) };
  }

  /** The request for a call, or why its arguments cannot be decided. */
  private toolRequest(call: ToolCall): { request: GovernanceRequest; args: Record<string, unknown> } | { request: GovernanceRequest; args: typeof INVALID; why: string } {
    const context = call.context ? { ...this.context, ...call.context } : this.context;
    // Built by assignment in one fixed order, not by spreading: V8 keeps the object in fast
    // mode, and the evaluator and audit encoder walk it at half the cost (3-4 us per call).
    const toolName = typeof call.tool === 'string' && call.tool ? call.tool : '(unnamed tool)';
    const request: GovernanceRequest = { stage: 'pre_tool', tool_name: toolName };
    if (this.agent) request.agent = this.agent;
    if (context) request.context = context;
    const args = readArgs(call.args);
    if (typeof args === 'string') return { request, args: INVALID, why: args };
    request.action = { type: typeof args.action === 'string' ? args.action : toolName };
    request.args = args;
    return { request, args };
  }

  /** Enforces a pre_tool decision: held for approval, refused, or cleared (after its entry is durable). */
  private async clear(request: GovernanceRequest, decision: Decision, callId: string | undefined): Promise<PreToolOutcome> {
    if (decision.verdict === 'require_approval') {
      // The call now waits, possibly for minutes, while the framework still holds the arguments:
      // what runs afterwards must be exactly what was checked, so keep a copy taken now (they
      // passed the request checks, so they are plain JSON data).
      const args = structuredClone(request.args ?? {});
      const pending: PendingApproval = { kind: 'approval', id: callId ?? uuidv7(), tool: request.tool_name ?? '', args, request: { ...request, args }, decision };
      this.pending.set(pending.id, pending);
      await this.audit?.durable()?.catch(() => undefined);
      return pending;
    }
    if (decision.allowed) {
      // Nothing unaudited goes ahead; awaited only when the store has a commit pending.
      const confirmed = this.kernel.confirm(decision);
      if (confirmed !== decision) decision = await confirmed;
    }
    if (!decision.allowed) return this.refuse(decision);
    let args = request.args ?? {};
    if (decision.verdict === 'transform' && decision.transform) {
      const rewritten = this.transformed(args, decision, request, 'pre_tool');
      if (!rewritten.ok) return this.refuse(rewritten.decision);
      args = rewritten.value as Record<string, unknown>;
    }
    return { kind: 'run', args, request, decision };
  }

  private transformed(subject: unknown, decision: Decision, request: GovernanceRequest, stage: Stage): { ok: true; value: unknown } | { ok: false; decision: Decision } {
    try {
      return { ok: true, value: applyTransform(subject, decision.transform as NonNullable<Decision['transform']>, stage) };
    } catch (error) {
      const failure = derive(decision, 'deny', `runtime_error:transform: ${(error as Error)?.message ?? String(error)}`);
      return { ok: false, decision: this.kernel.record(request, failure) };
    }
  }

  /** A denial reaches the framework only once its entry is committed, as govern() does. */
  private async refuse(decision: Decision): Promise<Refused> {
    await this.audit?.durable()?.catch(() => undefined);
    return { kind: 'refuse', refusal: refusalOf(decision), decision };
  }

  private hold(id: string, digest: string, outcome: ClearedCall | Refused, approved = false): void {
    if (this.held.size >= MAX_HELD) {
      // The oldest hold goes: its run is decided afresh, which is safe, only slower.
      const oldest = this.held.keys().next();
      if (!oldest.done) this.held.delete(oldest.value);
    }
    this.held.set(id, { digest, outcome, approved });
  }
}

/** The refusal a model reads for a decision that stopped something. */
export function refusalOf(decision: Decision): Refusal {
  return {
    denied: true,
    message: deniedMessage(decision),
    verdict: decision.verdict,
    rule: decision.rule,
    policy: decision.policy,
    reason: decision.reason,
    decisionId: decision.decisionId,
    stage: decision.stage,
  };
}

const INVALID: unique symbol = Symbol('invalid arguments');

/** A call's arguments as a plain object, or why they are not one. Reading them never throws. */
function readArgs(args: unknown): Record<string, unknown> | string {
  if (args === undefined || args === null) return {};
  try {
    if (typeof args !== 'object' || Array.isArray(args)) return `tool arguments must be a JSON object; got ${Array.isArray(args) ? 'an array' : typeof args}`;
    const proto: unknown = Object.getPrototypeOf(args);
    if (proto !== Object.prototype && proto !== null) return 'tool arguments must be a plain JSON object';
    return args as Record<string, unknown>;
  } catch (error) {
    return `the arguments could not be read: ${(error as Error)?.message ?? String(error)}`;
  }
}

/** Canonical JSON of arguments, so a held decision is consumed only by the very same call. */
function digestOf(args: unknown): string {
  try {
    return canonicalJson(args);
  } catch {
    return `\u0000unreadable:${uuidv7()}`; // never equal to anything: the run is decided afresh
  }
}
