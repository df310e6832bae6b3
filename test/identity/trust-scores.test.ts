/**
 * TrustScores over a store: losses written at once, gains batched, a batch folded over the
 * latest stored score (so another process's loss is never overwritten), deterministic by the
 * injected clock, and shared by two stores on one SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyTrustEvent, TRUST_WEIGHTS } from '../../src/identity/trust-score.js';
import { TrustScores } from '../../src/identity/trust-scores.js';
import { SqliteTrustScoreStore } from '../../src/state/sqlite-trust-score-store.js';
import { MemoryTrustScoreStore, type StoredTrust, type TrustScoreStore } from '../../src/state/trust-score-store.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
const DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const dir = mkdtempSync(join(tmpdir(), 'agt-trust-scores-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A memory store that counts its writes. */
class CountingStore extends MemoryTrustScoreStore {
  writes = 0;
  override update(subject: string, change: (current: StoredTrust | undefined) => StoredTrust): StoredTrust {
    this.writes++;
    return super.update(subject, change);
  }
}

describe('TrustScores', () => {
  it('starts at the ceiling and costs no write for an agent that never lost trust', () => {
    const store = new CountingStore();
    const scores = new TrustScores({ store, clock: () => T0 });
    expect(scores.scoreOf(DID, 600)).toBe(600);
    for (let i = 0; i < 1000; i++) expect(scores.record(DID, 'allowed', 600)).toBe(600);
    expect(store.writes).toBe(0);
  });

  it('writes a loss at once, and batches gains (64 by default), counting them in reads meanwhile', () => {
    const store = new CountingStore();
    let now = T0;
    const scores = new TrustScores({ store, clock: () => now });
    expect(scores.record(DID, 'replay', 600)).toBe(400);
    expect(store.writes).toBe(1);
    expect(store.get(DID)).toEqual({ score: 400, at: T0 });
    for (let i = 0; i < 63; i++) scores.record(DID, 'allowed');
    expect(store.writes).toBe(1);
    expect(scores.pendingEvents).toBe(63);
    expect(scores.scoreOf(DID, 600)).toBe(463);
    scores.record(DID, 'allowed');
    expect(store.writes).toBe(2);
    expect(store.get(DID)?.score).toBe(464);
    // An old unwritten gain makes the next event write it.
    scores.record(DID, 'allowed');
    now += 1_000;
    scores.record(DID, 'allowed');
    expect(store.writes).toBe(3);
  });

  it('is the published rule exactly: the same events give the score of applyTrustEvent, unbatched', () => {
    let now = T0;
    const scores = new TrustScores({ clock: () => now });
    let expected = undefined as ReturnType<typeof applyTrustEvent> | undefined;
    const events = ['denied', 'allowed', 'failed', 'allowed', 'screening_hit', 'allowed', 'ring_breach', 'allowed'] as const;
    for (const event of events) {
      now += 7 * 60_000;
      scores.record(DID, event, 800);
      expected = applyTrustEvent(expected, event, now, 800);
    }
    expect(scores.scoreOf(DID, 800)).toBe(expected?.score);
  });

  it('recovers half the loss per hour of injected time', () => {
    let now = T0;
    const scores = new TrustScores({ clock: () => now });
    scores.record(DID, 'replay', 600);
    now += HOUR;
    expect(scores.scoreOf(DID, 600)).toBe(500);
    now += HOUR;
    expect(scores.scoreOf(DID, 600)).toBe(550);
  });

  it('ignores an event for a subject it never saw verified (no ceiling known)', () => {
    const scores = new TrustScores({ clock: () => T0 });
    expect(scores.record(DID, 'ring_breach')).toBeNull();
    expect(scores.pendingEvents).toBe(0);
  });

  it("folds its unwritten gains over another process's loss instead of overwriting it", () => {
    const file = join(dir, 'fold.sqlite');
    const mine = new SqliteTrustScoreStore(file);
    const theirs = new SqliteTrustScoreStore(file);
    const here = new TrustScores({ store: mine, clock: () => T0 });
    const there = new TrustScores({ store: theirs, clock: () => T0 });
    here.record(DID, 'denied', 600); // 590, written
    for (let i = 0; i < 10; i++) here.record(DID, 'allowed'); // 600 in memory, not written
    expect(there.scoreOf(DID, 600)).toBe(590);
    there.record(DID, 'replay', 600); // 390, written by the other process
    expect(here.scoreOf(DID, 600)).toBe(400); // their loss, then our ten gains
    here.flush();
    expect(new SqliteTrustScoreStore(file).get(DID)?.score).toBe(400);
    mine.close();
    theirs.close();
  });

  it('keeps a loss the store refused in its reads, and writes it with the next write', () => {
    let failing = true;
    const inner = new MemoryTrustScoreStore();
    const store: TrustScoreStore = {
      get: (subject) => inner.get(subject),
      update: (subject, change) => {
        if (failing) throw new Error('SQLITE_BUSY');
        return inner.update(subject, change);
      },
    };
    const scores = new TrustScores({ store, clock: () => T0 });
    expect(() => scores.record(DID, 'replay', 600)).toThrow('SQLITE_BUSY');
    expect(scores.scoreOf(DID, 600)).toBe(600 + TRUST_WEIGHTS.replay);
    failing = false;
    scores.record(DID, 'denied', 600);
    expect(inner.get(DID)?.score).toBe(390);
  });
});

describe('SqliteTrustScoreStore', () => {
  it('persists across instances on one file and sees the other connection\'s writes on its next read', () => {
    const file = join(dir, 'store.sqlite');
    const a = new SqliteTrustScoreStore(file);
    const b = new SqliteTrustScoreStore(file);
    expect(b.get(DID)).toBeUndefined();
    a.update(DID, () => ({ score: 420, at: T0 }));
    expect(b.get(DID)).toEqual({ score: 420, at: T0 });
    b.update(DID, (current) => ({ score: (current?.score ?? 0) - 10, at: T0 + 1 }));
    expect(a.get(DID)).toEqual({ score: 410, at: T0 + 1 });
    a.close();
    b.close();
    const reopened = new SqliteTrustScoreStore(file);
    expect(reopened.get(DID)).toEqual({ score: 410, at: T0 + 1 });
    reopened.close();
  });
});
