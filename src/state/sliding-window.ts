/**
 * Where rate-limit windows live. The in-memory store serves one process; SQLite and Redis
 * stores (shared across replicas) implement the same interface. `consume` checks and records in
 * one step, so a store shared by several replicas can enforce one limit without a race between
 * "is there room?" and "count this call".
 */
export interface SlidingWindowStore {
  /**
   * Counts one call at `now` against `key` if fewer than `limit` calls were recorded in the
   * window (now - windowMs, now]; otherwise records nothing. Atomic: no other consume of the same
   * key sees the state in between.
   */
  consume(key: string, windowMs: number, limit: number, now: number): ConsumeResult;
  /** How many calls `key` recorded in the window, and when the oldest leaves it (no side effect). */
  peek(key: string, windowMs: number, now: number): WindowState;
}

/** The state of one key's window. */
export interface WindowState {
  count: number;
  /** Epoch ms at which the oldest recorded call leaves the window; null when empty. */
  oldestExpiresAt: number | null;
}

/** What {@link SlidingWindowStore.consume} did. */
export type ConsumeResult =
  | { allowed: true; count: number }
  | { allowed: false; count: number; retryAfterMs: number };

interface Window {
  times: Float64Array;
  start: number;
  length: number;
  windowMs: number;
}

const DEFAULT_MAX_KEYS = 100_000;

/**
 * An exact sliding-window log in memory: a ring buffer of call times per key, no larger than the
 * limit itself. The number of keys is capped: past `maxKeys`, the key whose window was touched
 * least recently goes (a Map keeps insertion order and every touch re-inserts), so a stream of
 * new agent ids costs O(1) per call and memory stays bounded. An evicted key starts afresh, which
 * can only happen to a key idle for longer than `maxKeys` other keys' traffic.
 */
export class MemorySlidingWindowStore implements SlidingWindowStore {
  private readonly windows = new Map<string, Window>();
  constructor(private readonly maxKeys: number = DEFAULT_MAX_KEYS) {
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new RangeError('maxKeys must be a positive integer');
  }

  peek(key: string, windowMs: number, now: number): WindowState {
    const window = this.windows.get(key);
    if (!window) return { count: 0, oldestExpiresAt: null };
    expire(window, now);
    return { count: window.length, oldestExpiresAt: window.length > 0 ? (window.times[window.start] as number) + windowMs : null };
  }

  consume(key: string, windowMs: number, limit: number, now: number): ConsumeResult {
    if (!(limit >= 1)) return { allowed: false, count: 0, retryAfterMs: windowMs }; // a limit of 0 admits nothing
    let window = this.windows.get(key);
    if (window && (window.times.length !== limit || window.windowMs !== windowMs)) {
      // The rule's limit changed (a policy reload): the old log no longer fits; start afresh.
      window = undefined;
    }
    if (window) {
      this.windows.delete(key); // re-inserted below: the Map's order is least recently used first
    } else {
      if (this.windows.size >= this.maxKeys) {
        const oldest = this.windows.keys().next();
        if (!oldest.done) this.windows.delete(oldest.value);
      }
      window = { times: new Float64Array(limit), start: 0, length: 0, windowMs };
    }
    this.windows.set(key, window);
    expire(window, now);
    if (window.length >= limit) {
      const retryAfterMs = Math.max(0, (window.times[window.start] as number) + windowMs - now);
      return { allowed: false, count: window.length, retryAfterMs };
    }
    window.times[(window.start + window.length) % limit] = now;
    window.length++;
    return { allowed: true, count: window.length };
  }

  /** Number of keys currently held (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }
}

function expire(window: Window, now: number): void {
  const capacity = window.times.length;
  while (window.length > 0 && (window.times[window.start] as number) <= now - window.windowMs) {
    window.start = (window.start + 1) % capacity;
    window.length--;
  }
}
