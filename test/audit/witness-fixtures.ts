import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { AuditLog } from '../../src/audit/audit-log.js';
import { FileWitness } from '../../src/audit/file-witness.js';
import { SqliteAuditSink, type SqliteAuditSinkOptions } from '../../src/audit/sqlite-sink.js';
import { openStoreReadOnly, verifySqliteStore, type StoreVerifyResult } from '../../src/audit/sqlite-verify.js';
import { verifyWitnessedStore, type WitnessedVerifyOptions } from '../../src/audit/verify-witnessed.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

/** Stores, witnesses and attacks shared by the witness tests (the library's and the independent script's). */

const evaluator = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: witness-test
default_action: allow
rules:
  - { name: no-drop, condition: "action.type == 'drop'", action: deny, message: "no dropping" }
`);

/** A fresh directory for a store and, beside it (as if on another volume), its witness file. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'agt-witness-'));
}

/** Appends `n` decisions; `salt` makes a different (forged) history of the same shape. */
export function fill(log: AuditLog, n: number, salt = ''): void {
  const from = log.length;
  for (let i = from; i < from + n; i++) {
    const request = { tool_name: 'db', action: { type: i % 3 === 0 ? 'drop' : 'read' }, args: { i, salt }, agent: { id: `agent-${i % 2}` } };
    log.append({ request, decision: evaluator.evaluate(request) });
  }
}

/** A closed store of `n` entries with checkpoints every `every`, published to a witness file. */
export function witnessedStore(n: number, every = 10, options: Partial<SqliteAuditSinkOptions> = {}): { path: string; witness: string } {
  const dir = tempDir();
  const path = join(dir, 'audit.db');
  const witness = join(dir, 'other-volume', 'witness.jsonl');
  const log = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: every, checkpointIntervalMs: 600_000, witnesses: [new FileWitness(witness)], ...options }) });
  fill(log, n);
  log.close();
  return { path, witness };
}

/** Edits a store as someone with write access to the file would. */
export function tamper(path: string, edit: (db: Database.Database) => void): void {
  const db = new Database(path);
  edit(db);
  db.close();
}

/**
 * Replaces every entry with a self-consistent forged chain of `n` entries (every hash and link
 * recomputed), as an attacker with the chain code could write; `resign` also replaces the
 * checkpoints and the public key with a new key's (otherwise the checkpoints table is left empty).
 */
export function rewrite(path: string, n: number, how: { resign: boolean }): void {
  const dir = tempDir();
  const forgedPath = join(dir, 'forged.db');
  const forger = new AuditLog({ sink: new SqliteAuditSink({ path: forgedPath, checkpointEvery: 10, checkpointIntervalMs: 600_000 }) });
  fill(forger, n, 'forged');
  forger.close();
  tamper(path, (db) => {
    const forged = new Database(forgedPath, { readonly: true });
    db.exec('DELETE FROM entries; DELETE FROM checkpoints');
    const insert = db.prepare('INSERT INTO entries (seq, content, hash, input_identity, enforced_identity) VALUES (?, ?, ?, ?, ?)');
    for (const row of forged.prepare('SELECT seq, content, hash, input_identity, enforced_identity FROM entries').all() as Record<string, unknown>[]) {
      insert.run(row.seq, row.content, row.hash, row.input_identity, row.enforced_identity);
    }
    if (how.resign) {
      db.exec(`ATTACH DATABASE '${forgedPath.replaceAll("'", "''")}' AS forged`);
      db.exec(`INSERT INTO checkpoints SELECT * FROM forged.checkpoints; UPDATE meta SET value = (SELECT value FROM forged.meta WHERE key = 'public_key') WHERE key = 'public_key'`);
      db.exec('DETACH DATABASE forged');
    }
    forged.close();
  });
}

/** The store checked by itself (no witness read at all), as `agt audit verify` did before witnesses. */
export function verifyAlone(path: string): StoreVerifyResult {
  const db = openStoreReadOnly(path);
  try {
    return verifySqliteStore(db);
  } finally {
    db.close();
  }
}

/** The store checked against its recorded witnesses and any given. */
export async function verifyWitnessed(path: string, options: WitnessedVerifyOptions = {}): Promise<StoreVerifyResult> {
  const db = openStoreReadOnly(path);
  try {
    return await verifyWitnessedStore(db, options);
  } finally {
    db.close();
  }
}

const INDEPENDENT = fileURLToPath(new URL('../../scripts/independent-verify.py', import.meta.url));

/** The independent Python verifier's answer. */
export function verifyIndependently(path: string, ...args: string[]): { status: number | null; stdout: string; stderr: string; json: { ok: boolean; seq?: number; reason?: string; warnings?: string[] } | null } {
  const run = spawnSync('python3', [INDEPENDENT, path, '--json', ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim(), json: parseOrNull(run.stdout) };
}

function parseOrNull(text: string): { ok: boolean; seq?: number; reason?: string } | null {
  try {
    return JSON.parse(text) as { ok: boolean; seq?: number; reason?: string };
  } catch {
    return null;
  }
}
