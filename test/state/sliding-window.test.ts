import { describe, expect, it } from 'vitest';
import { MemorySlidingWindowStore } from '../../src/state/sliding-window.js';

describe('MemorySlidingWindowStore.consume: check and count in one step', () => {
  it('admits up to the limit in the window, then refuses with the time until the oldest call leaves it', () => {
    const store = new MemorySlidingWindowStore();
    expect(store.consume('k', 1000, 2, 0)).toEqual({ allowed: true, count: 1 });
    expect(store.consume('k', 1000, 2, 100)).toEqual({ allowed: true, count: 2 });
    expect(store.consume('k', 1000, 2, 400)).toEqual({ allowed: false, count: 2, retryAfterMs: 600 });
    // A refused call is not counted: once the first call leaves the window, there is room for one.
    expect(store.consume('k', 1000, 2, 1000)).toEqual({ allowed: true, count: 2 });
    expect(store.peek('k', 1000, 1000)).toEqual({ count: 2, oldestExpiresAt: 1100 });
  });

  it('a limit of 0 admits nothing, and bad limits never crash', () => {
    const store = new MemorySlidingWindowStore();
    expect(store.consume('k', 1000, 0, 0)).toMatchObject({ allowed: false });
    expect(store.consume('k', 1000, Number.NaN, 0)).toMatchObject({ allowed: false });
  });

  it('starts a key afresh when its rule changes limit or window (a policy reload)', () => {
    const store = new MemorySlidingWindowStore();
    store.consume('k', 1000, 1, 0);
    expect(store.consume('k', 1000, 1, 1).allowed).toBe(false);
    expect(store.consume('k', 1000, 5, 2).allowed).toBe(true);
  });

  it('keeps at most maxKeys keys however many agents appear, evicting the least recently used', () => {
    const store = new MemorySlidingWindowStore(100);
    for (let i = 0; i < 10_000; i++) store.consume(`agent-${i}`, 60_000, 1, i);
    expect(store.size).toBe(100);
    // A key in use is not the one evicted.
    const busy = new MemorySlidingWindowStore(2);
    busy.consume('a', 60_000, 1, 0);
    busy.consume('b', 60_000, 5, 1);
    busy.consume('a', 60_000, 1, 2); // touches a (refused, still counted as use)
    busy.consume('c', 60_000, 1, 3); // evicts b, the least recently used
    expect(busy.consume('a', 60_000, 1, 4).allowed).toBe(false);
  });

  it('costs the same per new key at the cap as below it (no sweep of every window)', () => {
    const store = new MemorySlidingWindowStore(1000);
    for (let i = 0; i < 1000; i++) store.consume(`warm-${i}`, 60_000, 1, 0);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 50_000; i++) store.consume(`new-${i}`, 60_000, 1, 0);
    const perCallNs = Number(process.hrtime.bigint() - started) / 50_000;
    // A sweep of 1,000 live windows per new key would cost tens of microseconds each.
    expect(perCallNs).toBeLessThan(5_000);
  });
});
