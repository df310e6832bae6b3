import { describe, expect, it } from 'vitest';
import { RateLimiter, type RateLimitSpec } from '../../src/reliability/rate-limits.js';
import { MemorySlidingWindowStore } from '../../src/state/sliding-window.js';

const spec = (rule: string, count: number): RateLimitSpec => ({ policy: 'p', rule, count, windowMs: 60_000, text: `${count}/minute` });

describe('RateLimiter', () => {
  it('counts a call once against every limit it matched, per agent', () => {
    let now = 0;
    const limiter = new RateLimiter(new MemorySlidingWindowStore(), () => now);
    expect(limiter.consume('a', [spec('r', 1)]).exceeded).toBe(false);
    expect(limiter.consume('b', [spec('r', 1)]).exceeded).toBe(false);
    const over = limiter.consume('a', [spec('r', 1)]);
    expect(over).toMatchObject({ exceeded: true, retryAfterMs: 60_000 });
    expect(over.exceeded && over.reason).toBe("Rate limit exceeded for rule 'r': 1/minute per agent; retry in 60000 ms");
    now = 60_000;
    expect(limiter.consume('a', [spec('r', 1)]).exceeded).toBe(false);
  });

  it('a call over one of several limits counts against none of them', () => {
    const store = new MemorySlidingWindowStore();
    const limiter = new RateLimiter(store, () => 0);
    limiter.consume('a', [spec('tight', 1)]);
    const outcome = limiter.consume('a', [spec('loose', 5), spec('tight', 1)]);
    expect(outcome).toMatchObject({ exceeded: true, spec: { rule: 'tight' } });
    expect(store.peek('a\u0000p\u0000loose', 60_000, 0).count).toBe(0);
  });

  it('with no limits, does nothing', () => {
    expect(new RateLimiter().consume('a', []).exceeded).toBe(false);
  });
});
