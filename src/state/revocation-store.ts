/**
 * Where revocations live: a set of revoked ids (DIDs or credential ids) that only grows. The
 * in-memory store serves one process; the SQLite store (./sqlite-revocation-store.ts) is shared
 * by every process on the machine, so a revocation written by one is seen by the next check in
 * any other. There is no un-revoke: a revoked key or credential is replaced, not forgiven.
 */
export interface RevocationStore {
  /** Records `id` as revoked at `revokedAt` (epoch ms). Idempotent: the first time is kept. */
  add(id: string, revokedAt: number): void;
  /** True when `id` is revoked, including by another process since the last call. Throws when the store cannot be read. */
  has(id: string): boolean;
  /** The position of the first revoked id in `ids`, or -1, as of now (one freshness check for all). Throws when the store cannot be read. */
  firstRevoked(ids: readonly string[]): number;
  /** Every revocation, oldest first. */
  list(): RevocationEntry[];
}

/** One revoked id. */
export interface RevocationEntry {
  readonly id: string;
  /** Epoch ms. */
  readonly revokedAt: number;
}

/** Revocations in this process's memory. */
export class MemoryRevocationStore implements RevocationStore {
  readonly #revoked = new Map<string, number>();

  /** Records `id` (the first revocation time is kept). */
  add(id: string, revokedAt: number): void {
    if (!this.#revoked.has(id)) this.#revoked.set(id, revokedAt);
  }

  /** True when `id` was revoked. */
  has(id: string): boolean {
    return this.#revoked.has(id);
  }

  /** The position of the first revoked id in `ids`, or -1. */
  firstRevoked(ids: readonly string[]): number {
    return ids.findIndex((id) => this.#revoked.has(id));
  }

  /** Every revocation, oldest first. */
  list(): RevocationEntry[] {
    return [...this.#revoked].map(([id, revokedAt]) => ({ id, revokedAt }));
  }
}
