/**
 * Governance for the Vercel AI SDK (`ai`, v7): governed tools (each `execute` decided before it
 * runs, its result checked after), the SDK's own tool-approval flow for require_approval
 * (`needsApproval` and `tool-approval-request` / `tool-approval-response` parts), and a
 * `wrapLanguageModel` middleware that screens the user's input (pre_input) and the model's text
 * (pre_output).
 *
 * @example
 * const governance = aiSdkGovernance({ policy: 'policy.yaml', audit });
 * const result = await generateText({
 *   model: wrapLanguageModel({ model, middleware: governance.middleware }),
 *   tools: governance.tools({ search, sendEmail }), prompt, stopWhen: stepCountIs(5),
 * });
 */
import type { LanguageModelMiddleware, Tool, ToolApprovalResponse, ToolSet } from 'ai';
import { GovernanceDenied, ToolFailed } from '../core/errors.js';
import { ToolCallGovernor, type AdapterOptions, type PreToolOutcome, type Refused, type ToolError } from './tool-call.js';

type GenerateResult = Awaited<ReturnType<NonNullable<LanguageModelMiddleware['wrapGenerate']>>>;
type ContentPart = GenerateResult['content'][number];
/** The SDK's `needsApproval` function type (not exported by name in v7). */
export type ToolNeedsApprovalFunction<INPUT> = Exclude<NonNullable<Tool<INPUT, unknown>['needsApproval']>, boolean>;
type CallOptions = Parameters<NonNullable<LanguageModelMiddleware['transformParams']>>[0]['params'];
type StreamPart = Awaited<ReturnType<NonNullable<LanguageModelMiddleware['wrapStream']>>>['stream'] extends ReadableStream<infer P> ? P : never;

/** The part of a `tool-approval-request` that {@link AiSdkGovernance.respond} needs. */
export interface ApprovalRequestPart {
  approvalId: string;
  toolCall: { toolCallId: string; toolName: string };
}

/** What {@link aiSdkGovernance} returns: tools, approvals and a model middleware under one policy. */
export interface AiSdkGovernance {
  readonly governor: ToolCallGovernor;
  /**
   * Governed copies of a tools record: each `execute` runs only when the policy clears the call
   * (with transformed arguments), and its result passes post_tool checks. A denial is thrown as
   * {@link GovernanceDenied}, which the SDK hands to the model as the tool's error text.
   * `needsApproval` combines the policy's ({@link toolApproval}) with the tool's own: either
   * asks a human (a policy deny is never turned into a question).
   */
  tools<TOOLS extends ToolSet>(tools: TOOLS): TOOLS;
  /**
   * A `needsApproval` function for one tool: decides the call (held for its `execute`) and
   * answers true when the policy says require_approval, or when it clears the call and the
   * tool's own `needsApproval` (the second argument, as given to `tool()`) asks.
   */
  toolApproval(toolName: string, own?: Tool<unknown, unknown>['needsApproval']): ToolNeedsApprovalFunction<unknown>;
  /**
   * Records a human's answer to a `tool-approval-request` and returns the
   * `tool-approval-response` part to send back in a `tool` message. Approved, the call runs
   * with exactly the arguments that were checked; the returned part says `approved: false`
   * if governance could not clear it after all.
   */
  respond(request: ApprovalRequestPart, approved: boolean, reason?: string): Promise<ToolApprovalResponse>;
  /** Screens the prompt's new user message (pre_input) and the model's text (pre_output). */
  readonly middleware: LanguageModelMiddleware;
}

/** Governance for the AI SDK under one policy, audit log and agent. */
export function aiSdkGovernance(options: AdapterOptions): AiSdkGovernance {
  const governor = new ToolCallGovernor(options);

  const toolApproval = (toolName: string, own?: Tool<unknown, unknown>['needsApproval']): ToolNeedsApprovalFunction<unknown> => async (input, approvalOptions) => {
    const { toolCallId } = approvalOptions;
    // The SDK asks again before it runs an approved call; the answer must stay yes, and a call
    // already waiting for a human is not decided twice.
    if (governor.wasApproved(toolCallId, input, toolName) || governor.pendingApproval(toolCallId)) return true;
    // The developer's own check and the policy combine: either asks for a human.
    const asks = await ownCheckAsks(own, input, approvalOptions);
    const outcome = await governor.beforeTool({ tool: toolName, args: input, callId: toolCallId }, { hold: true, ...(asks ? { ask: OWN_CHECK_ASKS } : {}) });
    return outcome.kind === 'approval';
  };

  const governedExecute = (toolName: string, execute: (input: never, options: never) => unknown) => async (input: unknown, options: { toolCallId: string; abortSignal?: AbortSignal }) => {
    const callId = options.toolCallId;
    // Still pending means the SDK was told "approved" by someone other than respond().
    let outcome: PreToolOutcome = governor.pendingApproval(callId)
      ? await governor.settleApproval(callId, false, NOT_RECORDED)
      : await governor.beforeTool({ tool: toolName, args: input, callId });
    if (outcome.kind === 'approval') outcome = await governor.settleApproval(outcome.id, false, NOT_RECORDED);
    if (outcome.kind === 'refuse') throw denial(outcome);
    // The tool's abortSignal aborts on the SDK's own (the caller cancelled) or on a kill.
    const after = await governor.runCleared(outcome, (args, { signal }) => execute(args as never, { ...options, abortSignal: signal } as never), options.abortSignal, callId);
    if (after.kind === 'refuse') throw denial(after);
    if (after.kind === 'failed') throw toolError(after); // decided like a result
    return after.output;
  };

  return {
    governor,
    toolApproval,
    tools<TOOLS extends ToolSet>(tools: TOOLS): TOOLS {
      const governed: Record<string, unknown> = {};
      for (const [name, tool] of Object.entries(tools)) {
        const execute = tool.execute as ((input: never, options: never) => unknown) | undefined;
        governed[name] = { ...tool, needsApproval: toolApproval(name, tool.needsApproval as Tool<unknown, unknown>['needsApproval']), ...(execute ? { execute: governedExecute(name, execute) } : {}) };
      }
      return governed as TOOLS;
    },
    async respond(request, approved, reason) {
      const outcome = await governor.settleApproval(request.toolCall.toolCallId, approved, reason);
      governor.takeRefusal(request.toolCall.toolCallId); // the SDK never runs a rejected call
      const cleared = outcome.kind === 'run';
      return { type: 'tool-approval-response', approvalId: request.approvalId, approved: cleared, ...(cleared ? (reason ? { reason } : {}) : { reason: outcome.refusal.message }) };
    },
    middleware: contentMiddleware(governor),
  };
}

const NOT_RECORDED = 'requires approval, and no approval was recorded through governance for this call';

/** The reason recorded when a tool's own `needsApproval` holds a call the policy lets through. */
const OWN_CHECK_ASKS = "requires approval: the tool's own needsApproval asks a human";

type OwnCheck = Tool<unknown, unknown>['needsApproval'];

/** Whether the tool's own `needsApproval` asks; one that throws asks (a failing check never skips the human). */
async function ownCheckAsks(own: OwnCheck, input: unknown, options: Parameters<ToolNeedsApprovalFunction<unknown>>[1]): Promise<boolean> {
  if (own === true) return true;
  if (typeof own !== 'function') return false;
  try {
    return Boolean(await own(input, options));
  } catch {
    return true;
  }
}

/** What the caller is thrown when the tool threw: its error as the policy let it through, or the refusal. */
function toolError(outcome: ToolError | Refused): GovernanceDenied | ToolFailed {
  return outcome.kind === 'refuse' ? denial(outcome) : new ToolFailed(outcome.decision, outcome.error.name, outcome.error.message);
}

function denial(outcome: Refused): GovernanceDenied {
  return new GovernanceDenied(outcome.decision, outcome.refusal.message);
}

/**
 * pre_input on a new user message, pre_model_call on every prompt sent to the model (a deny
 * throws before the model is called), post_model_call on each generated answer (a deny throws
 * before any of its tool calls run; not on streams, whose parts are already on their way), and
 * pre_output on each block of generated text.
 */
function contentMiddleware(governor: ToolCallGovernor): LanguageModelMiddleware {
  return {
    specificationVersion: 'v3',
    async transformParams({ params }) {
      const screened = governor.decides('pre_input') ? await screenPrompt(governor, params) : params;
      if (governor.decides('pre_model_call')) {
        // Every model call, tool loop steps included: the whole prompt as the model will read it.
        const outcome = await governor.screen('pre_model_call', JSON.stringify(screened.prompt));
        if (outcome.kind === 'refuse') throw denial(outcome);
      }
      return screened;
    },
    async wrapGenerate({ doGenerate }) {
      const result = await doGenerate();
      if (governor.decides('post_model_call')) {
        // The model's whole answer, tool calls included, before anything acts on it.
        const outcome = await governor.screen('post_model_call', JSON.stringify(result.content));
        if (outcome.kind === 'refuse') throw denial(outcome);
      }
      if (!governor.decides('pre_output')) return result;
      return { ...result, content: await screenContent(governor, result.content) };
    },
    async wrapStream({ doStream }) {
      const result = await doStream();
      if (!governor.decides('pre_output')) return result;
      return { ...result, stream: result.stream.pipeThrough(screenTextBlocks(governor)) };
    },
  };
}

/**
 * Screens the user's new message: only when the prompt ends with one, since every later step of
 * a tool loop re-sends the same conversation (tool results are checked at post_tool instead).
 * A deny throws before the model is called; a transform rewrites the message's text.
 */
async function screenPrompt(governor: ToolCallGovernor, params: CallOptions): Promise<CallOptions> {
  const last = params.prompt.at(-1);
  if (!last || last.role !== 'user') return params;
  const text = last.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
  const outcome = await governor.screen('pre_input', text);
  if (outcome.kind === 'refuse') throw denial(outcome);
  if (outcome.text === text) return params;
  const others = last.content.filter((part) => part.type !== 'text');
  return { ...params, prompt: [...params.prompt.slice(0, -1), { ...last, content: [{ type: 'text', text: outcome.text }, ...others] }] };
}

/** The model's text parts, screened as one answer; a refusal replaces them with its message. */
async function screenContent(governor: ToolCallGovernor, content: GenerateResult['content']): Promise<GenerateResult['content']> {
  const texts = content.flatMap((part) => (part.type === 'text' ? [part.text] : []));
  if (texts.length === 0) return content;
  const text = texts.join('');
  const outcome = await governor.screen('pre_output', text);
  const screened = outcome.kind === 'refuse' ? outcome.refusal.message : outcome.text;
  if (screened === text) return content;
  const first = content.findIndex((part) => part.type === 'text');
  return content.flatMap((part, i): ContentPart[] => (part.type !== 'text' ? [part] : i === first ? [{ ...part, text: screened }] : []));
}

/**
 * Streamed text cannot be taken back once sent, so each text block is held until it ends,
 * screened, and released as one delta. Everything else streams through untouched.
 */
function screenTextBlocks(governor: ToolCallGovernor): TransformStream<StreamPart, StreamPart> {
  const blocks = new Map<string, string>();
  return new TransformStream<StreamPart, StreamPart>({
    async transform(part, controller) {
      if (part.type === 'text-start') {
        blocks.set(part.id, '');
        controller.enqueue(part);
      } else if (part.type === 'text-delta' && blocks.has(part.id)) {
        blocks.set(part.id, (blocks.get(part.id) ?? '') + part.delta);
      } else if (part.type === 'text-end' && blocks.has(part.id)) {
        const text = blocks.get(part.id) ?? '';
        blocks.delete(part.id);
        const outcome = await governor.screen('pre_output', text);
        const screened = outcome.kind === 'refuse' ? outcome.refusal.message : outcome.text;
        if (screened) controller.enqueue({ type: 'text-delta', id: part.id, delta: screened });
        controller.enqueue(part);
      } else {
        controller.enqueue(part);
      }
    },
  });
}
