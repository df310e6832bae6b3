/**
 * Governance for LangChain.js v1 agents (`langchain`'s `createAgent`): one `createMiddleware`
 * middleware. `beforeModel` screens a new user message (pre_input; a denial ends the run with
 * the refusal as the agent's answer), `afterModel` decides the model's tool calls and asks a
 * human about require_approval through the same interrupt the human-in-the-loop middleware
 * uses (an `HITLRequest`, resumed with `new Command({ resume: { decisions } })`), and screens a
 * final answer (pre_output). `wrapModelCall` decides what goes to the model (pre_model_call) and
 * what comes back (post_model_call), when the policy has rules for them. `wrapToolCall` runs a cleared call with its rewritten arguments,
 * answers a refused one with an error `ToolMessage` the model reads, and redacts the result.
 *
 * @example
 * const agent = createAgent({ model, tools, checkpointer, middleware: [langchainGovernance({ policy: 'policy.yaml', audit })] });
 */
import { AIMessage, createMiddleware, HumanMessage, ToolMessage, type BaseMessage, type HITLRequest, type HITLResponse } from 'langchain';
import { ToolCallGovernor, type AdapterOptions, type PendingApproval, type PreToolOutcome, type Refusal } from './tool-call.js';

/** The middleware's name in the agent's graph. */
export const MIDDLEWARE_NAME = 'AgentGovernanceToolkit';

const NOT_ASKED = 'requires approval, and no approval was recorded through governance for this call';

type Middleware = ReturnType<typeof createMiddleware>;

/** A governance middleware for `createAgent`, with the governor behind it. */
export type LangchainGovernance = Middleware & { readonly governor: ToolCallGovernor };

/**
 * The governance middleware. require_approval needs the agent to have a checkpointer (as the
 * human-in-the-loop middleware does); without one there is no way to ask, and the call is denied.
 * Tool results are decided as their content: JSON text is parsed, so `redact: [ssn]` reaches a
 * field of a tool that returned an object.
 */
export function langchainGovernance(options: AdapterOptions): LangchainGovernance {
  const governor = new ToolCallGovernor(options);
  const middleware = createMiddleware({
    name: MIDDLEWARE_NAME,
    beforeModel: {
      canJumpTo: ['end'],
      hook: async (state) => {
        // Only a new user turn: later model calls in a tool loop re-send the same conversation.
        const last = state.messages.at(-1);
        if (!last || !HumanMessage.isInstance(last) || !governor.decides('pre_input')) return undefined;
        const outcome = await governor.screen('pre_input', last.text);
        if (outcome.kind === 'refuse') return { messages: [refusalAnswer(outcome.refusal)], jumpTo: 'end' as const };
        if (outcome.text === last.text) return undefined;
        return { messages: [new HumanMessage({ ...(last.id ? { id: last.id } : {}), content: outcome.text })] };
      },
    },
    /**
     * The model-call points, around the call itself (after every beforeModel hook, so what is
     * screened is what the model reads, system message included). A pre_model_call deny answers
     * with the refusal instead of calling the model; a post_model_call deny replaces the model's
     * answer, tool calls included, with the refusal. Either way the turn has no tool calls left,
     * so the run ends with the refusal as its answer.
     */
    wrapModelCall: async (request, handler) => {
      if (governor.decides('pre_model_call')) {
        const sent = [...(request.systemMessage && request.systemMessage.text ? [request.systemMessage] : []), ...request.messages];
        const outcome = await governor.screen('pre_model_call', JSON.stringify(sent.map(plainMessage)));
        if (outcome.kind === 'refuse') return refusalAnswer(outcome.refusal);
      }
      const answer = await handler(request);
      if (!governor.decides('post_model_call')) return answer;
      const outcome = await governor.screen('post_model_call', JSON.stringify(plainMessage(answer)));
      return outcome.kind === 'refuse' ? refusalAnswer(outcome.refusal, answer.id) : answer;
    },
    afterModel: async (state, runtime) => {
      const last = state.messages.at(-1);
      if (!last || !AIMessage.isInstance(last)) return undefined;
      const toolCalls = last.tool_calls ?? [];
      if (toolCalls.length > 0) {
        await decideToolCalls(governor, toolCalls, runtime.interrupt);
        return undefined;
      }
      if (!governor.decides('pre_output')) return undefined;
      const outcome = await governor.screen('pre_output', last.text);
      const text = outcome.kind === 'refuse' ? outcome.refusal.message : outcome.text;
      if (text === last.text) return undefined;
      return { messages: [new AIMessage({ ...(last.id ? { id: last.id } : {}), content: text })] };
    },
    wrapToolCall: async (request, handler) => {
      const { toolCall } = request;
      const callId = toolCall.id;
      const call = { tool: toolCall.name, args: toolCall.args, ...(callId ? { callId } : {}) };
      let outcome: PreToolOutcome = callId && governor.pendingApproval(callId) ? await governor.settleApproval(callId, false, NOT_ASKED) : await governor.beforeTool(call);
      if (outcome.kind === 'approval') outcome = await governor.settleApproval(outcome.id, false, NOT_ASKED);
      if (outcome.kind === 'refuse') return refusalMessage(outcome.refusal, toolCall.name, callId);
      let result: Awaited<ReturnType<typeof handler>>;
      try {
        result = await handler({ ...request, toolCall: { ...toolCall, args: outcome.args } });
      } catch (thrown) {
        // Decided like a result: the model reads the error as the policy lets it through.
        const failed = await governor.afterToolError(outcome, thrown);
        if (failed.kind === 'refuse') return refusalMessage(failed.refusal, toolCall.name, callId);
        return new ToolMessage({ content: `${failed.error.name}: ${failed.error.message}`, tool_call_id: callId ?? '', name: toolCall.name, status: 'error' });
      }
      if (!governor.decides('post_tool')) return result;
      if (!ToolMessage.isInstance(result)) {
        // A Command (a state update) is not data the policy can read: it is decided as such, and denied.
        const after = await governor.afterTool(outcome, result);
        return after.kind === 'refuse' ? refusalMessage(after.refusal, toolCall.name, callId) : result;
      }
      const content = readContent(result.content);
      const after = await governor.afterTool(outcome, content.value);
      if (after.kind === 'refuse') return refusalMessage(after.refusal, toolCall.name, callId);
      if (after.output === content.value) return result;
      return new ToolMessage({ ...(result.id ? { id: result.id } : {}), content: content.write(after.output), tool_call_id: result.tool_call_id, name: result.name ?? toolCall.name, status: result.status ?? 'success' });
    },
  });
  return Object.assign(middleware, { governor });
}

type ToolCalls = NonNullable<AIMessage['tool_calls']>;

/** The refusal as the agent's answer (in place of the model answer `replaces`, when given). */
function refusalAnswer(refusal: Refusal, replaces?: string): AIMessage {
  return new AIMessage({ ...(replaces ? { id: replaces } : {}), content: refusal.message, additional_kwargs: { refusal: { ...refusal } } });
}

/** A message as the model-call points read it: its role, content and any tool calls. */
function plainMessage(message: BaseMessage): { role: string; content: BaseMessage['content']; tool_calls?: ToolCalls } {
  const toolCalls = AIMessage.isInstance(message) ? message.tool_calls : undefined;
  return { role: message.type, content: message.content, ...(toolCalls?.length ? { tool_calls: toolCalls } : {}) };
}

/**
 * Decides every tool call of a model turn before any runs, holding each outcome for its run;
 * the ones that need approval are asked about in one interrupt. On resume the node runs again:
 * held and pending calls are not decided twice, and the interrupt returns the human's answers.
 */
async function decideToolCalls(governor: ToolCallGovernor, toolCalls: ToolCalls, interrupt: ((value: unknown) => unknown) | undefined): Promise<void> {
  const awaiting: PendingApproval[] = [];
  for (const toolCall of toolCalls) {
    if (!toolCall.id) continue; // decided when it runs, without a hold
    const pending = governor.pendingApproval(toolCall.id);
    if (pending) {
      awaiting.push(pending);
      continue;
    }
    // LangGraph runs this node again when a run resumes from the approval interrupt: asking with
    // `hold` about a call already decided finds the held outcome and keeps it (no second decision,
    // audit entry or rate-limit count).
    const outcome = await governor.beforeTool({ tool: toolCall.name, args: toolCall.args, callId: toolCall.id }, { hold: true });
    if (outcome.kind === 'approval') awaiting.push(outcome);
  }
  if (awaiting.length === 0) return;
  if (!interrupt) {
    for (const pending of awaiting) await governor.settleApproval(pending.id, false, 'requires approval, but the agent cannot be interrupted to ask (no interrupt in the runtime)');
    return;
  }
  const request: HITLRequest = {
    actionRequests: awaiting.map((pending) => ({ name: pending.tool, args: pending.args, description: approvalDescription(pending) })),
    reviewConfigs: awaiting.map((pending) => ({ actionName: pending.tool, allowedDecisions: ['approve', 'reject'] })),
  };
  let response: Partial<HITLResponse> | undefined;
  try {
    // Throws LangGraph's interrupt the first time; that must propagate, so only a missing
    // checkpointer (LangGraph's GraphValueError: there is nowhere to pause) is caught.
    response = interrupt(request) as Partial<HITLResponse> | undefined;
  } catch (error) {
    if ((error as Error)?.name !== 'GraphValueError') throw error;
    for (const pending of awaiting) await governor.settleApproval(pending.id, false, `requires approval, but the agent cannot be interrupted to ask (${(error as Error).message}: give createAgent a checkpointer)`);
    return;
  }
  const decisions = Array.isArray(response?.decisions) ? response.decisions : [];
  for (const [i, pending] of awaiting.entries()) {
    const decision: unknown = decisions[i];
    const type = typeof decision === 'object' && decision !== null ? (decision as { type?: unknown }).type : undefined;
    const message = typeof decision === 'object' && decision !== null && typeof (decision as { message?: unknown }).message === 'string' ? (decision as { message: string }).message : undefined;
    if (type === 'approve') await governor.settleApproval(pending.id, true);
    else if (type === 'reject') await governor.settleApproval(pending.id, false, message ?? 'approval denied');
    else await governor.settleApproval(pending.id, false, type === 'edit' ? 'an edited call was not checked by the policy: approve or reject it' : 'no decision was given for this call');
  }
}

function approvalDescription(pending: PendingApproval): string {
  const who = pending.decision.approvers.length ? ` by ${pending.decision.approvers.join(', ')}` : '';
  const rule = pending.decision.rule ? ` (policy rule '${pending.decision.rule}')` : '';
  return `Tool call '${pending.tool}' needs approval${who}${rule}: ${pending.decision.reason}`;
}

function refusalMessage(refusal: Refusal, name: string, callId: string | undefined): ToolMessage {
  return new ToolMessage({ content: refusal.message, tool_call_id: callId ?? '', name, status: 'error', additional_kwargs: { refusal: { ...refusal } } });
}

/** A tool message's content as the policy reads it (JSON text parsed), and how to write it back. */
function readContent(content: ToolMessage['content']): { value: unknown; write: (value: unknown) => string } {
  const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  if (typeof content !== 'string') return { value: content, write: asText };
  try {
    const parsed: unknown = JSON.parse(content);
    if (typeof parsed === 'object' && parsed !== null) return { value: parsed, write: asText };
  } catch {
    // plain text
  }
  return { value: content, write: asText };
}
export { langchainHandoffTool } from './langchain-handoff.js';
export type { LangchainHandoffToolOptions } from './langchain-handoff.js';
