import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SqliteReplayCache } from '../../src/state/sqlite-replay-cache.js';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, '../fixtures/state/spend-nonces.ts');
const storePath = (): string => join(mkdtempSync(join(tmpdir(), 'agt-nonces-')), 'state.db');

describe('SqliteReplayCache', () => {
  it('remembers a nonce until its expiry (inclusive), then forgets it', () => {
    const cache = new SqliteReplayCache(storePath());
    expect(cache.checkAndRemember('n1', 1_000, 0)).toBe('fresh');
    expect(cache.checkAndRemember('n1', 1_000, 500)).toBe('replayed');
    expect(cache.checkAndRemember('n1', 1_000, 1_000)).toBe('replayed');
    expect(cache.checkAndRemember('n1', 5_000, 1_001)).toBe('fresh');
    expect(cache.size).toBe(1);
    cache.close();
  });

  it('is shared: a nonce spent through one connection is a replay through another, and survives a reopen', () => {
    const path = storePath();
    const a = new SqliteReplayCache(path);
    const b = new SqliteReplayCache(path);
    expect(a.checkAndRemember('shared', 10_000, 0)).toBe('fresh');
    expect(b.checkAndRemember('shared', 10_000, 1)).toBe('replayed');
    a.close();
    b.close();
    const reopened = new SqliteReplayCache(path);
    expect(reopened.checkAndRemember('shared', 10_000, 2)).toBe('replayed');
    reopened.close();
  });

  it('fails closed when full of live nonces, and makes room only from expired ones', () => {
    const cache = new SqliteReplayCache(storePath(), { capacity: 3 });
    for (const nonce of ['a', 'b', 'c']) expect(cache.checkAndRemember(nonce, 100, 0)).toBe('fresh');
    expect(cache.checkAndRemember('d', 100, 50)).toBe('full');
    expect(cache.checkAndRemember('a', 100, 50)).toBe('replayed'); // a live nonce is never forgotten to make room
    expect(cache.checkAndRemember('d', 300, 101)).toBe('fresh'); // a, b, c expired: room again
    expect(cache.size).toBe(1);
    cache.close();
  });

  it('two processes racing on the same nonces: each nonce is fresh exactly once', { timeout: 60_000 }, async () => {
    const path = storePath();
    new SqliteReplayCache(path).close();
    const nonces = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    const expiresAt = String(Date.now() + 600_000);
    const outputs = await Promise.all([0, 1].map(() => run(process.execPath, ['--import', 'tsx', CHILD, path, expiresAt, ...nonces], { encoding: 'utf8' })));
    const verdicts = outputs.map((o) => JSON.parse(o.stdout) as string[]);
    for (let i = 0; i < nonces.length; i++) {
      expect([verdicts[0]?.[i], verdicts[1]?.[i]].sort()).toEqual(['fresh', 'replayed']);
    }
  });

  it('refuses non-finite times and a bad capacity', () => {
    const cache = new SqliteReplayCache(storePath());
    expect(() => cache.checkAndRemember('x', Number.NaN, 0)).toThrow(RangeError);
    expect(() => cache.checkAndRemember('x', 1, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    cache.close();
    expect(() => new SqliteReplayCache(storePath(), { capacity: 0 })).toThrow(RangeError);
  });
});
