import { describe, expect, it } from 'vitest';
import { MemoryReplayCache } from '../../src/state/replay-cache.js';

const T0 = 1_800_000_000_000;

describe('MemoryReplayCache.checkAndRemember: seen-or-remember in one step', () => {
  it('answers fresh the first time and replayed every time after, while the nonce is live', () => {
    const cache = new MemoryReplayCache();
    expect(cache.checkAndRemember('n1', T0 + 65_000, T0)).toBe('fresh');
    expect(cache.checkAndRemember('n1', T0 + 65_000, T0)).toBe('replayed');
    expect(cache.checkAndRemember('n1', T0 + 99_000, T0 + 64_999)).toBe('replayed');
    expect(cache.checkAndRemember('n2', T0 + 65_000, T0)).toBe('fresh');
    expect(cache.size).toBe(2);
  });

  it('remembers a nonce up to and including its expiry, and forgets it after', () => {
    const cache = new MemoryReplayCache({ resolutionMs: 1 });
    cache.checkAndRemember('n', T0 + 100, T0);
    expect(cache.checkAndRemember('n', T0 + 100, T0 + 100)).toBe('replayed');
    expect(cache.checkAndRemember('other', T0 + 500, T0 + 101)).toBe('fresh');
    expect(cache.size).toBe(1); // 'n' swept: its proof can no longer be accepted anyway
    expect(cache.checkAndRemember('n', T0 + 200, T0 + 101)).toBe('fresh');
  });

  it('rounds expiry up to its bucket: a nonce is kept longer than asked, never shorter', () => {
    const cache = new MemoryReplayCache({ resolutionMs: 1_000 });
    cache.checkAndRemember('n', T0 + 1, T0);
    expect(cache.checkAndRemember('n', T0 + 1, T0 + 999)).toBe('replayed');
    expect(cache.checkAndRemember('x', T0 + 5_000, T0 + 1_001)).toBe('fresh');
    expect(cache.checkAndRemember('n', T0 + 9_000, T0 + 1_001)).toBe('fresh');
  });

  it('when full of live nonces answers full (fail closed) and never forgets a live nonce to make room', () => {
    const cache = new MemoryReplayCache({ capacity: 3 });
    for (const n of ['a', 'b', 'c']) expect(cache.checkAndRemember(n, T0 + 60_000, T0)).toBe('fresh');
    expect(cache.checkAndRemember('d', T0 + 60_000, T0 + 1)).toBe('full');
    expect(cache.checkAndRemember('d', T0 + 60_000, T0 + 2)).toBe('full'); // a refused nonce was not remembered either
    for (const n of ['a', 'b', 'c']) expect(cache.checkAndRemember(n, T0 + 60_000, T0 + 3)).toBe('replayed');
    // Room comes back only as nonces expire.
    expect(cache.checkAndRemember('d', T0 + 120_000, T0 + 61_000)).toBe('fresh');
  });

  it('keeps an already-past expiry until the current bucket ends, so a late caller cannot slip a nonce through twice', () => {
    const cache = new MemoryReplayCache({ resolutionMs: 1_000 });
    expect(cache.checkAndRemember('late', T0 - 10_000, T0)).toBe('fresh');
    expect(cache.checkAndRemember('late', T0 - 10_000, T0)).toBe('replayed');
  });

  it('survives clock jumps far forward and backward without losing live nonces or walking empty time', () => {
    const cache = new MemoryReplayCache({ resolutionMs: 1 });
    cache.checkAndRemember('a', T0 + 10, T0);
    // A jump of ~31 years in 1 ms buckets: sweeping walks the buckets, not the milliseconds.
    const later = T0 + 1_000_000_000_000;
    const started = performance.now();
    expect(cache.checkAndRemember('b', later + 10, later)).toBe('fresh');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(cache.size).toBe(1);
    // Backwards: nothing is forgotten early.
    expect(cache.checkAndRemember('b', later + 10, T0)).toBe('replayed');
  });

  it('a nonce remembered after the clock stepped back is still forgotten once time passes it (no leak)', () => {
    const cache = new MemoryReplayCache({ resolutionMs: 1_000 });
    for (let i = 0; i < 10; i++) cache.checkAndRemember(`live${i}`, T0 + 100_000 + i * 1_000, T0 + 5_000);
    expect(cache.checkAndRemember('b', T0 + 1_000, T0)).toBe('fresh'); // the clock stepped back 5 s
    expect(cache.checkAndRemember('b', T0 + 1_000, T0 + 500)).toBe('replayed');
    // Time moves on in small steps: 'b' (expired) must go, the ten live nonces stay.
    expect(cache.checkAndRemember('c', T0 + 200_000, T0 + 6_000)).toBe('fresh');
    expect(cache.size).toBe(11);
    expect(cache.checkAndRemember('b', T0 + 7_000, T0 + 6_001)).toBe('fresh');
  });

  it('holds only live nonces under a steady stream (memory bounded by the window, not by traffic)', () => {
    const cache = new MemoryReplayCache({ capacity: 2_000 });
    let fresh = 0;
    for (let i = 0; i < 30_000; i++) {
      const now = T0 + i * 10; // 100 proofs a second, each live for 10 s
      if (cache.checkAndRemember(`n${i}`, now + 10_000, now) === 'fresh') fresh++;
    }
    expect(fresh).toBe(30_000);
    expect(cache.size).toBeLessThanOrEqual(1_101);
  });

  it('refuses bad construction and non-finite times with a RangeError (a caller bug, not hostile input)', () => {
    expect(() => new MemoryReplayCache({ capacity: 0 })).toThrow(RangeError);
    expect(() => new MemoryReplayCache({ resolutionMs: 0.5 })).toThrow(RangeError);
    const cache = new MemoryReplayCache();
    expect(() => cache.checkAndRemember('n', Number.NaN, T0)).toThrow(RangeError);
    expect(() => cache.checkAndRemember('n', T0, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
