/**
 * Where trust scores live: per agent (its verified subject), the score and the time it was
 * last moved. The store knows nothing of the rule that moves them (identity/trust-score.ts is
 * the one definition); it offers a read that is a Map lookup and an atomic read-modify-write,
 * so the same rule works on one process (memory) and every process on a machine (SQLite).
 */

/** A stored score: its value at `at` (epoch ms). */
export interface StoredTrust {
  readonly score: number;
  readonly at: number;
}

/** Trust scores by subject. */
export interface TrustScoreStore {
  /** The stored score of `subject` as of now (including other processes' writes), or undefined when it never moved. Throws when the store cannot be read. */
  get(subject: string): StoredTrust | undefined;
  /**
   * Replaces `subject`'s score with `change(current)` in one atomic, durable step: no other
   * writer's update lands between the read and the write. Returns what was written. Throws when
   * the store cannot be written.
   */
  update(subject: string, change: (current: StoredTrust | undefined) => StoredTrust): StoredTrust;
}

/** Trust scores in this process's memory. */
export class MemoryTrustScoreStore implements TrustScoreStore {
  readonly #scores = new Map<string, StoredTrust>();

  /** The stored score of `subject`, or undefined. */
  get(subject: string): StoredTrust | undefined {
    return this.#scores.get(subject);
  }

  /** Applies `change` to the stored score. */
  update(subject: string, change: (current: StoredTrust | undefined) => StoredTrust): StoredTrust {
    const next = change(this.#scores.get(subject));
    this.#scores.set(subject, next);
    return next;
  }
}

/**
 * Reads another store and keeps its own changes in memory: a what-if run (`agt policy eval
 * --config`) decides on the agents' live scores without moving them, so evaluating requests
 * leaves the deployment's trust as it found it.
 */
export class WhatIfTrustScoreStore implements TrustScoreStore {
  readonly #changes = new MemoryTrustScoreStore();

  constructor(private readonly live: TrustScoreStore) {}

  /** This run's own score for `subject` once it moved here, else the live store's. */
  get(subject: string): StoredTrust | undefined {
    return this.#changes.get(subject) ?? this.live.get(subject);
  }

  /** Applies `change` over the current score, in this run's memory only. */
  update(subject: string, change: (current: StoredTrust | undefined) => StoredTrust): StoredTrust {
    return this.#changes.update(subject, () => change(this.get(subject)));
  }
}
