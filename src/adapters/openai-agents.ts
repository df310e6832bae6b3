/**
 * Governance for the OpenAI Agents SDK (`@openai/agents`): `governance.tool(options)` is the
 * SDK's `tool()` with the policy attached in the SDK's own terms. `needsApproval` is the
 * policy's require_approval, answered through the run's interruptions
 * (`governance.approve(state, item)` / `governance.reject(...)`, which record the human's answer
 * and call `state.approve` / `state.reject`); a tool input guardrail turns a denial into the
 * refusal the model reads; `execute` runs with the policy's rewritten arguments; a tool output
 * guardrail withholds a result the policy denies, and a redaction reaches the model redacted.
 * `governance.model(model)` decides the model-call points (pre_model_call, post_model_call).
 *
 * @example
 * const governance = openAiAgentsGovernance({ policy: 'policy.yaml', audit });
 * const search = governance.tool({ name: 'search', description, parameters, execute });
 * const result = await run(new Agent({ name: 'support', tools: [search] }), 'find invoices');
 * for (const item of result.interruptions) await governance.approve(result.state, item);
 */
import {
  defineToolInputGuardrail,
  defineToolOutputGuardrail,
  tool,
  ToolGuardrailFunctionOutputFactory,
  type InputGuardrail,
  type Model,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  type OutputGuardrail,
  type StreamEvent,
  type RunState,
  type RunToolApprovalItem,
  type ToolInputGuardrailDefinition,
  type ToolOutputGuardrailDefinition,
} from '@openai/agents';
import { GovernanceDenied } from '../core/errors.js';
import { ToolCallGovernor, type AdapterOptions, type PreToolOutcome, type Refusal } from './tool-call.js';

/** The guardrails' name in the SDK's traces and results. */
export const GUARDRAIL_NAME = 'agent-governance-toolkit';

/** What {@link openAiAgentsGovernance} returns: governed tools and the approval answers. */
export interface OpenAiAgentsGovernance {
  readonly governor: ToolCallGovernor;
  /** The SDK's `tool()`, governed: same options, same result type. */
  readonly tool: typeof tool;
  /**
   * Approves an interruption: records the approval, then `state.approve(item)`. If governance
   * cannot clear the call after all, it rejects instead; the result says which.
   */
  approve(state: RunStateLike, item: RunToolApprovalItem, reason?: string): Promise<boolean>;
  /** Rejects an interruption: records the denial, then `state.reject(item, { message })`. */
  reject(state: RunStateLike, item: RunToolApprovalItem, reason?: string): Promise<void>;
  /** The input guardrail every governed tool carries (reports pre-tool denials). */
  readonly inputGuardrail: ToolInputGuardrailDefinition;
  /** The output guardrail every governed tool carries (reports post-tool denials). */
  readonly outputGuardrail: ToolOutputGuardrailDefinition;
  /**
   * An agent input guardrail (`new Agent({ inputGuardrails: [...] })`) screening the user's
   * message (pre_input) before the model is called. SDK guardrails can only stop a run, not
   * rewrite it, so a policy that would rewrite the input stops it too (fail closed).
   */
  readonly agentInputGuardrail: InputGuardrail;
  /** An agent output guardrail screening the final answer (pre_output); a rewrite stops it too. */
  readonly agentOutputGuardrail: OutputGuardrail;
  /**
   * The model-call points, around a `Model` (`new Agent({ model: governance.model(model) })`):
   * pre_model_call decides each request (system instructions and input) before the model is
   * called, post_model_call each response before the run acts on it (its tool calls included).
   * A deny throws {@link GovernanceDenied} from the model call, which ends the run: the SDK has
   * no way to answer a model call with a refusal instead. A streamed response is held until it
   * is complete when the policy has post_model_call rules. Only when the policy has rules for
   * those stages; otherwise the model is called as is.
   */
  model(model: Model): Model;
  /** {@link model} for every model a provider gives (`new Runner({ modelProvider })`), for agents that name their model. */
  modelProvider(provider: ModelProvider): ModelProvider;
}

/** The part of a `RunState` approvals need. */
export type RunStateLike = Pick<RunState<unknown, never>, 'approve' | 'reject'>;

type ToolOptions = Parameters<typeof tool>[0];
type OwnApproval = (runContext: unknown, input: unknown, callId?: string) => Promise<boolean> | boolean;
type Execute = (input: unknown, runContext?: unknown, details?: { toolCall?: { callId?: string }; signal?: AbortSignal }) => unknown;

const NOT_RECORDED = 'requires approval, and no approval was recorded through governance for this call';

/**
 * Withheld results kept for the output guardrail at most, like the governor's own holds. The
 * oldest goes when full; that is safe: the tool already answered with the refusal, so the model
 * never reads the withheld result, and only the guardrail's report of it is lost.
 */
export const MAX_WITHHELD = 10_000;

/** Governance for the OpenAI Agents SDK under one policy, audit log and agent. */
export function openAiAgentsGovernance(options: AdapterOptions): OpenAiAgentsGovernance {
  const governor = new ToolCallGovernor(options);
  /** Results the policy withheld after the run, for the output guardrail to report. */
  const withheld = new Map<string, Refusal>();

  const inputGuardrail = defineToolInputGuardrail({
    name: GUARDRAIL_NAME,
    run: async ({ toolCall }) => {
      const refused = governor.takeRefusal(toolCall.callId);
      return refused ? ToolGuardrailFunctionOutputFactory.rejectContent(refused.refusal.message, refused.refusal) : ToolGuardrailFunctionOutputFactory.allow();
    },
  });
  const outputGuardrail = defineToolOutputGuardrail({
    name: GUARDRAIL_NAME,
    run: async ({ toolCall }) => {
      const refusal = withheld.get(toolCall.callId);
      withheld.delete(toolCall.callId);
      return refusal ? ToolGuardrailFunctionOutputFactory.rejectContent(refusal.message, refusal) : ToolGuardrailFunctionOutputFactory.allow();
    },
  });

  /** The policy's require_approval, or the tool's own `needsApproval` when the policy clears the call: either asks. */
  const needsApproval = (toolName: string, own: ToolOptions['needsApproval']) => async (runContext: unknown, input: unknown, callId?: string) => {
    if (callId !== undefined && governor.pendingApproval(callId)) return true;
    const asks = await ownCheckAsks(own, runContext, input, callId);
    // Without a call id there is nothing to tie the human's answer to: ask, and the run refuses.
    if (asks && callId === undefined) return true;
    const call = { tool: toolName, args: input, ...(callId !== undefined ? { callId } : {}) };
    const outcome = await governor.beforeTool(call, { hold: true, ...(asks ? { ask: OWN_CHECK_ASKS } : {}) });
    return outcome.kind === 'approval';
  };

  const governedExecute = (toolName: string, execute: Execute): Execute => async (input, runContext, details) => {
    const callId = details?.toolCall?.callId;
    // Still pending means the run was resumed with an approval given around governance.
    let outcome: PreToolOutcome =
      callId !== undefined && governor.pendingApproval(callId)
        ? await governor.settleApproval(callId, false, NOT_RECORDED)
        : await governor.beforeTool({ tool: toolName, args: input, ...(callId !== undefined ? { callId } : {}) });
    if (outcome.kind === 'approval') outcome = await governor.settleApproval(outcome.id, false, NOT_RECORDED);
    // Reached only when the input guardrail was bypassed: the model still reads the refusal.
    if (outcome.kind === 'refuse') return outcome.refusal.message;
    // The tool's `details.signal` aborts on the SDK's own or on a kill of the agent.
    const after = await governor.runCleared(outcome, (args, { signal }) => execute(args, runContext, { ...details, signal }), details?.signal, callId);
    if (after.kind === 'output') return after.output;
    // A thrown error is decided like a result: the model reads it as the policy lets it through.
    if (after.kind === 'failed') return `${after.error.name}: ${after.error.message}`;
    if (callId !== undefined) remember(withheld, callId, after.refusal);
    return after.refusal.message; // never the withheld result, guardrail or not
  };

  const governedTool = (toolOptions: ToolOptions) => {
    const name = tool(toolOptions).name; // the SDK's own normalization of the name
    return tool({
      ...toolOptions,
      execute: governedExecute(name, toolOptions.execute as Execute),
      needsApproval: needsApproval(name, toolOptions.needsApproval),
      inputGuardrails: [inputGuardrail, ...(toolOptions.inputGuardrails ?? [])],
      outputGuardrails: [outputGuardrail, ...(toolOptions.outputGuardrails ?? [])],
    } as ToolOptions);
  };

  /** Guardrails can only trip: a deny trips with its refusal, and so does a rewrite that cannot be made. */
  const screen = async (stage: 'pre_input' | 'pre_output', text: string) => {
    const outcome = await governor.screen(stage, text);
    if (outcome.kind === 'refuse') return { tripwireTriggered: true, outputInfo: outcome.refusal };
    if (outcome.text === text) return { tripwireTriggered: false, outputInfo: null };
    return { tripwireTriggered: true, outputInfo: { denied: true, message: `the policy rewrites this ${stage === 'pre_input' ? 'input' : 'answer'}, which an SDK guardrail cannot do, so it is stopped` } };
  };

  const screenRequest = async (request: ModelRequest): Promise<void> => {
    if (!governor.decides('pre_model_call')) return;
    const sent = { ...(request.systemInstructions ? { systemInstructions: request.systemInstructions } : {}), input: request.input };
    const outcome = await governor.screen('pre_model_call', JSON.stringify(sent));
    if (outcome.kind === 'refuse') throw new GovernanceDenied(outcome.decision, outcome.refusal.message);
  };
  const screenResponse = async (output: ModelResponse['output']): Promise<void> => {
    const outcome = await governor.screen('post_model_call', JSON.stringify(output));
    if (outcome.kind === 'refuse') throw new GovernanceDenied(outcome.decision, outcome.refusal.message);
  };
  const governedModel = (inner: Model): Model => ({
    ...(inner.supportsPromptModelSelection !== undefined ? { supportsPromptModelSelection: inner.supportsPromptModelSelection } : {}),
    async getResponse(request) {
      await screenRequest(request);
      const response = await inner.getResponse(request);
      if (governor.decides('post_model_call')) await screenResponse(response.output);
      return response;
    },
    async *getStreamedResponse(request) {
      await screenRequest(request);
      if (!governor.decides('post_model_call')) {
        yield* inner.getStreamedResponse(request);
        return;
      }
      // Nothing of the answer goes out before the whole of it is decided.
      const held: StreamEvent[] = [];
      for await (const event of inner.getStreamedResponse(request)) {
        held.push(event);
        if (event.type === 'response_done') await screenResponse(event.response.output as ModelResponse['output']);
      }
      yield* held;
    },
    ...(inner.getRetryAdvice ? { getRetryAdvice: inner.getRetryAdvice.bind(inner) } : {}),
  });

  return {
    governor,
    model: governedModel,
    modelProvider: (provider) => ({ getModel: async (name) => governedModel(await provider.getModel(name)) }),
    tool: governedTool as typeof tool,
    inputGuardrail,
    outputGuardrail,
    agentInputGuardrail: {
      name: GUARDRAIL_NAME,
      runInParallel: false, // decide before the model sees the input
      execute: async ({ input }) => screen('pre_input', lastUserText(input)),
    },
    agentOutputGuardrail: {
      name: GUARDRAIL_NAME,
      execute: async ({ agentOutput }) => screen('pre_output', typeof agentOutput === 'string' ? agentOutput : JSON.stringify(agentOutput)),
    },
    async approve(state, item, reason) {
      const outcome = await governor.settleApproval(callIdOf(item), true, reason);
      if (outcome.kind === 'run') state.approve(item);
      else {
        governor.takeRefusal(callIdOf(item));
        state.reject(item, { message: outcome.refusal.message });
      }
      return outcome.kind === 'run';
    },
    async reject(state, item, reason) {
      const outcome = await governor.settleApproval(callIdOf(item), false, reason);
      governor.takeRefusal(callIdOf(item)); // the SDK never runs a rejected call
      state.reject(item, { message: outcome.kind === 'refuse' ? outcome.refusal.message : (reason ?? 'rejected') });
    },
  };
}

/** The reason recorded when a tool's own `needsApproval` holds a call the policy lets through. */
const OWN_CHECK_ASKS = "requires approval: the tool's own needsApproval asks a human";

/** Whether the tool's own `needsApproval` asks; one that throws asks (a failing check never skips the human). */
async function ownCheckAsks(own: ToolOptions['needsApproval'], runContext: unknown, input: unknown, callId: string | undefined): Promise<boolean> {
  if (own === true) return true;
  if (typeof own !== 'function') return false;
  try {
    return Boolean(await (own as OwnApproval)(runContext, input, callId));
  } catch {
    return true;
  }
}

/** Sets a bounded map's entry; the oldest goes when full. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  if (map.size >= MAX_WITHHELD) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

/** The text of the newest user message in a run's input (a string, or the SDK's items). */
function lastUserText(input: string | readonly unknown[]): string {
  if (typeof input === 'string') return input;
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] as { role?: unknown; content?: unknown };
    if (item?.role !== 'user') continue;
    if (typeof item.content === 'string') return item.content;
    if (Array.isArray(item.content)) return item.content.flatMap((part: { text?: unknown }) => (typeof part?.text === 'string' ? [part.text] : [])).join('\n');
    return '';
  }
  return '';
}

function callIdOf(item: RunToolApprovalItem): string {
  const raw = item.rawItem as { callId?: unknown; id?: unknown };
  return typeof raw.callId === 'string' ? raw.callId : typeof raw.id === 'string' ? raw.id : '';
}
export { gatedHandoff } from './openai-agents-handoff.js';
export type { GatedHandoffOptions } from './openai-agents-handoff.js';
