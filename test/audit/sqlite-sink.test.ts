import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { SqliteAuditSink } from '../../src/audit/sqlite-sink.js';
import { openStoreReadOnly, verifySqliteStore } from '../../src/audit/sqlite-verify.js';
import { PARALLEL_MIN_ENTRIES } from '../../src/audit/verify.js';
import { GovernanceDenied } from '../../src/core/errors.js';
import { govern } from '../../src/kernel/govern.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

const evaluator = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: store-test
default_action: allow
rules:
  - { name: no-drop, condition: "action.type == 'drop'", action: deny, message: "no dropping" }
`);

function tempStore(): string {
  return join(mkdtempSync(join(tmpdir(), 'agt-store-')), 'audit.db');
}

function fill(log: AuditLog, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) {
    const request = { tool_name: 'db', action: { type: i % 3 === 0 ? 'drop' : 'read' }, args: { i }, agent: { id: `agent-${i % 2}` } };
    log.append({ request, decision: evaluator.evaluate(request) });
  }
}

/** A closed store of `n` entries with checkpoints every `every` entries. */
function storeOf(n: number, every = 10): string {
  const path = tempStore();
  const log = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: every }) });
  fill(log, n);
  log.close();
  return path;
}

const INDEPENDENT = fileURLToPath(new URL('../../scripts/independent-verify.py', import.meta.url));

/**
 * Verifies a store with the library and with the independent Python check (which shares no
 * code with it), and insists they agree on whether it holds and on the first bad entry.
 */
function verifyAt(path: string) {
  const db = openStoreReadOnly(path);
  let result;
  try {
    result = verifySqliteStore(db);
  } finally {
    db.close();
  }
  const run = spawnSync('python3', [INDEPENDENT, path, '--json'], { encoding: 'utf8' });
  const independent = JSON.parse(run.stdout) as { ok: boolean; seq?: number };
  expect({ ok: independent.ok, seq: independent.seq ?? null }, `independent check: ${run.stdout}`).toEqual({ ok: result.ok, seq: result.firstBadSeq });
  return result;
}

function tamper(path: string, edit: (db: Database.Database) => void): void {
  const db = new Database(path);
  edit(db);
  db.close();
}

describe('SqliteAuditSink', () => {
  it('stores every entry, continues the chain when reopened, and verifies', () => {
    const path = tempStore();
    const first = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    fill(first, 25);
    const head = first.head;
    first.close();

    const second = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    expect(second.length).toBe(25);
    expect(second.head).toBe(head);
    fill(second, 5, 25);
    expect(second.entries().map((entry) => entry.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(second.verify()).toMatchObject({ ok: true, entries: 30 });
    second.close();
    expect(verifyAt(path)).toMatchObject({ ok: true, entries: 30, firstBadSeq: null });
  });

  it('keeps its signing key private and refuses a store signed with another key', () => {
    const path = tempStore();
    const sink = new SqliteAuditSink({ path });
    expect(statSync(sink.keyPath).mode & 0o777).toBe(0o600);
    expect(sink.publicKeyPem()).toContain('BEGIN PUBLIC KEY');
    sink.close();
    expect(() => new SqliteAuditSink({ path, keyPath: join(tempStore(), '..', 'other-key.pem') })).toThrow(/is not the key .* was signed with/);
  });

  it('group-commits a burst: nothing is visible until the tick ends, then all of it at once', async () => {
    const path = tempStore();
    const log = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    const reader = new Database(path, { readonly: true });
    const count = () => reader.prepare('SELECT count(*) FROM entries').pluck().get();
    fill(log, 100);
    expect(count()).toBe(0);
    const durable = log.durable();
    expect(durable).toBeInstanceOf(Promise);
    await durable;
    expect(count()).toBe(100);
    expect(log.durable()).toBeNull();
    reader.close();
    log.close();
  });

  it('signs checkpoints every N entries and seals the log when closed', () => {
    const path = storeOf(25, 10);
    const db = openStoreReadOnly(path);
    expect(db.prepare('SELECT size FROM checkpoints ORDER BY size').pluck().all()).toEqual([10, 20, 25]);
    expect(verifySqliteStore(db)).toMatchObject({ ok: true, checkpoints: 3 });
    db.close();
  });

  it('signs a checkpoint T ms after entries a checkpoint does not cover yet', async () => {
    const path = tempStore();
    const log = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 1000, checkpointIntervalMs: 20 }) });
    fill(log, 3);
    await log.durable();
    await new Promise((resolve) => setTimeout(resolve, 80));
    const reader = new Database(path, { readonly: true });
    expect(reader.prepare('SELECT size FROM checkpoints').pluck().all()).toEqual([3]);
    reader.close();
    log.close();
  });

  it('fails closed: a commit that fails rejects durable(), later appends throw, governed calls are denied', async () => {
    const path = tempStore();
    const audit = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    let ran = 0;
    const tool = govern(async (_call: { action: string }) => ++ran, { policy: evaluator, audit, name: 'db' });
    await tool({ action: 'read' });
    expect(ran).toBe(1);
    tamper(path, (db) => db.exec('DROP TABLE entries'));
    await expect(tool({ action: 'read' })).rejects.toThrow(GovernanceDenied);
    expect(ran).toBe(1);
    await expect(tool({ action: 'read' })).rejects.toThrow(/audit/);
    expect(ran).toBe(1);
  });

  it('a second writer on the same store fails closed, saying so', async () => {
    const path = tempStore();
    const first = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    const second = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    fill(first, 2);
    await first.durable();
    fill(second, 1);
    await expect(second.durable()).rejects.toThrow(/another writer appended to .*one process may append to a store at a time/);
    expect(() => fill(second, 1)).toThrow(/failed to commit/);
    second.close();
    first.close();
    expect(verifyAt(path)).toMatchObject({ ok: true, entries: 2 });
  });

  it('govern() runs the tool only after its decision is committed', async () => {
    const path = tempStore();
    const audit = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    const reader = new Database(path, { readonly: true });
    const seen: unknown[] = [];
    const tool = govern(
      async (_call: { action: string }) => {
        seen.push(reader.prepare(`SELECT json_extract(content, '$.verdict') FROM entries ORDER BY seq DESC LIMIT 1`).pluck().get());
        return 'ok';
      },
      { policy: evaluator, audit, name: 'db' },
    );
    await Promise.all([tool({ action: 'read' }), tool({ action: 'read' })]);
    expect(seen).toEqual(['allow', 'allow']);
    reader.close();
    audit.close();
  });

  it('govern() reports a denial only once its entry is committed', async () => {
    const path = tempStore();
    const audit = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    const reader = new Database(path, { readonly: true });
    const tool = govern(async (_call: { action: string }) => 'ran', { policy: evaluator, audit, name: 'db' });
    await expect(tool({ action: 'drop' })).rejects.toThrow(GovernanceDenied);
    expect(reader.prepare(`SELECT json_extract(content, '$.verdict') FROM entries ORDER BY seq DESC LIMIT 1`).pluck().get()).toBe('deny');
    reader.close();
    audit.close();
  });

  it('refuses a file that is not an audit store, with what to do', () => {
    const path = tempStore();
    tamper(path, (db) => db.exec('CREATE TABLE other (x)'));
    expect(() => new SqliteAuditSink({ path })).toThrow(/is not an agt audit store .*no 'meta' table/);
    expect(() => openStoreReadOnly(join(path, '..', 'missing.db'))).toThrow(/cannot open audit store/);
  });
});

describe('verifySqliteStore: tamper detection names the first bad entry', () => {
  it('an edited field', () => {
    const path = storeOf(30);
    tamper(path, (db) => db.prepare(`UPDATE entries SET content = CAST(replace(CAST(content AS TEXT), '"verdict":"deny"', '"verdict":"allow"') AS BLOB) WHERE seq = 13`).run());
    expect(verifyAt(path)).toMatchObject({ ok: false, firstBadSeq: 13, reason: expect.stringContaining('edited') });
  });

  it('a deleted entry', () => {
    const path = storeOf(30);
    tamper(path, (db) => db.prepare('DELETE FROM entries WHERE seq = 17').run());
    expect(verifyAt(path)).toMatchObject({ ok: false, firstBadSeq: 17, reason: expect.stringContaining('missing (deleted)') });
  });

  it('an inserted entry', () => {
    const path = storeOf(30);
    tamper(path, (db) => {
      const copy = db.prepare('SELECT content, hash FROM entries WHERE seq = 4').get() as { content: Buffer; hash: string };
      for (let seq = 30; seq >= 9; seq--) db.prepare('UPDATE entries SET seq = seq + 1 WHERE seq = ?').run(seq);
      db.prepare('INSERT INTO entries (seq, content, hash) VALUES (9, ?, ?)').run(copy.content, copy.hash);
    });
    expect(verifyAt(path)).toMatchObject({ ok: false, firstBadSeq: 9 });
  });

  it('two swapped entries', () => {
    const path = storeOf(30);
    tamper(path, (db) => {
      db.exec(`UPDATE entries SET seq = -1 WHERE seq = 21; UPDATE entries SET seq = 21 WHERE seq = 22; UPDATE entries SET seq = 22 WHERE seq = -1;`);
    });
    expect(verifyAt(path)).toMatchObject({ ok: false, firstBadSeq: 21 });
  });

  it('a truncated tail, against the last checkpoint', () => {
    const path = storeOf(30);
    tamper(path, (db) => db.prepare('DELETE FROM entries WHERE seq > 26').run());
    expect(verifyAt(path)).toMatchObject({ ok: false, firstBadSeq: 27, badCheckpoint: 30, reason: expect.stringContaining('truncated') });
  });

  it('a forged checkpoint signature', () => {
    const path = storeOf(30);
    tamper(path, (db) => {
      const signature = db.prepare('SELECT signature FROM checkpoints WHERE size = 20').pluck().get() as string;
      const forged = Buffer.from(signature, 'base64');
      forged[5] = (forged[5] as number) ^ 1;
      db.prepare('UPDATE checkpoints SET signature = ? WHERE size = 20').run(forged.toString('base64'));
    });
    expect(verifyAt(path)).toMatchObject({ ok: false, firstBadSeq: 20, badCheckpoint: 20, reason: expect.stringMatching(/checkpoint at size 20: signature does not match: the checkpoint was altered or signed with another key/) });
  });

  it('a chain rewritten consistently after a checkpoint was signed', () => {
    const path = storeOf(30);
    // A whole new, self-consistent chain, as an attacker with the chain code (but not the signing key) could write.
    const forgedPath = tempStore();
    const forger = new AuditLog({ sink: new SqliteAuditSink({ path: forgedPath, checkpointEvery: 1000 }) });
    fill(forger, 30);
    forger.close();
    tamper(path, (db) => {
      const forged = new Database(forgedPath, { readonly: true });
      db.exec('DELETE FROM entries');
      for (const row of forged.prepare('SELECT seq, content, hash FROM entries').all() as { seq: number; content: Buffer; hash: string }[]) {
        db.prepare('INSERT INTO entries (seq, content, hash) VALUES (?, ?, ?)').run(row.seq, row.content, row.hash);
      }
      forged.close();
    });
    expect(verifyAt(path)).toMatchObject({ ok: false, firstBadSeq: 1, badCheckpoint: 10, reason: expect.stringContaining('Merkle root does not match') });
  });

  it('a malformed row does not crash verification', () => {
    const path = storeOf(30);
    tamper(path, (db) => db.prepare(`UPDATE entries SET hash = 'not-a-hash' WHERE seq = 6`).run());
    expect(verifyAt(path)).toMatchObject({ ok: false, firstBadSeq: 6, reason: expect.stringContaining('malformed row') });
    tamper(path, (db) => db.prepare(`UPDATE entries SET content = 42 WHERE seq = 3`).run());
    expect(verifyAt(path)).toMatchObject({ ok: false, firstBadSeq: 3 });
  });
});

describe('verifySqliteStore on two threads', () => {
  const big = PARALLEL_MIN_ENTRIES + 5000;
  const path = storeOf(big, 1000);

  it('gives the same answers as one thread, wherever the bad entry lies', () => {
    const both = () => {
      const db = openStoreReadOnly(path);
      try {
        const [one, two] = [verifySqliteStore(db, { parallel: false }), verifySqliteStore(db)];
        expect(two).toEqual(one);
        return two;
      } finally {
        db.close();
      }
    };
    expect(both()).toMatchObject({ ok: true, entries: big, checkpoints: Math.ceil(big / 1000) });
    // in the half the helper thread checks, then in the calling thread's half as well
    tamper(path, (db) => db.prepare('DELETE FROM entries WHERE seq = ?').run(big - 10));
    expect(both()).toMatchObject({ ok: false, firstBadSeq: big - 10, reason: expect.stringContaining('missing (deleted)') });
    tamper(path, (db) => db.prepare(`UPDATE entries SET content = CAST(replace(CAST(content AS TEXT), '"agent":"agent-1"', '"agent":"agent-9"') AS BLOB) WHERE seq = 1002`).run());
    expect(both()).toMatchObject({ ok: false, firstBadSeq: 1002, reason: expect.stringContaining('edited') });
    // an identity column edited in each half: the earlier one is named, on either thread
    tamper(path, (db) => db.prepare('UPDATE entries SET input_identity = ? WHERE seq IN (?, ?)').run('ab'.repeat(32), big - 20, 900));
    expect(both()).toMatchObject({ ok: false, firstBadSeq: 900, reason: expect.stringContaining('identity column') });
  });

  it('reports progress up to the whole log', () => {
    const fresh = storeOf(big, 1000);
    const db = openStoreReadOnly(fresh);
    const seen: number[] = [];
    verifySqliteStore(db, { onProgress: (done, total) => (expect(total).toBe(big), seen.push(done)) });
    db.close();
    expect(seen.length).toBeGreaterThan(2);
    expect(Math.max(...seen)).toBe(big);
  });
});

describe('a store deleted or replaced while the writer runs', () => {
  it('fails closed on the next commit instead of acknowledging entries that exist nowhere', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { AuditLog } = await import('../../src/audit/audit-log.js');
    const { SqliteAuditSink } = await import('../../src/audit/sqlite-sink.js');
    const { PolicyEvaluator } = await import('../../src/policy/evaluator.js');
    const { govern } = await import('../../src/kernel/govern.js');
    for (const how of ['deleted', 'replaced'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'agt-deleted-'));
      const path = join(dir, 'audit.db');
      const sink = new SqliteAuditSink({ path, checkpointIntervalMs: 60_000 });
      const audit = new AuditLog({ sink });
      let runs = 0;
      const tool = govern(async () => (runs += 1), { policy: PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules: []\n'), name: 't', audit });
      await tool();
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
      if (how === 'replaced') writeFileSync(path, '');
      await expect(tool()).rejects.toMatchObject({ decision: { reason: expect.stringMatching(new RegExp(`runtime_error:audit: .*was ${how === 'deleted' ? 'deleted' : 'replaced by another file'} while open`)) } });
      await expect(tool()).rejects.toMatchObject({ code: 'ERR_AGT_DENIED' });
      expect(runs).toBe(1);
      sink.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
