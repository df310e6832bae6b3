/**
 * The elevation grant stores: the same contract in memory and in SQLite (shared by every
 * connection to the file), with expiry by the clock and each ended grant reported once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryElevationGrantStore, type ElevationGrant, type ElevationGrantStore } from '../../src/state/elevation-grant-store.js';
import { SqliteElevationGrantStore } from '../../src/state/sqlite-elevation-grant-store.js';

const grant = (id: string, subject: string, ring: number, expiresAt: number): ElevationGrant => ({ id, subject, ring, grantedAt: 0, expiresAt, reason: 'r', decisionId: `d-${id}`, revokedAt: null });
const statePath = (): string => join(mkdtempSync(join(tmpdir(), 'agt-grants-')), 'state.db');

const stores: [string, () => ElevationGrantStore][] = [
  ['memory', () => new MemoryElevationGrantStore()],
  ['sqlite', () => new SqliteElevationGrantStore(statePath())],
];

describe.each(stores)('%s elevation grant store', (_name, open) => {
  it('answers the lowest live ring of a subject, live while now < expiresAt', () => {
    const store = open();
    store.add(grant('a', 'bot', 2, 100));
    store.add(grant('b', 'bot', 1, 50));
    store.add(grant('c', 'other', 1, 100));
    expect(store.liveRing('bot', 0)).toBe(1);
    expect(store.liveRing('bot', 49)).toBe(1);
    expect(store.liveRing('bot', 50)).toBe(2);
    expect(store.liveRing('bot', 100)).toBeUndefined();
    expect(store.liveRing('nobody', 0)).toBeUndefined();
    expect(store.live(60).map((g) => g.id)).toEqual(['a', 'c']);
  });

  it('revokes a live grant once; an ended or unknown one is not revoked', () => {
    const store = open();
    store.add(grant('a', 'bot', 1, 100));
    expect(store.revoke('a', 10)).toMatchObject({ id: 'a', revokedAt: 10 });
    expect(store.revoke('a', 11)).toBeUndefined();
    expect(store.liveRing('bot', 12)).toBeUndefined();
    store.add(grant('b', 'bot', 1, 100));
    expect(store.revoke('b', 100)).toBeUndefined(); // expired already
    expect(store.revoke('missing', 0)).toBeUndefined();
  });

  it('reports each expired grant once, and never a revoked one', () => {
    const store = open();
    store.add(grant('a', 'bot', 1, 100));
    store.add(grant('b', 'bot', 1, 100));
    store.revoke('b', 5);
    expect(store.claimExpired(99)).toEqual([]);
    expect(store.claimExpired(100).map((g) => g.id)).toEqual(['a']);
    expect(store.claimExpired(200)).toEqual([]);
  });
});

describe('SqliteElevationGrantStore across connections', () => {
  it('a grant and a revocation through one connection are read through another at once', () => {
    const path = statePath();
    const a = new SqliteElevationGrantStore(path);
    const b = new SqliteElevationGrantStore(path);
    expect(b.liveRing('bot', 0)).toBeUndefined();
    a.add(grant('g', 'bot', 1, 1000));
    expect(b.liveRing('bot', 0)).toBe(1);
    b.revoke('g', 1);
    expect(a.liveRing('bot', 2)).toBeUndefined();
    a.close();
    b.close();
  });

  it('an expiry is reported by one connection only', () => {
    const path = statePath();
    const a = new SqliteElevationGrantStore(path);
    const b = new SqliteElevationGrantStore(path);
    a.add(grant('g', 'bot', 1, 10));
    expect(b.liveRing('bot', 0)).toBe(1); // b has read it
    expect([...a.claimExpired(10), ...b.claimExpired(10)].map((g) => g.id)).toEqual(['g']);
    a.close();
    b.close();
  });

  it('throws once closed (the ring guard then denies what needed a grant)', () => {
    const store = new SqliteElevationGrantStore(statePath());
    store.close();
    expect(() => store.liveRing('bot', 0)).toThrow();
  });
});
