import type { KeyObject } from 'node:crypto';
import type { AgentKey } from '../identity/agent-key.js';
import type { CredentialChain } from '../identity/delegation.js';
import { sealHandoff } from '../identity/handoff-seal.js';
import type { Refusal } from '../kernel/action.js';
import type { HandoffGate, ReceiveHandoff } from '../kernel/handoff-gate.js';

/**
 * The framework-neutral half of the hand-off wiring: the calling agent seals, the receiving
 * agent's {@link HandoffGate} opens, decides and records, and only then does the receiving code
 * run. Each framework file only translates its hook to {@link sealFor} and the gate, and a
 * refusal back into its idiom.
 */

/** The calling agent: its key and credential chain, from which each hand-off is sealed. */
export interface HandoffSender {
  readonly key: AgentKey | KeyObject;
  readonly chain: CredentialChain | string;
  /** Lifetime of each seal, ms (default 60,000). */
  readonly ttlMs?: number;
}

/**
 * Where the seal comes from: the caller's key and chain (sealed here, in the caller's process),
 * or a function giving a seal made elsewhere (received over the wire, as an object or JSON text).
 */
export type HandoffSource = HandoffSender | ((task: string, payload: Readonly<Record<string, unknown>>) => unknown);

/** The seal for `task` and `payload`, addressed to the gate's receiver. */
export function sealFor(source: HandoffSource, gate: HandoffGate, task: string, payload: Readonly<Record<string, unknown>>): unknown {
  if (typeof source === 'function') return source(task, payload);
  return sealHandoff(source.key, { to: gate.receiver, task, payload }, { chain: source.chain, ...(source.ttlMs === undefined ? {} : { ttlMs: source.ttlMs }) });
}

/** A hand-off's result: the receiving code's output, or the refusal (the receiving code never ran). */
export type HandoffResult<R> = { readonly ok: true; readonly output: R } | { readonly ok: false; readonly refusal: Refusal };

/**
 * Seals `payload` for `task` from `source`, and has the gate receive it with `run`. A refusal
 * (at the gate, by the policy, or on the output) comes back as `{ ok: false, refusal }`; a throw
 * of the receiving code is a refusal carrying the error as the policy let it through.
 */
export async function handOff<R>(source: HandoffSource, gate: HandoffGate, task: string, payload: Readonly<Record<string, unknown>>, run: ReceiveHandoff<R>): Promise<HandoffResult<R>> {
  const outcome = await gate.receive(sealFor(source, gate, task, payload), run);
  if (outcome.kind === 'output') return { ok: true, output: outcome.output as R };
  if (outcome.kind === 'refused') return { ok: false, refusal: outcome.refusal };
  const decision = outcome.decision;
  return { ok: false, refusal: { denied: true, message: outcome.kind === 'failed' ? `the receiving agent failed: ${outcome.error.message}` : 'the hand-off did not complete', verdict: decision.verdict, rule: decision.rule, policy: decision.policy, reason: decision.reason, decisionId: decision.decisionId, stage: decision.stage } };
}

/** A tool's input as a hand-off payload: an object as is, anything else as `{ input }`. */
export function payloadOf(input: unknown): Readonly<Record<string, unknown>> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : { input: input ?? null };
}
