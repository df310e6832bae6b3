import { describe, expect, it } from 'vitest';
import { applyTrustEvent, DEFAULT_TRUST, TRUST_WEIGHTS, trustAt, trustCeiling, type TrustEvent, type TrustState } from '../../src/identity/trust-score.js';

const HOUR = 60 * 60 * 1000;

function replay(events: [TrustEvent, number][], ceiling = 500): TrustState | undefined {
  let state: TrustState | undefined;
  for (const [event, at] of events) state = applyTrustEvent(state, event, at, ceiling);
  return state;
}

describe('trust scores', () => {
  it('start at the credential ceiling (500 when none is stated) and never rise above it', () => {
    expect(trustAt(undefined, 0, trustCeiling(undefined))).toBe(DEFAULT_TRUST);
    const state = replay(Array.from({ length: 1000 }, (_, i) => ['allowed', i] as [TrustEvent, number]), 700);
    expect(state?.score).toBe(700);
  });

  it('lose fast and win back slowly: a replay attempt costs what 200 allowed calls regain', () => {
    let state = applyTrustEvent(undefined, 'replay', 0, 600);
    expect(state.score).toBe(400);
    for (let i = 1; i <= 199; i++) state = applyTrustEvent(state, 'allowed', 0, 600);
    expect(state.score).toBe(599);
    expect(TRUST_WEIGHTS.denied).toBeLessThan(-TRUST_WEIGHTS.allowed * 5);
  });

  it('recover toward the ceiling with a one-hour half-life, deterministically from timestamps', () => {
    const state = applyTrustEvent(undefined, 'ring_breach', 0, 500); // 400
    expect(trustAt(state, 0, 500)).toBe(400);
    expect(trustAt(state, HOUR, 500)).toBe(450);
    expect(trustAt(state, 2 * HOUR, 500)).toBe(475);
    expect(trustAt(state, 10 * HOUR, 500)).toBe(499); // rounded down: the last point comes with a good call
    expect(trustAt(state, 100 * HOUR, 500)).toBe(500);
    expect(replay([['ring_breach', 0], ['allowed', HOUR]])?.score).toBe(451);
  });

  it('never go below 0, and a clock that moves back neither recovers nor loses', () => {
    let state: TrustState | undefined;
    for (let i = 0; i < 10; i++) state = applyTrustEvent(state, 'replay', 1000, 500);
    expect(state?.score).toBe(0);
    expect(trustAt({ score: 100, at: 5000 }, 1000, 500)).toBe(100);
    expect(applyTrustEvent({ score: 100, at: 5000 }, 'allowed', 1000, 500)).toEqual({ score: 101, at: 5000 });
  });

  it('a lower ceiling from a new credential applies at once; a higher one is reached by recovery only', () => {
    const state: TrustState = { score: 800, at: 0 };
    expect(trustAt(state, 0, 300)).toBe(300);
    expect(applyTrustEvent(state, 'allowed', 0, 300).score).toBe(300);
    expect(trustAt({ score: 500, at: 0 }, HOUR, 900)).toBe(700);
  });

  it('refuses a ceiling outside 0-1000 or not whole', () => {
    for (const bad of [-1, 1001, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => trustCeiling(bad)).toThrow(RangeError);
  });

  it('reading a score changes nothing: only events move it', () => {
    const events: [TrustEvent, number][] = [['allowed', 0], ['denied', 10], ['failed', 20], ['screening_hit', HOUR], ['allowed', 2 * HOUR]];
    let state: TrustState | undefined;
    for (const [event, at] of events) {
      trustAt(state, at + 123, 500);
      state = applyTrustEvent(state, event, at, 500);
    }
    expect(state).toEqual(replay(events));
    // 500, 490 (denied), 485 (failed), 492 recovered then 442 (screening hit), 471 recovered then 472
    expect(state?.score).toBe(472);
  });
});
