import { createTool } from '@mastra/core/tools';
import type { z } from 'zod';
import type { HandoffGate, ReceiveHandoff } from '../kernel/handoff-gate.js';
import { handOff, payloadOf, type HandoffSource } from './handoff-call.js';

/**
 * Mastra agents used as tools of another agent, behind the hand-off trust gate: the tool seals
 * the calling agent's input and the receiving agent's gate opens it before the receiving agent
 * runs. A refused hand-off is the tool's result `{ refused: true, reason, message }` (what the
 * calling model reads); the receiving agent never runs.
 *
 * @example
 * const billing = mastraHandoffTool({ id: 'billing', description: 'hand a billing task to the billing agent',
 *   inputSchema: z.object({ invoice: z.string() }), task: 'billing.refund', from: { key, chain }, gate,
 *   run: async (payload) => (await billingAgent.generate(JSON.stringify(payload))).text });
 * const triage = new Agent({ name: 'triage', model, tools: { billing } });
 */

/** What {@link mastraHandoffTool} needs. */
export interface MastraHandoffToolOptions<R> {
  /** The tool's id as the calling model sees it. */
  readonly id: string;
  readonly description: string;
  /** The tool's input schema; the parsed input is the hand-off's payload. */
  readonly inputSchema: z.ZodObject;
  /** The task handed off. Default: `id`. */
  readonly task?: string;
  /** The calling agent (its key and chain), or where a seal made elsewhere comes from. */
  readonly from: HandoffSource;
  /** The receiving agent's gate. */
  readonly gate: HandoffGate;
  /** The receiving agent: runs only for a hand-off that opened and that the receiver's policy allows. */
  readonly run: ReceiveHandoff<R>;
}

/** What the calling model reads when a hand-off is refused. */
export interface RefusedHandoffResult {
  readonly refused: true;
  readonly reason: string;
  readonly message: string;
}

/** A Mastra tool that hands its input to another agent through the trust gate. */
export function mastraHandoffTool<R>(options: MastraHandoffToolOptions<R>): ReturnType<typeof createTool> {
  const task = options.task ?? options.id;
  return createTool({
    id: options.id,
    description: options.description,
    inputSchema: options.inputSchema,
    execute: async (input: unknown): Promise<R | RefusedHandoffResult> => {
      const result = await handOff(options.from, options.gate, task, payloadOf(input), options.run);
      return result.ok ? result.output : { refused: true, reason: result.refusal.reason, message: result.refusal.message };
    },
  });
}
