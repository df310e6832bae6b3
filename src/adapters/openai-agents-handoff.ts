import { Handoff, handoff, type Agent, type AgentOutputType } from '@openai/agents';
import { GovernanceDenied } from '../core/errors.js';
import type { HandoffGate } from '../kernel/handoff-gate.js';
import { payloadOf, sealFor, type HandoffSource } from './handoff-call.js';

/**
 * OpenAI Agents SDK hand-offs (`Agent.handoffs`) behind the hand-off trust gate. The hook that
 * can stop a hand-off is `onInvokeHandoff`: the runner awaits it before it switches agents, and
 * what it throws ends the run (`isEnabled` only hides the hand-off from the model, and an input
 * filter runs after the switch is decided). So the gated hand-off seals the model's hand-off
 * input from the calling agent there, has the receiving agent's gate open it, and throws
 * {@link GovernanceDenied} when it does not open: the receiving agent never runs, and its
 * `onHandoff` callback is never called.
 *
 * @example
 * const billingHandoff = gatedHandoff(billingAgent, { task: 'billing.refund', from: { key: triageKey, chain }, gate: billingGate });
 * const triage = new Agent({ name: 'triage', handoffs: [billingHandoff] });
 */

/** What {@link gatedHandoff} needs. */
export interface GatedHandoffOptions {
  /** The task handed off (matched against the caller's tool globs, named in the receiver's policy). Default: the hand-off's tool name. */
  readonly task?: string;
  /** The calling agent (its key and chain), or where a seal made elsewhere comes from. */
  readonly from: HandoffSource;
  /** The receiving agent's gate. */
  readonly gate: HandoffGate;
}

/** Most characters of hand-off input parsed as JSON for the payload; longer input travels as text and meets the gate's size bound. */
const MAX_PARSED_INPUT = 256 * 1024;

/**
 * A hand-off to `target` (an agent, or a `handoff(agent, config)` already configured) that opens
 * only through `options.gate`. The model-facing tool (name, description, input schema) is unchanged.
 */
export function gatedHandoff<TContext, TOutput extends AgentOutputType>(target: Agent<TContext, TOutput> | Handoff<TContext, TOutput>, options: GatedHandoffOptions): Handoff<TContext, TOutput> {
  const base = target instanceof Handoff ? target : handoff(target);
  const task = options.task ?? base.toolName;
  return base.clone({
    onInvokeHandoff: async (context, args) => {
      const answer = await options.gate.open(sealFor(options.from, options.gate, task, inputPayload(args)));
      if (!answer.ok) throw new GovernanceDenied(answer.decision, answer.refusal.message);
      return base.onInvokeHandoff(context, args);
    },
  });
}

/** The model's hand-off arguments (JSON text, or empty) as a payload object. */
function inputPayload(args: string): Readonly<Record<string, unknown>> {
  if (args === '') return {};
  if (args.length <= MAX_PARSED_INPUT) {
    try {
      return payloadOf(JSON.parse(args));
    } catch {
      // not JSON: handed over as text
    }
  }
  return { input: args };
}
