/**
 * Governance for Mastra agents (`@mastra/core` 1.x):
 * `governance.tool(options)` is Mastra's `createTool()` with each `execute` decided before it
 * runs (rewritten arguments, redacted result, a denial thrown as the tool's error for the model
 * to read); an input processor screens the user's message (pre_input: a denial is Mastra's
 * tripwire) and each prompt sent to the model (pre_model_call, `processLLMRequest`), and an
 * output processor each model response before its tool calls run (post_model_call,
 * `processOutputStep`) and the answer (pre_output).
 *
 * require_approval: Mastra asks the human only for tools marked `requireApproval` (its tool
 * approval is per tool, not per call). For those, answer the run's `tool-call-approval` chunk
 * with `governance.approveToolCall(agent, chunk)` / `declineToolCall`, which decide the call
 * and record the human's answer before Mastra resumes. A call the policy holds for approval on
 * a tool Mastra does not ask about goes to `options.approvals` (denied without one).
 *
 * @example
 * const governance = mastraGovernance({ policy: 'policy.yaml', audit });
 * const sendEmail = governance.tool({ id: 'send_email', description, inputSchema, requireApproval: true, execute });
 * const agent = new Agent({ name, instructions, model, tools: { sendEmail }, inputProcessors: [governance.inputProcessor], outputProcessors: [governance.outputProcessor] });
 */
import type { InputProcessor, OutputProcessor } from '@mastra/core/processors';
import { createTool } from '@mastra/core/tools';
import { GovernanceDenied, ToolFailed } from '../core/errors.js';
import { ToolCallGovernor, type AdapterOptions, type PreToolOutcome, type Refused } from './tool-call.js';

/** The processors' name in Mastra's traces and tripwires. */
export const PROCESSOR_NAME = 'agent-governance-toolkit';

/** The `tool-call-approval` chunk of a Mastra stream, as far as approvals need it. */
export interface ToolCallApprovalChunk {
  runId: string;
  payload: { toolCallId: string; toolName: string; args: unknown };
}

/**
 * The part of a Mastra `Agent` that resumes a run waiting for approval. `listTools` tells which
 * tool the paused call is: Mastra names it by the key it is registered under, while policies
 * name a tool by its `id`.
 */
export interface ApprovingAgent<RESULT> {
  approveToolCall(options: { runId: string; toolCallId?: string }): Promise<RESULT>;
  declineToolCall(options: { runId: string; toolCallId?: string }): Promise<RESULT>;
  listTools(): Promise<Record<string, unknown>>;
}

/** What {@link mastraGovernance} returns. */
export interface MastraGovernance {
  readonly governor: ToolCallGovernor;
  /** Mastra's `createTool()`, governed: same options, same result type. */
  readonly tool: typeof createTool;
  /**
   * Records a human's approval of a `tool-call-approval` chunk and resumes the run. The call is
   * decided here, before Mastra resumes; what the policy refuses is refused when it runs, with
   * the reason for the model to read.
   */
  approveToolCall<RESULT>(agent: ApprovingAgent<RESULT>, chunk: ToolCallApprovalChunk, reason?: string): Promise<RESULT>;
  /** Records a human's refusal of a `tool-call-approval` chunk and resumes the run without it. */
  declineToolCall<RESULT>(agent: ApprovingAgent<RESULT>, chunk: ToolCallApprovalChunk, reason?: string): Promise<RESULT>;
  /** Screens the user's message before the model sees it (pre_input) and every prompt sent to the model (pre_model_call). */
  readonly inputProcessor: InputProcessor;
  /** Screens each model response before its tool calls run (post_model_call) and the agent's answer (pre_output). */
  readonly outputProcessor: OutputProcessor;
}

type ToolOptions = Parameters<typeof createTool>[0];
type Execute = (input: unknown, context?: { agent?: { toolCallId?: string }; abortSignal?: AbortSignal }) => Promise<unknown>;
type Message = Parameters<NonNullable<InputProcessor['processInput']>>[0]['messages'][number];

/** Governance for Mastra under one policy, audit log and agent. */
export function mastraGovernance(options: AdapterOptions): MastraGovernance {
  const governor = new ToolCallGovernor(options);
  /** The tools made here, each with the id policies name it by. */
  const governed = new WeakMap<object, string>();

  const governedExecute = (toolName: string, execute: Execute): Execute => async (input, context) => {
    const callId = context?.agent?.toolCallId;
    let outcome: PreToolOutcome = await governor.beforeTool({ tool: toolName, args: input, ...(callId ? { callId } : {}) });
    if (outcome.kind === 'approval') outcome = await governor.askApprovals(outcome);
    if (outcome.kind === 'refuse') throw denial(outcome);
    // The tool's abortSignal aborts on Mastra's own or on a kill of the agent.
    const after = await governor.runCleared(outcome, (args, { signal }) => execute(args, { ...context, abortSignal: signal }), context?.abortSignal, callId);
    if (after.kind === 'refuse') throw denial(after);
    // A thrown error is decided like a result: the model reads it as the policy lets it through.
    if (after.kind === 'failed') throw new ToolFailed(after.decision, after.error.name, after.error.message);
    return after.output;
  };

  const governedTool = (toolOptions: ToolOptions) => {
    const execute = toolOptions.execute as Execute | undefined;
    const created = createTool({ ...toolOptions, ...(execute ? { execute: governedExecute(toolOptions.id, execute) } : {}) } as ToolOptions);
    governed.set(created, toolOptions.id);
    return created;
  };

  /**
   * Decides a call Mastra paused for approval, under the tool's id, and records the human's
   * answer (held for its run, which decides under the same id and call id). A tool not made by
   * `governance.tool()` is not governed here, so there is nothing to record.
   */
  const settle = async (agent: ApprovingAgent<unknown>, chunk: ToolCallApprovalChunk, approved: boolean, reason: string | undefined): Promise<void> => {
    const { toolCallId, toolName: key, args } = chunk.payload;
    const tool = (await agent.listTools())[key];
    const toolName = typeof tool === 'object' && tool !== null ? governed.get(tool) : undefined;
    if (toolName === undefined) return;
    // Mastra asked the human because the tool says `requireApproval`: that flag and the policy
    // combine, so the human's answer is recorded even where the policy alone would allow.
    const decided = await governor.beforeTool({ tool: toolName, args, callId: toolCallId }, { hold: true, ask: REQUIRE_APPROVAL_ASKS });
    if (decided.kind === 'approval') await governor.settleApproval(toolCallId, approved, reason);
    if (!approved) governor.takeRefusal(toolCallId); // Mastra does not run a declined call
  };

  return {
    governor,
    tool: governedTool as typeof createTool,
    async approveToolCall(agent, chunk, reason) {
      await settle(agent, chunk, true, reason);
      return agent.approveToolCall({ runId: chunk.runId, toolCallId: chunk.payload.toolCallId });
    },
    async declineToolCall(agent, chunk, reason) {
      await settle(agent, chunk, false, reason);
      return agent.declineToolCall({ runId: chunk.runId, toolCallId: chunk.payload.toolCallId });
    },
    inputProcessor: {
      id: PROCESSOR_NAME,
      name: PROCESSOR_NAME,
      async processInput({ messages, abort }) {
        const last = messages.at(-1);
        if (!last || last.role !== 'user' || !governor.decides('pre_input')) return messages;
        const text = textOf(last);
        const outcome = await governor.screen('pre_input', text);
        if (outcome.kind === 'refuse') return abort(outcome.refusal.message);
        return outcome.text === text ? messages : [...messages.slice(0, -1), withText(last, outcome.text)];
      },
      /**
       * pre_model_call, on every model call of the agent loop: the prompt exactly as it goes to
       * the provider. A deny is Mastra's tripwire, and the model is not called.
       */
      async processLLMRequest({ prompt, abort }) {
        if (!governor.decides('pre_model_call')) return undefined;
        const outcome = await governor.screen('pre_model_call', JSON.stringify(prompt));
        if (outcome.kind === 'refuse') return abort(outcome.refusal.message);
        return undefined;
      },
    },
    outputProcessor: {
      id: PROCESSOR_NAME,
      name: PROCESSOR_NAME,
      /**
       * Streamed text cannot be taken back once sent, so each text block's deltas are held and
       * released, screened, as one delta when the block ends (in place of its end marker).
       */
      /**
       * post_model_call, after each model response and before any of its tool calls run: the
       * answer's text and tool calls. A deny trips Mastra's tripwire (`result.tripwire`), and the
       * answer's calls to governed tools are refused without running. Mastra 1.71 still leaves
       * the step's text in `result.text` (text already streamed is not taken back), and after
       * refused tool calls it goes on with the refusals as their results.
       */
      async processOutputStep({ messages, text, toolCalls, abort }) {
        if (!governor.decides('post_model_call')) return messages;
        const answer = { text: text ?? '', toolCalls: (toolCalls ?? []).map(({ toolName, toolCallId, args }) => ({ toolName, toolCallId, args })) };
        const outcome = await governor.screen('post_model_call', JSON.stringify(answer));
        if (outcome.kind === 'refuse') {
          // Mastra 1.x still runs the tool calls of a step whose processOutputStep tripped (the
          // tripwire only ends the loop): the kernel refuses their runs in advance.
          for (const toolCall of answer.toolCalls) governor.withhold(toolCall.toolCallId, outcome);
          return abort(outcome.refusal.message);
        }
        return messages;
      },
      async processOutputStream({ part, state, abort }) {
        if (!governor.decides('pre_output')) return part;
        const held = (state.governanceText ??= {}) as Record<string, string>;
        if (part.type === 'text-delta') {
          held[part.payload.id] = (held[part.payload.id] ?? '') + part.payload.text;
          return null;
        }
        if (part.type !== 'text-end') return part;
        const text = held[part.payload.id] ?? '';
        delete held[part.payload.id];
        if (!text) return part;
        const outcome = await governor.screen('pre_output', text);
        if (outcome.kind === 'refuse') return abort(outcome.refusal.message);
        return { type: 'text-delta', runId: part.runId, from: part.from, payload: { id: part.payload.id, text: outcome.text } };
      },
    },
  };
}

/** The reason recorded when a tool's own `requireApproval` holds a call the policy lets through. */
const REQUIRE_APPROVAL_ASKS = "requires approval: the tool's requireApproval asks a human";

function denial(outcome: Refused): GovernanceDenied {
  return new GovernanceDenied(outcome.decision, outcome.refusal.message);
}

function textOf(message: Message): string {
  const parts = message.content.parts.flatMap((part) => (part.type === 'text' ? [part.text] : []));
  return parts.length > 0 ? parts.join('\n') : typeof message.content.content === 'string' ? message.content.content : '';
}

/** The message with its text replaced by `text` (other parts kept). */
function withText(message: Message, text: string): Message {
  const others = message.content.parts.filter((part) => part.type !== 'text');
  return { ...message, content: { ...message.content, parts: [{ type: 'text', text }, ...others], content: text } };
}
export { mastraHandoffTool } from './mastra-handoff.js';
export type { MastraHandoffToolOptions, RefusedHandoffResult } from './mastra-handoff.js';
export { gatedSubAgent } from './mastra-network-handoff.js';
export type { GatedSubAgentOptions } from './mastra-network-handoff.js';
