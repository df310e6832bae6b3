import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { CheckpointSigner } from '../../src/audit/checkpoint.js';
import { FileWitness } from '../../src/audit/file-witness.js';
import { SqliteAuditSink } from '../../src/audit/sqlite-sink.js';
import { NO_WITNESS_WARNING } from '../../src/audit/sqlite-verify.js';
import type { Witness, WitnessStatement } from '../../src/audit/witness.js';
import { fill, rewrite, tamper, tempDir, verifyAlone, verifyWitnessed, witnessedStore } from './witness-fixtures.js';

const lines = (file: string): WitnessStatement[] => readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as WitnessStatement);

describe('an honest store with a witness', () => {
  it('publishes every checkpoint, with its key and cadence, and verifies against the witness by default', async () => {
    const { path, witness } = witnessedStore(25, 10);
    const statements = lines(witness);
    expect(statements.map((s) => s.checkpoint.size)).toEqual([10, 20, 25]);
    expect(statements[0]).toMatchObject({ format: 'agt-witness/1', checkpointEvery: 10, publicKey: expect.stringContaining('BEGIN PUBLIC KEY') });
    const result = await verifyWitnessed(path);
    expect(result).toMatchObject({ ok: true, entries: 25, checkpointEvery: 10, witnessed: { size: 25, statements: 3, witnesses: [witness] }, warnings: [] });
  });

  it('stays verifiable across reopening (with another cadence), interval checkpoints and close', async () => {
    const { path, witness } = witnessedStore(15, 10);
    // Reopened with a larger cadence: the store keeps the one it promised.
    const looser = new SqliteAuditSink({ path, checkpointEvery: 1000, checkpointIntervalMs: 20, witnesses: [new FileWitness(witness)] });
    const log = new AuditLog({ sink: looser });
    fill(log, 23);
    await log.durable();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the interval checkpoint
    fill(log, 4);
    log.close();
    // Reopened with a smaller cadence: it signs more often, which keeps the promise too.
    const tighter = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 3, witnesses: [new FileWitness(witness)] }) });
    fill(tighter, 7);
    tighter.close();
    const sizes = lines(witness).map((s) => s.checkpoint.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(sizes.at(-1)).toBe(49);
    expect(new Set(lines(witness).map((s) => s.checkpointEvery))).toEqual(new Set([10]));
    expect(await verifyWitnessed(path)).toMatchObject({ ok: true, entries: 49, checkpointEvery: 10, witnessed: { size: 49 } });
  });

  it('says, without failing, that completeness was not checked when there is no witness', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.db');
    const log = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 10 }) });
    fill(log, 12);
    log.close();
    expect(await verifyWitnessed(path)).toMatchObject({ ok: true, witnessed: null, checkpointEvery: 10, warnings: [NO_WITNESS_WARNING] });
  });

  it('publishes only what is committed: the witness sees the checkpoint row from another connection', () => {
    const dir = tempDir();
    const path = join(dir, 'audit.db');
    const seen: (number | undefined)[] = [];
    const probe: Witness = {
      location: null,
      publish(statement) {
        const reader = new Database(path, { readonly: true });
        seen.push(reader.prepare('SELECT size FROM checkpoints WHERE size = ?').pluck().get(statement.checkpoint.size) as number | undefined);
        reader.close();
      },
    };
    const log = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 5, witnesses: [probe] }) });
    fill(log, 12);
    log.close();
    expect(seen).toEqual([5, 10, 12]);
  });

  it('records the witness locations in the store, once each', () => {
    const { path, witness } = witnessedStore(5, 10);
    new AuditLog({ sink: new SqliteAuditSink({ path, witnesses: [new FileWitness(witness)] }) }).close();
    const db = new Database(path, { readonly: true });
    expect(JSON.parse(db.prepare("SELECT value FROM meta WHERE key = 'witnesses'").pluck().get() as string)).toEqual([witness]);
    db.close();
  });
});

describe('a witness that cannot take a checkpoint fails closed', () => {
  it('breaks the store: the batch that completed the checkpoint is refused and later appends throw', async () => {
    const dir = tempDir();
    const log = new AuditLog({ sink: new SqliteAuditSink({ path: join(dir, 'audit.db'), checkpointEvery: 5, witnesses: [new FileWitness(dir)] }) });
    fill(log, 5);
    await expect(log.durable()).rejects.toThrow(/could not publish checkpoint 5 to witness .*: .*EISDIR.*nothing more is accepted/);
    expect(() => fill(log, 1)).toThrow(/could not publish checkpoint 5/);
    expect(() => log.close()).not.toThrow();
  });

  it('an asynchronous witness that rejects breaks it too', async () => {
    const failing: Witness = { location: null, publish: () => Promise.reject(new Error('witness offline')) };
    const sink = new SqliteAuditSink({ path: join(tempDir(), 'audit.db'), checkpointEvery: 5, witnesses: [failing] });
    const log = new AuditLog({ sink });
    fill(log, 5);
    await expect(log.durable()).rejects.toThrow(/could not publish checkpoint 5 .*witness offline/);
    await expect(sink.published()).rejects.toThrow(/witness offline/);
    expect(() => fill(log, 1)).toThrow(/witness offline/);
    log.close();
  });
});

describe('attacks a store alone cannot see, caught by its witness (issue 9)', () => {
  it('checkpoints deleted, then the chain edited and rehashed (and the promised cadence edited to hide it)', async () => {
    const { path } = witnessedStore(30, 10);
    rewrite(path, 30, { resign: false });
    tamper(path, (db) => db.exec("UPDATE meta SET value = '1000' WHERE key = 'checkpoint_every'"));
    expect(verifyAlone(path)).toMatchObject({ ok: true, warnings: [NO_WITNESS_WARNING] });
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, firstBadSeq: 1, badCheckpoint: 10, reason: expect.stringMatching(/^entries 1\.\.10 are not the ones a witness saw in checkpoint 10 \(signed .*\): the chain was rewritten$/) });
  });

  it('a tail truncated together with its checkpoints', async () => {
    const { path } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec('DELETE FROM entries WHERE seq > 22; DELETE FROM checkpoints WHERE size > 22'));
    expect(verifyAlone(path)).toMatchObject({ ok: true, entries: 22 });
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, firstBadSeq: 23, badCheckpoint: 30, reason: expect.stringMatching(/^entries 23\.\.30 are missing: a witness saw 30 entries at .* and the store has 22 \(truncated\)$/) });
  });

  it('a WAL truncated after a crash: 1,500 acknowledged and witnessed, 1,282 present', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.db');
    const witness = join(dir, 'witness.jsonl');
    const sink = new SqliteAuditSink({ path, checkpointEvery: 1000, checkpointIntervalMs: 600_000, witnesses: [new FileWitness(witness)] });
    const log = new AuditLog({ sink });
    fill(log, 1500);
    await log.durable();
    sink.checkpoint(); // what the interval timer does a moment later
    tamper(path, (db) => db.exec('DELETE FROM entries WHERE seq > 1282; DELETE FROM checkpoints WHERE size > 1282'));
    expect(verifyAlone(path)).toMatchObject({ ok: true, entries: 1282 });
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, firstBadSeq: 1283, reason: expect.stringMatching(/^entries 1283\.\.1500 are missing: a witness saw 1500 entries at /) });
  });

  it('a chain rewritten and re-signed with a new key fails the default verify (the witness holds the key)', async () => {
    const { path } = witnessedStore(30, 10);
    rewrite(path, 30, { resign: true });
    expect(verifyAlone(path)).toMatchObject({ ok: true, checkpoints: 3 });
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, reason: expect.stringMatching(/^the store's public key is not the key witness .* line 1 holds: the log was re-signed with another key/) });
  });

  it('deleted checkpoints are named', async () => {
    const { path } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec('DELETE FROM checkpoints WHERE size = 20'));
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, badCheckpoint: 20, reason: expect.stringMatching(/^checkpoint 20 \(signed .*, held by witness .* line 2\) is missing from the store's checkpoints table \(deleted\)$/) });
  });

  it('the witness given by the auditor is read even when the store no longer names it', async () => {
    const { path, witness } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec("DELETE FROM entries WHERE seq > 22; DELETE FROM checkpoints WHERE size > 22; DELETE FROM meta WHERE key = 'witnesses'"));
    expect(await verifyWitnessed(path)).toMatchObject({ ok: true, warnings: [NO_WITNESS_WARNING] });
    expect(await verifyWitnessed(path, { witnesses: [witness] })).toMatchObject({ ok: false, firstBadSeq: 23 });
  });

  it('a recorded witness that is gone is a failure, not a pass', async () => {
    const { path, witness } = witnessedStore(12, 10);
    writeFileSync(witness, '');
    expect(await verifyWitnessed(path)).toMatchObject({ ok: true, witnessed: null, warnings: [expect.stringMatching(/holds no checkpoint yet/), expect.stringMatching(/witnesses hold no checkpoint/)] });
    const { rmSync } = await import('node:fs');
    rmSync(witness);
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, reason: expect.stringMatching(/^witness .*witness\.jsonl cannot be read: it does not exist/) });
  });

  it('loses nothing it can see: entries after the latest witnessed checkpoint are the documented window', async () => {
    const { path } = witnessedStore(25, 10);
    tamper(path, (db) => db.exec('DELETE FROM entries WHERE seq > 22; DELETE FROM checkpoints WHERE size > 22'));
    // The witness saw 25 at close: 23..25 are missing.
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, firstBadSeq: 23 });
  });
});

describe('checkpoint cadence', () => {
  it('1,500 entries and no checkpoint when one is due every 1,000 is a failure', () => {
    const { path } = witnessedStore(1500, 1000);
    tamper(path, (db) => db.exec('DELETE FROM checkpoints'));
    expect(verifyAlone(path)).toMatchObject({ ok: false, firstBadSeq: 1, badCheckpoint: 1000, reason: 'entries 1..1500 are not covered by a checkpoint, though one is due every 1000 entries: checkpoints were deleted' });
  });

  it('a gap between checkpoints wider than the cadence is named', () => {
    const { path } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec('DELETE FROM checkpoints WHERE size = 20'));
    expect(verifyAlone(path)).toMatchObject({ ok: false, firstBadSeq: 11, badCheckpoint: 20, reason: expect.stringContaining('no checkpoint covers entries 11..20, though one is due every 10 entries (the next is at 30)') });
  });

  it('a cadence edited in the store disagrees with the witness', async () => {
    const { path } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec("UPDATE meta SET value = '20' WHERE key = 'checkpoint_every'"));
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, reason: 'the store says a checkpoint is due every 20 entries, its witnesses every 10: the meta table was edited' });
  });

  it('a store written before the cadence was recorded verifies with a warning, and gets the smallest promise its checkpoints keep', async () => {
    const { path } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec("DELETE FROM meta WHERE key = 'checkpoint_every'"));
    expect(verifyAlone(path)).toMatchObject({ ok: true, checkpointEvery: null, warnings: [NO_WITNESS_WARNING, expect.stringContaining('cadence not checked')] });
    new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 4 }) }).close();
    expect(verifyAlone(path)).toMatchObject({ ok: true, checkpointEvery: 10 });
  });
});

describe('forged witness statements', () => {
  it('an altered statement fails, naming its line', async () => {
    const { path, witness } = witnessedStore(30, 10);
    const text = readFileSync(witness, 'utf8').split('\n');
    const second = JSON.parse(text[1] as string) as WitnessStatement;
    second.checkpoint.root = 'ab'.repeat(32);
    text[1] = JSON.stringify(second);
    writeFileSync(witness, text.join('\n'));
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, reason: expect.stringMatching(/^witness .* line 2: its checkpoint does not verify under the key it names .*forged or altered$/) });
  });

  it('a statement signed with another key fails: a log has one key', async () => {
    const { path, witness } = witnessedStore(30, 10);
    const other = CheckpointSigner.generate();
    const first = lines(witness)[0] as WitnessStatement;
    appendFileSync(witness, JSON.stringify({ ...first, checkpoint: other.sign(40, 'cd'.repeat(32)), publicKey: other.publicKeyPem() }) + '\n');
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, reason: expect.stringMatching(/line 4 names another log key than .* line 1: the log was re-keyed/) });
  });

  it('a line that is not a statement fails, naming it', async () => {
    const { path, witness } = witnessedStore(12, 10);
    const first = lines(witness)[0] as WitnessStatement;
    appendFileSync(witness, '{"format":"agt-witness/1"\n');
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, reason: expect.stringMatching(/line 3: not JSON$/) });
    writeFileSync(witness, JSON.stringify({ ...first, checkpointEvery: 0 }) + '\n');
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, reason: expect.stringMatching(/line 1: checkpointEvery is not a positive whole number$/) });
  });
});
