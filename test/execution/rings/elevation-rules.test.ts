/** The elevation rules and the agent's ring, as pure functions (execution/rings/). */
import { describe, expect, it } from 'vitest';
import { agentRingOf, DEFAULT_AGENT_RING } from '../../../src/execution/rings/agent-ring.js';
import { DEFAULT_ELEVATION_MS, elevationProblem, MAX_ELEVATION_MS, readElevationAsk } from '../../../src/execution/rings/elevation-rules.js';

describe('agentRingOf', () => {
  it('reads 1-3 as given, 0 as 1, nothing as 2 (asserted) or 3 (verified without one)', () => {
    expect([1, 2, 3].map((ring) => agentRingOf(ring, false))).toEqual([1, 2, 3].map((ring) => ({ ok: true, ring })));
    expect(agentRingOf(0, true)).toEqual({ ok: true, ring: 1 });
    expect(agentRingOf(undefined, false)).toEqual({ ok: true, ring: DEFAULT_AGENT_RING });
    expect(agentRingOf(undefined, true)).toEqual({ ok: true, ring: 3 });
  });

  it('refuses anything else, quoting it safely', () => {
    for (const value of [1.5, -1, 4, Number.NaN, Infinity, '2', 'x'.repeat(1000), null, false, {}, [], 2n]) {
      const ring = agentRingOf(value, false);
      expect(ring.ok, String(value)).toBe(false);
      if (!ring.ok) expect(ring.message.length).toBeLessThan(300);
    }
  });
});

describe('readElevationAsk', () => {
  it('defaults to 5 minutes and accepts up to 1 hour', () => {
    expect(readElevationAsk({ ring: 1, reason: 'r' })).toEqual({ ok: true, ask: { ring: 1, durationMs: DEFAULT_ELEVATION_MS, reason: 'r' } });
    expect(readElevationAsk({ ring: 2, durationMs: MAX_ELEVATION_MS, reason: 'r' }).ok).toBe(true);
    expect(readElevationAsk({ ring: 2, durationMs: MAX_ELEVATION_MS + 1, reason: 'r' }).ok).toBe(false);
  });

  it('refuses ring 0, odd rings and durations, and a missing reason', () => {
    for (const args of [{ ring: 0, reason: 'r' }, { ring: 4, reason: 'r' }, { ring: '1', reason: 'r' }, { ring: 1, durationMs: Number.MAX_VALUE, reason: 'r' }, { ring: 1, durationMs: '60000', reason: 'r' }, { ring: 1 }, { ring: 1, reason: 7 }]) {
      expect(readElevationAsk(args).ok, JSON.stringify(args)).toBe(false);
    }
  });
});

describe('elevationProblem', () => {
  it('one ring up from the agent\'s own, never beyond a delegator', () => {
    expect(elevationProblem(2, 1, [])).toBeNull();
    expect(elevationProblem(3, 2, [])).toBeNull();
    expect(elevationProblem(3, 1, [])).toMatch(/2 rings above/);
    expect(elevationProblem(2, 2, [])).toMatch(/already acts at ring 2/);
    expect(elevationProblem(1, 1, [])).toMatch(/already acts at ring 1/);
    expect(elevationProblem(0, 1, [])).toMatch(/already acts at ring 1/);
    expect(elevationProblem(2, 1, [1, 2])).toMatch(/which acts at ring 2 now/);
    expect(elevationProblem(2, 1, [1, 1])).toBeNull();
  });
});
