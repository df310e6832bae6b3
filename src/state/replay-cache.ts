/**
 * Where the nonces of per-action proofs live while their proofs are still fresh. A nonce only
 * needs remembering until its proof expires: after that the proof is refused as stale anyway, so
 * the cache holds no more than the nonces inside the freshness window. The in-memory cache serves
 * one process; SQLite and Redis caches (shared across replicas) implement the same interface, so
 * `checkAndRemember` is one atomic step ("seen?" and "remember it" with nothing in between).
 */
export interface ReplayCache {
  /**
   * Remembers `nonce` until `expiresAt` (epoch ms, inclusive) unless it is already remembered.
   * `fresh`: first sighting, now remembered. `replayed`: seen before and still remembered.
   * `full`: the cache holds `capacity` unexpired nonces and cannot remember another; the caller
   * must refuse the proof (fail closed: a live nonce is never forgotten to make room).
   * Throws a RangeError for a non-finite time (a caller's bug, not hostile input).
   */
  checkAndRemember(nonce: string, expiresAt: number, now: number): ReplayVerdict;
  /** How many nonces are remembered (expired ones may linger until the next call sweeps them). */
  readonly size: number;
}

/** What {@link ReplayCache.checkAndRemember} found. */
export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

/** Options of {@link MemoryReplayCache}. */
export interface MemoryReplayCacheOptions {
  /** Most unexpired nonces held at once (default 100,000: at 1,000 proofs a second, a 65 s window needs 65,000). */
  capacity?: number;
  /** Width of an expiry bucket in ms (default 1,000): a nonce is kept until the end of its bucket, never less. */
  resolutionMs?: number;
}

const DEFAULT_CAPACITY = 100_000;
const DEFAULT_RESOLUTION_MS = 1_000;

/**
 * A replay cache in memory: a Map from nonce to expiry for the lookup, and a timing wheel of
 * expiry buckets (`ceil(expiresAt / resolution)` → the nonces due then) for forgetting. Each call
 * first drops the buckets whose time has passed, so every operation is O(1) amortized: a nonce is
 * put in one bucket once and taken out once, and no heap or sort is involved. Rounding the expiry
 * up to the bucket's end only ever keeps a nonce longer, never shorter.
 */
export class MemoryReplayCache implements ReplayCache {
  private readonly expiries = new Map<string, number>();
  private readonly buckets = new Map<number, string[]>();
  private readonly capacity: number;
  private readonly resolutionMs: number;
  /** Every bucket below this index has been swept. */
  private sweptBelow = -Infinity;

  constructor(options: MemoryReplayCacheOptions = {}) {
    this.capacity = options.capacity ?? DEFAULT_CAPACITY;
    this.resolutionMs = options.resolutionMs ?? DEFAULT_RESOLUTION_MS;
    if (!Number.isSafeInteger(this.capacity) || this.capacity < 1) throw new RangeError('capacity must be a positive integer');
    if (!Number.isSafeInteger(this.resolutionMs) || this.resolutionMs < 1) throw new RangeError('resolutionMs must be a positive integer');
  }

  checkAndRemember(nonce: string, expiresAt: number, now: number): ReplayVerdict {
    if (!Number.isFinite(expiresAt) || !Number.isFinite(now)) throw new RangeError('expiresAt and now must be finite epoch milliseconds');
    this.sweep(now);
    if (this.expiries.has(nonce)) return 'replayed';
    if (this.expiries.size >= this.capacity) return 'full';
    // An expiry already past is kept until the current bucket ends: remembering too long is safe, too short is not.
    const keepUntil = Math.max(expiresAt, now);
    // After the clock stepped back, a bucket may already have been swept past: use the first live one instead.
    const bucketIndex = Math.max(Math.ceil(keepUntil / this.resolutionMs), this.sweptBelow);
    this.expiries.set(nonce, keepUntil);
    const bucket = this.buckets.get(bucketIndex);
    if (bucket) bucket.push(nonce);
    else this.buckets.set(bucketIndex, [nonce]);
    return 'fresh';
  }

  get size(): number {
    return this.expiries.size;
  }

  /**
   * Forgets every nonce whose bucket ended before `now`. Walks bucket indexes one by one, or, when
   * the clock jumped further than there are buckets, the buckets themselves: either way no more
   * steps than buckets were created or time advanced by a bucket.
   */
  private sweep(now: number): void {
    const due = Math.ceil(now / this.resolutionMs); // buckets below this ended before now
    if (due <= this.sweptBelow) return;
    if (this.buckets.size > 0) {
      if (due - this.sweptBelow <= this.buckets.size) {
        for (let index = this.sweptBelow; index < due; index++) this.drop(index);
      } else {
        for (const index of this.buckets.keys()) if (index < due) this.drop(index);
      }
    }
    this.sweptBelow = due;
  }

  private drop(index: number): void {
    const bucket = this.buckets.get(index);
    if (!bucket) return;
    for (const nonce of bucket) this.expiries.delete(nonce);
    this.buckets.delete(index);
  }
}
