import type { Decision } from '../core/types.js';
import type { Held } from './action.js';

/** A decision made now for a run that comes later: small (identities, not arguments). */
export interface HeldDecision {
  tool: string;
  decision: Decision;
  /** The identity of the arguments decided; the run must present arguments with the same one. */
  inputIdentity: string;
  /** Cleared by a human's approval rather than by the policy alone. */
  approved: boolean;
  /**
   * The agent the identity step verified when the call was decided (identity facts only: no
   * proof, key or token). Its run is the same proven call and is not proven again: a signed
   * envelope's nonce is spent once, at the decision.
   */
  agent?: Readonly<Record<string, unknown>>;
  /**
   * A refusal for the call whatever tool and arguments its run presents: a tool call in a model
   * answer the policy stopped at post_model_call, which a framework may still try to run.
   */
  withheld?: true;
}

/** Most calls decided ahead of their run kept at once; the oldest goes first (its run is decided afresh). */
export const MAX_HELD_DECISIONS = 10_000;
/** Most approvals waiting for a human at once; past it the oldest is forgotten (answering it is then refused). */
export const MAX_PENDING_APPROVALS = 1_000;

/**
 * The kernel's memory of decide-now-run-later: approvals waiting for a human (keyed by the call
 * id the framework will answer with), and decisions waiting for their run (keyed by call id, and
 * spent only by a run of the decided tool name: a run under another name is decided afresh).
 * Both are capped: a framework that never comes back cannot grow memory without bound.
 */
export class HeldCalls {
  private readonly pending = new Map<string, Held>();
  private readonly decided = new Map<string, HeldDecision>();

  constructor(
    private readonly maxDecided: number = MAX_HELD_DECISIONS,
    private readonly maxPending: number = MAX_PENDING_APPROVALS,
  ) {}

  /** Keeps an approval until the human answers; replaces one with the same id. */
  wait(held: Held): void {
    this.pending.delete(held.id);
    evictOldest(this.pending, this.maxPending);
    this.pending.set(held.id, held);
  }

  /** The approval waiting under `id`, without taking it. */
  waiting(id: string): Held | undefined {
    return this.pending.get(id);
  }

  /** The approvals waiting for a human now, oldest first (a kill rejects its agent's). */
  waitingCalls(): Held[] {
    return [...this.pending.values()];
  }

  /** Takes the approval waiting under `id` (it is answered once). */
  takeWaiting(id: string): Held | undefined {
    const held = this.pending.get(id);
    if (held) this.pending.delete(id);
    return held;
  }

  /** Keeps a decision for the run of call `id` (of the decision's tool). */
  hold(id: string, decision: HeldDecision): void {
    this.decided.delete(id);
    evictOldest(this.decided, this.maxDecided);
    this.decided.set(id, decision);
  }

  /** The decision held for call `id`, without taking it. */
  peek(id: string): HeldDecision | undefined {
    return this.decided.get(id);
  }

  /**
   * Takes the decision held for call `id` if it was made for `tool` (a decision is spent by one
   * run). A run of the same call id under another tool name finds nothing, and the held decision
   * is dropped: that run is decided afresh under its own name.
   */
  take(id: string, tool: string): HeldDecision | undefined {
    const held = this.decided.get(id);
    if (held) this.decided.delete(id);
    return held?.tool === tool || held?.withheld ? held : undefined;
  }

  /** How many approvals wait and decisions are held (for tests and metrics). */
  get size(): { pending: number; decided: number } {
    return { pending: this.pending.size, decided: this.decided.size };
  }
}

function evictOldest(map: Map<string, unknown>, max: number): void {
  while (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done) return;
    map.delete(oldest.value);
  }
}
