import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { CheckpointSigner } from '../../src/audit/checkpoint.js';
import { FileWitness } from '../../src/audit/file-witness.js';
import { SqliteAuditSink } from '../../src/audit/sqlite-sink.js';
import type { WitnessStatement } from '../../src/audit/witness.js';
import { fill, rewrite, tamper, tempDir, verifyIndependently, verifyWitnessed, witnessedStore } from './witness-fixtures.js';

// The attacks of issue 9 against scripts/independent-verify.py --witness, which shares no code
// with the library: it must agree with the library on whether the store holds and where it breaks.

async function bothAgree(path: string, witness: string) {
  const library = await verifyWitnessed(path, { witnesses: [witness] });
  const independent = verifyIndependently(path, '--witness', witness);
  expect(independent.json, independent.stderr).not.toBeNull();
  expect({ ok: independent.json?.ok, seq: independent.json?.seq ?? null }, independent.stdout).toEqual({ ok: library.ok, seq: library.firstBadSeq });
  return { library, independent: independent.json as { ok: boolean; seq?: number | null; reason?: string } };
}

describe('scripts/independent-verify.py --witness', () => {
  it('passes honest stores (reopened, closed) against their witness', async () => {
    const { path, witness } = witnessedStore(25, 10);
    const reopened = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 7, witnesses: [new FileWitness(witness)] }) });
    fill(reopened, 9);
    reopened.close();
    const { independent } = await bothAgree(path, witness);
    expect(independent.ok).toBe(true);
  });

  it('without a witness, says completeness was not checked', () => {
    const { path } = witnessedStore(12, 10);
    expect(verifyIndependently(path)).toMatchObject({ status: 0, stderr: 'warning: completeness not checked: no --witness given' });
  });

  it('checkpoints deleted, then the chain edited and rehashed', async () => {
    const { path, witness } = witnessedStore(30, 10);
    rewrite(path, 30, { resign: false });
    tamper(path, (db) => db.exec("UPDATE meta SET value = '1000' WHERE key = 'checkpoint_every'"));
    expect(verifyIndependently(path).json).toMatchObject({ ok: true });
    const { independent } = await bothAgree(path, witness);
    expect(independent).toMatchObject({ ok: false, seq: 1, reason: expect.stringMatching(/entries 1\.\.10 are not the ones .* saw in checkpoint 10: the chain was rewritten/) });
  });

  it('a tail truncated together with its checkpoints', async () => {
    const { path, witness } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec('DELETE FROM entries WHERE seq > 22; DELETE FROM checkpoints WHERE size > 22'));
    expect(verifyIndependently(path).json).toMatchObject({ ok: true });
    expect((await bothAgree(path, witness)).independent).toMatchObject({ ok: false, seq: 23, reason: expect.stringContaining('entries 23..30 are missing') });
  });

  it('a WAL truncated after a crash, against a witness that saw more', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.db');
    const witness = join(dir, 'witness.jsonl');
    const sink = new SqliteAuditSink({ path, checkpointEvery: 1000, checkpointIntervalMs: 600_000, witnesses: [new FileWitness(witness)] });
    const log = new AuditLog({ sink });
    fill(log, 1500);
    await log.durable();
    sink.checkpoint();
    tamper(path, (db) => db.exec('DELETE FROM entries WHERE seq > 1282; DELETE FROM checkpoints WHERE size > 1282'));
    expect((await bothAgree(path, witness)).independent).toMatchObject({ ok: false, seq: 1283, reason: expect.stringContaining('entries 1283..1500 are missing') });
  });

  it('a chain re-signed with a new key', async () => {
    const { path, witness } = witnessedStore(30, 10);
    rewrite(path, 30, { resign: true });
    expect(verifyIndependently(path).json).toMatchObject({ ok: true });
    expect((await bothAgree(path, witness)).independent).toMatchObject({ ok: false, reason: expect.stringContaining('re-signed with another key') });
  });

  it('deleted checkpoints, and a store with no checkpoint when one was due', async () => {
    const { path, witness } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec('DELETE FROM checkpoints WHERE size = 20'));
    expect((await bothAgree(path, witness)).independent).toMatchObject({ ok: false, reason: expect.stringContaining('checkpoint 20') });
    const big = witnessedStore(1500, 1000);
    tamper(big.path, (db) => db.exec('DELETE FROM checkpoints'));
    expect(verifyIndependently(big.path).json).toMatchObject({ ok: false, seq: 1, reason: expect.stringContaining('entries 1..1500 are not covered by a checkpoint, though one is due every 1000 entries') });
  });

  it('forged and malformed statements', async () => {
    const { path, witness } = witnessedStore(30, 10);
    const original = readFileSync(witness, 'utf8');
    const text = original.split('\n');
    const altered = JSON.parse(text[1] as string) as WitnessStatement;
    altered.checkpoint.root = 'ab'.repeat(32);
    text[1] = JSON.stringify(altered);
    writeFileSync(witness, text.join('\n'));
    expect((await bothAgree(path, witness)).independent).toMatchObject({ ok: false, reason: expect.stringMatching(/line 2: its checkpoint does not verify/) });

    writeFileSync(witness, original);
    const other = CheckpointSigner.generate();
    appendFileSync(witness, JSON.stringify({ ...altered, checkpoint: other.sign(40, 'cd'.repeat(32)), publicKey: other.publicKeyPem() }) + '\n');
    expect((await bothAgree(path, witness)).independent).toMatchObject({ ok: false, reason: expect.stringMatching(/line 4 names another log key/) });

    writeFileSync(witness, original + 'not json\n');
    expect((await bothAgree(path, witness)).independent).toMatchObject({ ok: false, reason: expect.stringMatching(/line 4: not JSON/) });
  });
});
