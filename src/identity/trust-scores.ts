import { systemClock, type Clock } from '../core/clock.js';
import { MemoryTrustScoreStore, type StoredTrust, type TrustScoreStore } from '../state/trust-score-store.js';
import { applyTrustEvent, DEFAULT_TRUST_HALF_LIFE_MS, trustAt, trustCeiling, type TrustEvent, type TrustRule, type TrustState } from './trust-score.js';

/**
 * Live trust scores: the rule of ./trust-score.ts applied to the events the kernel sees, kept
 * in a {@link TrustScoreStore}. Reading a score is a Map lookup (the store's), so the kernel
 * asks on every call. Losses (denied, failed, replay, ring breach, screening hit) are written
 * to the store at once; gains (+1 per allowed call) are coalesced in memory and written in
 * batches, because a durable write per allowed call would cost more than the whole decision. A
 * crash loses only unwritten gains, which leaves a score lower than it should be: the safe
 * direction. Events not yet written (gains, or a loss the store refused) count in every read of
 * this process, and a batch is folded in order over the latest stored score, so another
 * process's loss written in between is never overwritten.
 */

/** How {@link TrustScores} keeps and moves scores. */
export interface TrustScoresOptions {
  /** Where scores persist (default this process's memory). A SqliteTrustScoreStore shares them with every process on the machine. */
  readonly store?: TrustScoreStore;
  /** The clock events and reads are timed by when no time is given (default the wall clock). */
  readonly clock?: Clock;
  /** Recovery half-life (default one hour). */
  readonly halfLifeMs?: number;
  /** Unwritten gains of one agent that trigger a write (default 64). */
  readonly maxPendingEvents?: number;
  /** Age of an agent's oldest unwritten gain, in ms, past which its next event writes (default 1,000). */
  readonly maxPendingMs?: number;
}

/** Events of one agent not yet in the store, and what its score is with them. */
interface Pending {
  readonly events: { readonly event: TrustEvent; readonly at: number }[];
  ceiling: number;
  /** The stored score `view` was folded over: recomputed when the store's changes. */
  base: StoredTrust | undefined;
  view: TrustState | undefined;
}

/** Agents whose ceiling is remembered (for events reported by subject alone) before the memory is emptied. */
const CEILINGS_KEPT = 100_000;
/** Agents with unwritten events before every one is written. */
const PENDING_AGENTS = 10_000;

/** Trust scores of agents by verified subject. Deterministic: every time comes from the injected clock or the caller. */
export class TrustScores {
  readonly #store: TrustScoreStore;
  readonly #clock: Clock;
  readonly #rule: TrustRule;
  readonly #maxPendingEvents: number;
  readonly #maxPendingMs: number;
  readonly #pending = new Map<string, Pending>();
  readonly #ceilings = new Map<string, number>();

  /** Scores over `options.store` (default memory). */
  constructor(options: TrustScoresOptions = {}) {
    this.#store = options.store ?? new MemoryTrustScoreStore();
    this.#clock = options.clock ?? systemClock;
    this.#rule = { halfLifeMs: options.halfLifeMs ?? DEFAULT_TRUST_HALF_LIFE_MS };
    this.#maxPendingEvents = options.maxPendingEvents ?? 64;
    this.#maxPendingMs = options.maxPendingMs ?? 1_000;
    for (const [name, value] of [['halfLifeMs', this.#rule.halfLifeMs], ['maxPendingEvents', this.#maxPendingEvents], ['maxPendingMs', this.#maxPendingMs]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
    }
  }

  /**
   * The score of `subject` at `now`, whose credential states `ceiling`: the stored score
   * recovered toward the ceiling, with this process's unwritten events. Throws when the store
   * cannot be read (the kernel denies: never an allow on an unknown score).
   */
  scoreOf(subject: string, ceiling: number, now: number = this.#clock()): number {
    if (this.#ceilings.get(subject) !== ceiling) this.#remember(subject, trustCeiling(ceiling));
    return trustAt(this.#stateOf(subject, ceiling), now, ceiling, this.#rule);
  }

  /**
   * Moves `subject`'s score by `event` at `now`. `ceiling` is its credential's trust; without
   * one, the ceiling last seen for the subject is used, and an event for a subject never seen
   * (never verified here) is ignored: only a verified agent's score moves. Losses are written
   * at once; gains may wait for a batch. Returns the score after the event, or null when ignored.
   * Throws when a loss cannot be written (it still counts in this process's reads and is
   * retried with the next write).
   */
  record(subject: string, event: TrustEvent, ceiling?: number, now: number = this.#clock()): number | null {
    const cap = ceiling === undefined ? this.#ceilings.get(subject) : trustCeiling(ceiling);
    if (cap === undefined) return null;
    if (ceiling !== undefined && this.#ceilings.get(subject) !== cap) this.#remember(subject, cap);
    const before = this.#stateOf(subject, cap);
    // A gain at the ceiling changes nothing: an agent that never lost trust costs no write at all.
    if (event === 'allowed' && trustAt(before, now, cap, this.#rule) >= cap) return cap;
    const after = applyTrustEvent(before, event, now, cap, this.#rule);
    let pending = this.#pending.get(subject);
    if (!pending) {
      if (this.#pending.size >= PENDING_AGENTS) this.flush();
      pending = { events: [], ceiling: cap, base: this.#store.get(subject), view: undefined };
      this.#pending.set(subject, pending);
    }
    pending.events.push({ event, at: now });
    pending.ceiling = cap;
    pending.view = after;
    const due = event !== 'allowed' || pending.events.length >= this.#maxPendingEvents || now - (pending.events[0] as { at: number }).at >= this.#maxPendingMs;
    if (due) this.#write(subject, pending);
    return after.score;
  }

  /** Writes every unwritten event (call before a planned shutdown; a crash loses only gains). Throws when the store refuses. */
  flush(): void {
    for (const [subject, pending] of this.#pending) this.#write(subject, pending);
  }

  /** Unwritten events held in memory, over all agents. */
  get pendingEvents(): number {
    let count = 0;
    for (const pending of this.#pending.values()) count += pending.events.length;
    return count;
  }

  /** The subject's state with this process's unwritten events folded in. */
  #stateOf(subject: string, ceiling: number): TrustState | undefined {
    const stored = this.#store.get(subject);
    const pending = this.#pending.get(subject);
    if (!pending) return stored;
    if (pending.base !== stored) {
      // Another process (or a refresh) changed the stored score: fold our events over the new one.
      pending.base = stored;
      pending.view = this.#fold(stored, pending.events, ceiling);
    }
    return pending.view;
  }

  #fold(start: StoredTrust | undefined, events: readonly { event: TrustEvent; at: number }[], ceiling: number): TrustState | undefined {
    let state: TrustState | undefined = start;
    for (const { event, at } of events) state = applyTrustEvent(state, event, at, ceiling, this.#rule);
    return state;
  }

  #write(subject: string, pending: Pending): void {
    // Folded over the latest stored score inside the store's transaction: a loss another process wrote meanwhile stays.
    this.#store.update(subject, (current) => this.#fold(current, pending.events, pending.ceiling) ?? { score: pending.ceiling, at: 0 });
    this.#pending.delete(subject);
  }

  #remember(subject: string, ceiling: number): void {
    if (this.#ceilings.size >= CEILINGS_KEPT) this.#ceilings.clear();
    this.#ceilings.set(subject, ceiling);
  }
}
