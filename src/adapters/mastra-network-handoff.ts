import type { SubAgent } from '@mastra/core/agent';
import { GovernanceDenied } from '../core/errors.js';
import type { HandoffGate } from '../kernel/handoff-gate.js';
import { sealFor, type HandoffSource } from './handoff-call.js';

/**
 * Mastra agent networks behind the hand-off trust gate. A routing agent reaches its members
 * (`new Agent({ agents: { billing } })`) in two ways, both through Mastra's public `SubAgent`
 * interface (`@mastra/core/agent`: "implement this to create lighter-weight subagents"): its
 * `network()` loop calls the member's `stream()`, and its `generate()` / `stream()` expose each
 * member as an `agent-<name>` tool that calls the member's `generate()` or `stream()` (and
 * `resumeGenerate()` / `resumeStream()` after a suspension). A gated member is a `SubAgent` that
 * answers for the member: each of those calls is sealed by the routing agent (`from`) and opened
 * by the member's gate before the member runs; a hand-off that does not open throws
 * {@link GovernanceDenied}, so the member's model and tools are never reached. The network loop
 * ends with that error; as a tool, the routing model reads it as the tool's error.
 *
 * What is sealed is what reaches the member's model: the messages, and the `instructions`,
 * `system` and `context` options when the caller passes them (the tool path passes the routing
 * model's instructions and the conversation as `context`). The member runs with the gate's
 * opened copy of them. The other options (request context, memory thread, callbacks, abort
 * signal) are the local runtime's and pass through unchanged. Everything else a `SubAgent` is
 * (description, model, memory, instructions) is the member's, read through.
 *
 * Not decided at post_tool: the member's answer is a stream the caller consumes; govern the
 * member's own tool calls with `mastraGovernance`. Legacy (v1 model) entry points are not
 * offered, so a routing agent cannot reach the member around the gate through them.
 *
 * @example
 * const billing = gatedSubAgent(billingAgent, { from: { key: routerKey, chain: routerChain }, gate: billingGate, task: 'billing.refund' });
 * const router = new Agent({ id: 'router', name: 'router', instructions, model, agents: { billing } });
 * const run = await router.network('refund invoice 5');
 */

/** What {@link gatedSubAgent} needs. */
export interface GatedSubAgentOptions {
  /** The routing agent (its key and chain), or where a seal made elsewhere comes from. */
  readonly from: HandoffSource;
  /** The member agent's gate. */
  readonly gate: HandoffGate;
  /** The task handed off (matched against the sender's tool globs, named in the member's policy). Default: the member's id. */
  readonly task?: string;
}

/** The execution options that reach the member's model, so they are sealed with the messages. */
const SEALED_OPTIONS = ['instructions', 'system', 'context'] as const;

type Options = Record<string, unknown> | undefined;
/** What a member's `generate` / `stream` take as messages (Mastra does not export the name from its public entry). */
type Messages = Parameters<SubAgent['generate']>[0];

/** `member` as a Mastra `SubAgent` whose every run opens through `options.gate` first. */
export function gatedSubAgent<TId extends string>(member: SubAgent<TId>, options: GatedSubAgentOptions): SubAgent<TId> {
  const task = options.task ?? member.id;
  /** The opened input (`messages`, or `resume` data) and options, or a throw: the member is not called for a hand-off that does not open. */
  const opened = async (input: 'messages' | 'resume', value: unknown, callOptions: Options): Promise<[unknown, Options]> => {
    const payload: Record<string, unknown> = { [input]: asJson(value) };
    for (const name of SEALED_OPTIONS) if (callOptions?.[name] !== undefined) payload[name] = asJson(callOptions[name]);
    const answer = await options.gate.open(sealFor(options.from, options.gate, task, payload));
    if (!answer.ok) throw new GovernanceDenied(answer.decision, answer.refusal.message);
    // The kernel's copy is frozen; Mastra's message list writes to what it is given.
    const copy = structuredClone(answer.payload) as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...callOptions };
    for (const name of SEALED_OPTIONS) {
      if (name in copy) merged[name] = copy[name];
      else delete merged[name];
    }
    return [copy[input], merged];
  };
  const gated: SubAgent<TId> = {
    id: member.id,
    ...(member.name === undefined ? {} : { name: member.name }),
    getDescription: () => member.getDescription(),
    getModel: (opts) => member.getModel(opts),
    hasOwnMemory: () => member.hasOwnMemory(),
    __setMemory: (memory) => member.__setMemory(memory),
    getMemory: (opts) => member.getMemory(opts),
    getInstructions: (opts) => member.getInstructions(opts),
    generate: async (messages, callOptions?: Options) => {
      const [input, merged] = await opened('messages', messages, callOptions);
      return member.generate(input as Messages, merged);
    },
    stream: async (messages, callOptions?: Options) => {
      const [input, merged] = await opened('messages', messages, callOptions);
      return member.stream(input as Messages, merged);
    },
    // A resume carries new input from the routing side (an approval, a suspended tool's answer): it is a hand-off too.
    resumeGenerate: async (resumeData: unknown, callOptions?: Options) => member.resumeGenerate(...(await opened('resume', resumeData, callOptions))),
    resumeStream: async (resumeData: unknown, callOptions?: Options) => member.resumeStream(...(await opened('resume', resumeData, callOptions))),
  };
  if (member.__registerMastra) gated.__registerMastra = (mastra) => member.__registerMastra?.(mastra);
  if (member.getBackgroundTasksConfig) gated.getBackgroundTasksConfig = () => member.getBackgroundTasksConfig?.();
  return gated;
}

/** `value` as the JSON a seal covers (a Date becomes its ISO text, undefined members drop); a value JSON cannot hold is refused before anything is sealed. */
function asJson(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('a hand-off to a Mastra agent carries JSON messages and options; this value has no JSON form');
  return JSON.parse(text) as unknown;
}
