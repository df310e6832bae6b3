import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { CheckpointSigner } from '../../src/audit/checkpoint.js';
import { MerkleTree } from '../../src/audit/merkle.js';
import type { AuditRecord, AuditSink } from '../../src/audit/sink.js';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

// The auditor's script shares no code with the library; these tests build stores with the
// library (AuditLog, MerkleTree, CheckpointSigner) exactly as the SQLite store lays them out,
// tamper with them as an attacker with write access to the file would, and check that the
// script names the first bad sequence number each time.

const SCRIPT = join(import.meta.dirname, '../../scripts/independent-verify.py');
const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (seq INTEGER PRIMARY KEY, content BLOB NOT NULL, hash TEXT NOT NULL);
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, root TEXT NOT NULL, timestamp TEXT NOT NULL, signature TEXT NOT NULL);
`;
const ENTRIES = 10;
const CHECKPOINTS = [4, 8];
const signer = CheckpointSigner.generate();
const evaluator = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: verifier-test
default_action: allow
rules:
  - { name: no-drop, condition: "action.type == 'drop'", action: deny, message: "no dropping \\"prod\\" \\\\ tables\\ttoday" }
`);
/** Agent names that JSON must escape, or that sort or encode differently in UTF-16 and UTF-8. */
const AGENTS = ['plain', 'quote " and back \\ slash', 'controls \u0000\u0001\u001f\b\f\n\r\t', 'unicode é 漢字 \u2028 \u007f /', 'emoji 😀', 'lone \ud800 surrogate', '\uff61 half-width'];

/** Entries made by the library's AuditLog, captured as the store would receive them. */
function makeRecords(count: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  const sink: AuditSink = {
    append: (record) => void records.push(record),
    last: () => records.at(-1)?.entry ?? null,
    read: () => records.map((r) => r.entry),
    verify: () => ({ ok: true, entries: records.length, firstBadSeq: null, reason: null }),
    flush: () => undefined,
    close: () => undefined,
  };
  const log = new AuditLog({ sink, clock: () => Date.UTC(2026, 0, 1) });
  for (let i = 0; i < count; i++) {
    const request = { tool_name: i % 2 ? 'db' : 'shell', action: { type: i % 3 === 0 ? 'drop' : 'read' }, args: { i }, agent: AGENTS[i % AGENTS.length] as string };
    log.append({ request, decision: evaluator.evaluate(request) });
  }
  return records;
}

const RECORDS = makeRecords(ENTRIES);

/** A store laid out as the SQLite sink lays it out: entries, and checkpoints signed at `checkpoints` sizes. */
function buildStore(options: { schema?: string; checkpoints?: number[] } = {}): { path: string; db: Database.Database } {
  const path = join(mkdtempSync(join(tmpdir(), 'agt-verify-')), 'audit.db');
  const db = new Database(path);
  db.exec(options.schema ?? SCHEMA);
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('public_key', signer.publicKeyPem());
  const insertEntry = db.prepare('INSERT INTO entries (seq, content, hash) VALUES (?, ?, ?)');
  const insertCheckpoint = db.prepare('INSERT INTO checkpoints (size, root, timestamp, signature) VALUES (?, ?, ?, ?)');
  const tree = new MerkleTree();
  for (const { entry, content } of RECORDS) {
    insertEntry.run(entry.seq, Buffer.from(content, 'utf8'), entry.hash);
    tree.appendEntryHash(entry.hash);
    if ((options.checkpoints ?? CHECKPOINTS).includes(tree.size)) {
      const checkpoint = signer.sign(tree.size, tree.root(), '2026-01-01T00:00:00.000Z');
      insertCheckpoint.run(checkpoint.size, checkpoint.root, checkpoint.timestamp, checkpoint.signature);
    }
  }
  return { path, db };
}

/** Runs the verifier on a store (closing our handle first, as a separate auditor would find it). */
function verify(store: { path: string; db: Database.Database }, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (store.db.open) store.db.close();
  const result = spawnSync('python3', [SCRIPT, store.path, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

const contentOf = (db: Database.Database, seq: number): string => ((db.prepare('SELECT content FROM entries WHERE seq = ?').get(seq) as { content: Buffer }).content).toString('utf8');
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
/** Moves entries from `from` onward up by one seq, leaving `from` free (highest first: seq is the primary key). */
const shiftUp = (db: Database.Database, from: number): void => {
  db.prepare('UPDATE entries SET seq = -(seq + 1) WHERE seq >= ?').run(from);
  db.prepare('UPDATE entries SET seq = -seq WHERE seq < 0').run();
};

describe('scripts/independent-verify.py', () => {
  it('passes an intact store, including content that JSON must escape', () => {
    // What a store alone cannot show is said, on stderr, without failing.
    expect(verify(buildStore())).toEqual({
      status: 0,
      stdout: `OK: ${ENTRIES} entries, ${CHECKPOINTS.length} checkpoints verified`,
      stderr: 'warning: completeness not checked: no --witness given\nwarning: checkpoint cadence not checked: the store records none',
    });
  });

  it('reports an edited field at its entry', () => {
    const store = buildStore();
    store.db.prepare('UPDATE entries SET content = ? WHERE seq = 5').run(Buffer.from(contentOf(store.db, 5).replace('"verdict":"allow"', '"verdict":"deny"')));
    const result = verify(store);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^TAMPERED at seq 5: .*hash.*edited/);
  });

  it('reports a deleted entry at the gap', () => {
    const store = buildStore();
    store.db.prepare('DELETE FROM entries WHERE seq = 6').run();
    expect(verify(store).stdout).toMatch(/^TAMPERED at seq 6: entry 6 is missing \(deleted\)/);
  });

  it('reports an inserted entry where it was inserted, even when it is well formed and linked', () => {
    const store = buildStore();
    const forged = JSON.parse(contentOf(store.db, 6)) as Record<string, unknown>;
    forged.reason = 'nothing to see here';
    const content = canonicalJson(forged);
    shiftUp(store.db, 6);
    store.db.prepare('INSERT INTO entries (seq, content, hash) VALUES (6, ?, ?)').run(Buffer.from(content), sha256(content));
    expect(verify(store).stdout).toMatch(/^TAMPERED at seq 6: entry 6 was inserted/);
  });

  it('reports an entry inserted at the very start', () => {
    const store = buildStore();
    const forged = { ...(JSON.parse(contentOf(store.db, 1)) as Record<string, unknown>), agent: 'mallory' };
    const content = canonicalJson(forged);
    shiftUp(store.db, 1);
    store.db.prepare('INSERT INTO entries (seq, content, hash) VALUES (1, ?, ?)').run(Buffer.from(content), sha256(content));
    expect(verify(store).stdout).toMatch(/^TAMPERED at seq 1: entry 1 was inserted/);
  });

  it('reports two swapped entries at the first of them', () => {
    const store = buildStore();
    const rows = store.db.prepare('SELECT seq, content, hash FROM entries WHERE seq IN (6, 7) ORDER BY seq').all() as { content: Buffer; hash: string }[];
    const update = store.db.prepare('UPDATE entries SET content = ?, hash = ? WHERE seq = ?');
    update.run(rows[1]?.content, rows[1]?.hash, 6);
    update.run(rows[0]?.content, rows[0]?.hash, 7);
    expect(verify(store).stdout).toMatch(/^TAMPERED at seq 6: content says seq 7 but it is stored at seq 6/);
  });

  it('reports a tail truncated after a checkpoint at the first missing entry', () => {
    const store = buildStore();
    store.db.prepare('DELETE FROM entries WHERE seq > 6').run();
    expect(verify(store).stdout).toMatch(/^TAMPERED at seq 7: .*checkpoint covers 8 entries but the store ends at 6 \(tail truncated\)/);
  });

  it('reports a forged checkpoint signature at the checkpoint', () => {
    const store = buildStore();
    const forger = CheckpointSigner.generate();
    const { root, timestamp } = store.db.prepare('SELECT root, timestamp FROM checkpoints WHERE size = 8').get() as { root: string; timestamp: string };
    store.db.prepare('UPDATE checkpoints SET signature = ? WHERE size = 8').run(forger.sign(8, root, timestamp).signature);
    expect(verify(store).stdout).toMatch(/^TAMPERED at seq 8: checkpoint of size 8: signature does not verify/);
  });

  it('reports a checkpoint whose signed root was changed', () => {
    const store = buildStore();
    store.db.prepare('UPDATE checkpoints SET root = ? WHERE size = 4').run('00'.repeat(32));
    expect(verify(store).stdout).toMatch(/^TAMPERED at seq 4: checkpoint of size 4: signature does not verify/);
  });

  it('reports history rewritten consistently (every hash and link recomputed) through the checkpoint that disagrees', () => {
    const store = buildStore();
    let prevHash = (store.db.prepare('SELECT hash FROM entries WHERE seq = 4').get() as { hash: string }).hash;
    for (let seq = 5; seq <= ENTRIES; seq++) {
      const entry = JSON.parse(contentOf(store.db, seq)) as Record<string, unknown>;
      if (seq === 5) entry.reason = 'nothing happened';
      entry.prevHash = prevHash;
      const content = canonicalJson(entry);
      prevHash = sha256(content);
      store.db.prepare('UPDATE entries SET content = ?, hash = ? WHERE seq = ?').run(Buffer.from(content), prevHash, seq);
    }
    expect(verify(store).stdout).toMatch(/^TAMPERED at seq 5: entries 5\.\.8 are not the ones checkpoint 8 signed/);
  });

  it('reports malformed rows without crashing', () => {
    const cases: [string, (db: Database.Database) => void, RegExp][] = [
      ['non-JSON content', (db) => db.prepare('UPDATE entries SET content = ?, hash = ? WHERE seq = 3').run(Buffer.from('not json'), sha256('not json')), /^TAMPERED at seq 3: content is not JSON/],
      ['a JSON array', (db) => db.prepare('UPDATE entries SET content = ?, hash = ? WHERE seq = 3').run(Buffer.from('[1]'), sha256('[1]')), /^TAMPERED at seq 3: content is not a JSON object/],
      ['an integer hash', (db) => db.prepare('UPDATE entries SET hash = 42 WHERE seq = 3').run(), /^TAMPERED at seq 3: stored hash is not 64 lowercase hex/],
      ['an integer content', (db) => db.prepare('UPDATE entries SET content = 7 WHERE seq = 3').run(), /^TAMPERED at seq 3: content is int/],
      ['invalid UTF-8', (db) => db.prepare('UPDATE entries SET content = ?, hash = ? WHERE seq = 3').run(Buffer.from([0xff, 0xfe]), createHash('sha256').update(Buffer.from([0xff, 0xfe])).digest('hex')), /^TAMPERED at seq 3: content is not JSON/],
      ['a string seq in the content', (db) => {
        const content = contentOf(db, 3).replace('"seq":3', '"seq":"3"');
        db.prepare('UPDATE entries SET content = ?, hash = ? WHERE seq = 3').run(Buffer.from(content), sha256(content));
      }, /^TAMPERED at seq 3: content seq is "3", not an integer/],
      ['non-canonical content', (db) => {
        const content = contentOf(db, 3).replace('{', '{ ');
        db.prepare('UPDATE entries SET content = ?, hash = ? WHERE seq = 3').run(Buffer.from(content), sha256(content));
      }, /^TAMPERED at seq 3: content is not RFC 8785 canonical JSON/],
      ['a signature that is not base64', (db) => db.prepare("UPDATE checkpoints SET signature = 'nope' WHERE size = 4").run(), /^TAMPERED at seq 4: checkpoint of size 4: signature is not a base64 Ed25519 signature/],
    ];
    for (const [, tamper, expected] of cases) {
      const store = buildStore();
      tamper(store.db);
      const result = verify(store);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(expected);
    }
  });

  it('reports NULLs and a text seq in a store whose table lost its constraints', () => {
    const loose = SCHEMA.replace('seq INTEGER PRIMARY KEY, content BLOB NOT NULL, hash TEXT NOT NULL', 'seq, content, hash');
    // (better-sqlite3 binds numbers as REAL; without INTEGER PRIMARY KEY nothing converts them back)
    const buildLoose = (): ReturnType<typeof buildStore> => {
      const store = buildStore({ schema: loose });
      store.db.prepare('UPDATE entries SET seq = CAST(seq AS INTEGER)').run();
      return store;
    };
    const nulls = buildLoose();
    nulls.db.prepare('UPDATE entries SET content = NULL WHERE seq = 2').run();
    expect(verify(nulls).stdout).toMatch(/^TAMPERED at seq 2: content is NoneType/);
    const texts = buildLoose();
    texts.db.prepare("UPDATE entries SET seq = 'x' WHERE seq = 9").run();
    expect(verify(texts).stdout).toMatch(/^TAMPERED at seq 9: entry 9 is missing/);
    const twice = buildLoose();
    twice.db.prepare('INSERT INTO entries SELECT * FROM entries WHERE seq = 4').run();
    expect(verify(twice).stdout).toMatch(/^TAMPERED at seq 4: seq 4 is stored again/);
  });

  it('checks signatures with the auditor’s key when given, not the store’s', () => {
    const store = buildStore();
    const keyFile = join(mkdtempSync(join(tmpdir(), 'agt-key-')), 'pub.pem');
    writeFileSync(keyFile, CheckpointSigner.generate().publicKeyPem());
    expect(verify(store, '--public-key', keyFile).stdout).toMatch(/^TAMPERED at seq 4: checkpoint of size 4: signature does not verify/);
    writeFileSync(keyFile, signer.publicKeyPem());
    expect(verify(store, '--public-key', keyFile).status).toBe(0);
    writeFileSync(keyFile, 'not a key');
    expect(verify(store, '--public-key', keyFile)).toMatchObject({ status: 2, stderr: expect.stringContaining('not an Ed25519 public key') });
    expect(verify(store, '--public-key', keyFile + '.missing')).toMatchObject({ status: 2, stderr: expect.stringContaining('cannot read --public-key') });
  });

  it('answers in JSON on request', () => {
    expect(JSON.parse(verify(buildStore(), '--json').stdout)).toEqual({ ok: true, entries: ENTRIES, checkpoints: CHECKPOINTS.length });
    const store = buildStore();
    store.db.prepare('DELETE FROM entries WHERE seq = 2').run();
    const result = verify(store, '--json');
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, seq: 2, reason: expect.stringContaining('missing') });
  });

  it('exits 2 on usage errors', () => {
    expect(spawnSync('python3', [SCRIPT], { encoding: 'utf8' }).status).toBe(2);
    expect(verify({ path: '/nonexistent/audit.db', db: { open: false } as Database.Database }).status).toBe(2);
    const notStore = join(mkdtempSync(join(tmpdir(), 'agt-verify-')), 'empty.db');
    new Database(notStore).close();
    expect(verify({ path: notStore, db: { open: false } as Database.Database })).toMatchObject({ status: 2, stderr: expect.stringContaining('not an audit store') });
  });

  it('serializes exactly as RFC 8785 does, where Python’s json and JavaScript differ', () => {
    const values: unknown[] = [
      Array.from({ length: 0x20 }, (_, c) => String.fromCharCode(c)).join('') + '"\\/\u007f\u2028\u2029',
      'lone \ud800 and \udfff, pair 😀',
      { '\uff61': 1, '😀': 2, a: 3, é: 4, '\ud800': 5 },
      [1e21, 1e20, 1.5e-7, 1e-6, 0.1, 0.30000000000000004, -0, 2 ** 53 + 2, 123456789012345680000, 5e-324, 1.7976931348623157e308, 100, -1.25],
      { nested: [{ b: null, a: true }, false, 'x'] },
    ];
    const python = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("verifier", sys.argv[1])
verifier = importlib.util.module_from_spec(spec)
sys.modules["verifier"] = verifier
spec.loader.exec_module(verifier)
for line in sys.stdin.read().split("\\n"):
    value, notes = verifier.parse_json(line)
    print(verifier.canonical_bytes(value, notes).hex())
`;
    const input = values.map((v) => JSON.stringify(v)).join('\n');
    const result = spawnSync('python3', ['-c', python, SCRIPT], { input, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const canonical = result.stdout.trim().split('\n').map((hex) => Buffer.from(hex, 'hex').toString('utf8'));
    expect(canonical).toEqual(values.map((v) => canonicalJson(v)));
  });
});
