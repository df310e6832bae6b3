/**
 * Where rate-limit windows live. The in-memory store serves one process; SQLite and Redis
 * stores (shared across replicas) implement the same interface.
 */
export interface SlidingWindowStore {
  /** How many calls `key` recorded in the window (now - windowMs, now], and when the oldest leaves it. */
  peek(key: string, windowMs: number, now: number): WindowState;
  /** Records one call at `now`; the store keeps at most `capacity` timestamps per key. */
  record(key: string, windowMs: number, capacity: number, now: number): void;
}

export interface WindowState {
  count: number;
  /** Epoch ms at which the oldest recorded call leaves the window; null when empty. */
  oldestExpiresAt: number | null;
}

interface Window {
  times: Float64Array;
  start: number;
  length: number;
  windowMs: number;
}

const DEFAULT_MAX_KEYS = 100_000;

/**
 * An exact sliding-window log in memory: a ring buffer of call times per key, no larger than the
 * limit itself. Keys whose windows have fully expired are swept when the key count grows past
 * `maxKeys`, so an unbounded stream of agent ids cannot grow memory without bound.
 */
export class MemorySlidingWindowStore implements SlidingWindowStore {
  private readonly windows = new Map<string, Window>();
  constructor(private readonly maxKeys: number = DEFAULT_MAX_KEYS) {}

  peek(key: string, windowMs: number, now: number): WindowState {
    const window = this.windows.get(key);
    if (!window) return { count: 0, oldestExpiresAt: null };
    expire(window, now);
    return {
      count: window.length,
      oldestExpiresAt: window.length > 0 ? (window.times[window.start] as number) + windowMs : null,
    };
  }

  record(key: string, windowMs: number, capacity: number, now: number): void {
    let window = this.windows.get(key);
    if (!window || window.times.length !== capacity || window.windowMs !== windowMs) {
      if (!window && this.windows.size >= this.maxKeys) this.sweep(now);
      window = { times: new Float64Array(capacity), start: 0, length: 0, windowMs };
      this.windows.set(key, window);
    }
    expire(window, now);
    const slot = (window.start + window.length) % capacity;
    window.times[slot] = now;
    if (window.length < capacity) window.length++;
    else window.start = (window.start + 1) % capacity;
  }

  /** Number of keys currently held (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) {
      expire(window, now);
      if (window.length === 0) this.windows.delete(key);
    }
  }
}

function expire(window: Window, now: number): void {
  const capacity = window.times.length;
  while (window.length > 0 && (window.times[window.start] as number) <= now - window.windowMs) {
    window.start = (window.start + 1) % capacity;
    window.length--;
  }
}
