import type { AgentRef, Decision } from '../core/types.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { PolicyEvaluator, ConflictStrategy } from '../policy/index.js';
import { refusalOf, type Action, type Cleared, type Held, type Outcome, type Refusal } from '../kernel/action.js';
import type { ApprovalHandler } from '../kernel/approvals.js';
import type { Guard } from '../kernel/guards.js';
import { Kernel, type HandleOptions } from '../kernel/kernel.js';
import type { PolicyInput } from '../kernel/policy-input.js';
import { proofFor, type ProofSource } from '../kernel/proof-source.js';
import type { Governance } from '../config/governance.js';
import { defaultGovernance } from '../config/default-governance.js';
import type { KernelOptions } from '../kernel/kernel.js';

export { refusalOf, type Refusal };

/** How an adapter decides and records an agent's tool calls, inputs and outputs. */
export interface AdapterOptions {
  /**
   * A policy file or directory path, a PolicyDocument (or plain document object), or an
   * evaluator. Optional with a `governance` (or a deployment file) that names a default policy.
   */
  policy?: PolicyInput;
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
  /** Guards run before the policy (see Kernel). */
  guards?: readonly Guard[];
  /** A kernel to share with govern() and other adapters; the options above are then not used. */
  kernel?: Kernel;
  /**
   * The deployment (see createGovernance): its policy, audit log and identity verification, the
   * options above taking precedence. Without `kernel` or `governance`, the deployment file in
   * effect (`$AGT_CONFIG`, else `./agt.config.yaml`) is used when there is one.
   */
  governance?: Governance;
  /**
   * The identity proof each tool call carries: a fixed proof, or a maker given the call's
   * arguments and tool name (an `agentProver`). A maker that throws sends no proof.
   */
  proof?: ProofSource;
}

/** One tool call as a framework hands it over. */
export interface ToolCall {
  /** The tool's name: the name policies match, so the tool's own id, never a registration key. */
  tool: string;
  /** The arguments as the framework parsed them: anything; only a JSON object (or nothing) can run. */
  args: unknown;
  /** The framework's id for this call, when it has one: links a decision to a later run or approval. */
  callId?: string;
  /** Per-call values merged over the adapter's `context`. */
  context?: Record<string, unknown>;
}

/** A tool call that may run now, with the arguments it must run with (the kernel's frozen copy, transformed). */
export type ClearedCall = Cleared;

/** A call that is held for a human: resolve it with {@link ToolCallGovernor.settleApproval}. */
export type PendingApproval = Held;

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

/** A tool's error as the policy let it through (see {@link ToolCallGovernor.afterToolError}). */
export type ToolError = { kind: 'failed'; error: { name: string; message: string }; decision: Decision };

/** What a call the adapter hands the kernel whole comes to: a result, a refusal, or the tool's error. */
export type CallOutcome = PostToolOutcome | ToolError;

/** The stages that decide content rather than a tool call. */
export type ContentStage = 'agent_startup' | 'pre_input' | 'pre_model_call' | 'post_model_call' | 'pre_output' | 'agent_shutdown';

/** What a content stage (pre_input, pre_output, the model-call points) says about text: let through (maybe rewritten), or stopped. */
export type ContentOutcome = { kind: 'pass'; text: string } | Refused;

/**
 * The adapters' view of the {@link Kernel}: a translation of its outcomes into the shapes the
 * framework adapters hand back (a refusal the model reads, arguments to run, text to pass). It
 * holds no enforcement logic of its own: every decision, hold, approval, transform and output
 * check happens in `Kernel.handle` and its companions.
 */
export class ToolCallGovernor {
  readonly kernel: Kernel;
  readonly #proof: ProofSource | undefined;

  constructor(options: AdapterOptions) {
    this.#proof = options?.proof;
    const governance = options?.kernel ? undefined : (options?.governance ?? defaultGovernance() ?? undefined);
    const settings: Partial<KernelOptions> = {
      ...(options?.policy !== undefined && options.policy !== null ? { policy: options.policy } : {}),
      ...(options?.audit !== undefined ? { audit: options.audit } : {}),
      ...(options?.agent !== undefined ? { agent: options.agent } : {}),
      ...(options?.context !== undefined ? { context: options.context } : {}),
      ...(options?.approvals !== undefined ? { approvals: options.approvals } : {}),
      ...(options?.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
      ...(options?.conflictStrategy !== undefined ? { conflictStrategy: options.conflictStrategy } : {}),
      ...(options?.guards !== undefined ? { guards: options.guards } : {}),
    };
    this.kernel = options?.kernel ?? (governance ? governance.kernel(settings) : new Kernel(settings as KernelOptions));
  }

  get evaluator(): PolicyEvaluator {
    return this.kernel.evaluator;
  }

  get audit(): AuditLog | null {
    return this.kernel.audit;
  }

  /** Whether the policy has anything to say at a stage (adapters skip stages with nothing to decide). */
  decides(stage: Decision['stage']): boolean {
    return this.kernel.decides(stage);
  }

  /**
   * Decides a call before it runs. With `hold`, the outcome is kept under the call's id for the
   * run that follows; a later call with the same id, tool and arguments spends it instead of
   * deciding again. With `ask`, the framework's own approval flag holds a cleared call for a
   * human too (see {@link Kernel.handle}).
   */
  async beforeTool(call: ToolCall, options: HandleOptions = {}): Promise<PreToolOutcome> {
    const action = this.#proven(call);
    return preTool(await this.kernel.handle(action instanceof Promise ? await action : action, undefined, options));
  }

  /** Whether a call was approved by a human and waits for its run, with these very arguments. */
  wasApproved(callId: string, args: unknown, tool?: string): boolean {
    const name = tool ?? this.kernel.held.peek(callId)?.tool;
    return name !== undefined && this.kernel.wasApproved({ tool: name, args, callId });
  }

  /**
   * Takes the refusal held for a call, if its decision was a refusal: for a framework whose
   * guardrail reports a denial before the run (OpenAI Agents), so the run is never reached.
   */
  takeRefusal(callId: string): Refused | undefined {
    const held = this.kernel.held.peek(callId);
    if (!held || held.decision.allowed) return undefined;
    this.kernel.held.take(callId, held.tool);
    return { kind: 'refuse', refusal: refusalOf(held.decision), decision: held.decision };
  }

  /** Refuses the coming run of a tool call whose model answer was refused (see {@link Kernel.withhold}). */
  withhold(callId: string, refusal: Refused): void {
    this.kernel.withhold(callId, refusal.decision);
  }

  /** The pending approval for a call id, if one is waiting. */
  pendingApproval(id: string): PendingApproval | undefined {
    return this.kernel.held.waiting(id);
  }

  /** Records a human's answer to a pending approval (see {@link Kernel.settle}). */
  async settleApproval(id: string, approved: boolean, reason?: string): Promise<ClearedCall | Refused> {
    return preTool(await this.kernel.settle(id, approved, reason)) as ClearedCall | Refused;
  }

  /** Resolves a pending approval with the configured handler (deny without one, or on timeout). */
  async askApprovals(pending: PendingApproval): Promise<ClearedCall | Refused> {
    return preTool(await this.kernel.ask(pending)) as ClearedCall | Refused;
  }

  /** Checks a tool's result (post_tool): a deny withholds it, a transform redacts a copy. */
  async afterTool(cleared: ClearedCall, output: unknown): Promise<PostToolOutcome> {
    const outcome = postTool(await this.kernel.checkOutput(cleared, output));
    return outcome.kind === 'failed' ? refused(outcome.decision) : outcome;
  }

  /**
   * Decides what a cleared tool threw (see {@link Kernel.checkFailure}): the error as the policy
   * lets it through, or a refusal. For adapters whose framework runs the tool.
   */
  async afterToolError(cleared: ClearedCall, thrown: unknown): Promise<ToolError | Refused> {
    const outcome = await this.kernel.checkFailure(cleared, thrown);
    return outcome.kind === 'failed' ? outcome : refused(outcome.decision);
  }

  /**
   * Runs a cleared call's tool for a framework that hands it its own AbortSignal (`signal`):
   * the tool gets one signal that aborts on either the framework's or a kill (see
   * {@link Kernel.runCleared}), and its result or error is decided as by {@link afterTool} and
   * {@link afterToolError}. A killed agent's call is refused (`lifecycle:terminated`).
   */
  async runCleared(cleared: ClearedCall, run: (args: Readonly<Record<string, unknown>>, context: { signal: AbortSignal }) => unknown, signal?: AbortSignal, callId?: string): Promise<CallOutcome> {
    return postTool(await this.kernel.runCleared(cleared, run, signal, callId));
  }

  /** The whole path for an adapter that owns the call: decide, ask, run with the checked copy, check the result. */
  async callTool(call: ToolCall, run: (args: Readonly<Record<string, unknown>>, context: { signal: AbortSignal }) => unknown, signal?: AbortSignal): Promise<CallOutcome> {
    const action = this.#proven(call);
    return postTool(await this.kernel.handle(action instanceof Promise ? await action : action, run, signal ? { signal } : {}));
  }

  /**
   * The call as the kernel takes it, with its proof when a proof source is configured. Without
   * one, or with a synchronous one, no promise hop comes before the kernel copies the arguments.
   */
  #proven(call: ToolCall): Action | Promise<Action> {
    const action = actionOf(call);
    if (this.#proof === undefined) return action;
    const made = proofFor(this.#proof, action.args, action.tool ?? '');
    const withProof = (proof: unknown): Action => (proof === undefined ? action : { ...action, proof });
    return made instanceof Promise ? made.then(withProof) : withProof(made);
  }

  /**
   * Decides text at a content stage. A deny stops it; a transform rewrites it (a redaction of the
   * whole text yields `[REDACTED]`). Without rules for the stage the text passes unrecorded.
   */
  async screen(stage: ContentStage, text: string, context?: Record<string, unknown>): Promise<ContentOutcome> {
    if (!this.kernel.decides(stage)) return { kind: 'pass', text };
    const outcome = await this.kernel.handle({ point: stage, content: text, ...(context ? { context } : {}) });
    if (outcome.kind === 'refused') return refused(outcome.decision);
    if (outcome.kind !== 'output') return refused(outcome.decision);
    return { kind: 'pass', text: typeof outcome.output === 'string' ? outcome.output : JSON.stringify(outcome.output) };
  }
}

function actionOf(call: ToolCall): Parameters<Kernel['handle']>[0] {
  return {
    tool: typeof call.tool === 'string' && call.tool ? call.tool : '(unnamed tool)',
    args: call.args,
    ...(call.callId !== undefined ? { callId: call.callId } : {}),
    ...(call.context !== undefined ? { context: call.context } : {}),
  };
}

function refused(decision: Decision): Refused {
  return { kind: 'refuse', refusal: refusalOf(decision), decision };
}

function preTool(outcome: Outcome): PreToolOutcome {
  if (outcome.kind === 'run' || outcome.kind === 'approval') return outcome;
  return refused(outcome.decision); // 'refused', or an output where a call was expected
}

function postTool(outcome: Outcome): CallOutcome {
  if (outcome.kind === 'output') return { kind: 'output', output: outcome.output };
  if (outcome.kind === 'failed') return outcome;
  return refused(outcome.decision);
}
