import { tool, type DynamicStructuredTool } from 'langchain';
import type { z } from 'zod';
import type { HandoffGate, ReceiveHandoff } from '../kernel/handoff-gate.js';
import { handOff, payloadOf, type HandoffSource } from './handoff-call.js';

/**
 * LangChain / LangGraph sub-agents called as tools, behind the hand-off trust gate: the tool the
 * calling agent's model calls seals its input (caller side) and the sub-agent's gate opens it
 * (callee side) before the sub-agent is invoked. A refused hand-off answers the calling model
 * with the refusal as the tool's result; the sub-agent never runs.
 *
 * @example
 * const billing = langchainHandoffTool({ name: 'billing', description: 'hand a billing task to the billing agent',
 *   schema: z.object({ invoice: z.string(), amount: z.number() }), task: 'billing.refund',
 *   from: { key: triageKey, chain: [triageCredential] }, gate: billingGate,
 *   run: (payload) => billingAgent.invoke({ messages: [{ role: 'user', content: JSON.stringify(payload) }] }) });
 * const triage = createAgent({ model, tools: [billing] });
 */

/** What {@link langchainHandoffTool} needs. */
export interface LangchainHandoffToolOptions<R> {
  /** The tool's name as the calling model sees it. */
  readonly name: string;
  readonly description: string;
  /** The tool's input schema (a zod object); the parsed input is the hand-off's payload. */
  readonly schema: z.ZodObject;
  /** The task handed off (matched against the caller's tool globs and named in the receiver's policy). Default: `name`. */
  readonly task?: string;
  /** The calling agent (its key and chain), or where a seal made elsewhere comes from. */
  readonly from: HandoffSource;
  /** The receiving agent's gate. */
  readonly gate: HandoffGate;
  /** The sub-agent: runs only for a hand-off that opened and that the receiver's policy allows. */
  readonly run: ReceiveHandoff<R>;
}

/** A LangChain tool that hands its input to a sub-agent through the trust gate. */
export function langchainHandoffTool<R>(options: LangchainHandoffToolOptions<R>): DynamicStructuredTool {
  const task = options.task ?? options.name;
  return tool(
    async (input: unknown) => {
      const result = await handOff(options.from, options.gate, task, payloadOf(input), options.run);
      if (!result.ok) return result.refusal.message;
      return typeof result.output === 'string' ? result.output : JSON.stringify(result.output);
    },
    { name: options.name, description: options.description, schema: options.schema },
  );
}
