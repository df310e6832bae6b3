import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { entryHash, hashedContent, type AuditEntry } from '../../src/audit/entry.js';
import { exportStore, importInto } from '../../src/audit/export.js';
import { JsonlAuditSink, readJsonl } from '../../src/audit/jsonl-sink.js';
import { MemoryAuditSink } from '../../src/audit/sink.js';
import { SqliteAuditSink } from '../../src/audit/sqlite-sink.js';
import { openStoreReadOnly, readStoredEntries, verifySqliteStore } from '../../src/audit/sqlite-verify.js';
import { verifyChain } from '../../src/audit/verify.js';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { GovernanceError } from '../../src/core/errors.js';
import { normalizeRequest } from '../../src/core/request.js';
import type { Decision, GovernanceRequest, NormalizedRequest } from '../../src/core/types.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

// The audit entry records what was decided (inputIdentity) and what is enforced
// (enforcedIdentity). A null identity is omitted from the hashed content, so logs written before
// identities existed verify, export and import exactly as before.

const evaluator = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: identity-test
default_action: allow
rules:
  - { name: no-drop, condition: "action.type == 'drop'", action: deny }
`);
const INDEPENDENT = fileURLToPath(new URL('../../scripts/independent-verify.py', import.meta.url));
const hex = (n: number): string => n.toString(16).padStart(2, '0').repeat(32);

/** A decision as the kernel makes it: identities set (an evaluator alone leaves them null). */
function decided(request: GovernanceRequest, i: number, transformed = false): Decision {
  return { ...evaluator.evaluate(request), inputIdentity: hex(i % 256), enforcedIdentity: transformed ? hex((i + 1) % 256) : hex(i % 256) };
}

/** Appends n entries: even ones with identities, odd ones without (a bare evaluate). */
function fill(log: AuditLog, n: number): void {
  for (let i = 0; i < n; i++) {
    const request = { tool_name: 'db', action: { type: i % 3 === 0 ? 'drop' : 'read' }, args: { i }, agent: { id: `agent-${i % 2}` } };
    log.append({ request, decision: i % 2 === 0 ? decided(request, i, i % 4 === 0) : evaluator.evaluate(request) });
  }
}

/** An entry exactly as the previous version wrote it: no identity fields at all. */
function oldFormatChain(n: number): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  let prevHash = '0'.repeat(64);
  for (let seq = 1; seq <= n; seq++) {
    const body = {
      seq, entryId: `0190a000-0000-7000-8000-00000000000${seq}`, timestamp: '2025-06-01T00:00:00.000Z', agent: 'old-agent', stage: 'pre_tool',
      tool: 'db', actionType: 'read', argsDigest: hex(7), verdict: 'allow', rule: null, policy: 'old', reason: 'default', policyRevision: hex(9),
      decisionId: `0190a000-0000-7000-9000-00000000000${seq}`, prevHash,
    };
    const hash = createSha(canonicalJson(body));
    entries.push({ ...body, hash });
    prevHash = hash;
  }
  return entries;
}
function createSha(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'agt-identity-'));
}

function independent(path: string): { ok: boolean; seq: number | null } {
  const run = spawnSync('python3', [INDEPENDENT, path, '--json'], { encoding: 'utf8' });
  const out = JSON.parse(run.stdout) as { ok: boolean; seq?: number };
  return { ok: out.ok, seq: out.seq ?? null };
}

function verifyBoth(path: string): { ok: boolean; seq: number | null } {
  const db = openStoreReadOnly(path);
  try {
    const ours = verifySqliteStore(db);
    const theirs = independent(path);
    expect(theirs, ours.reason ?? '').toEqual({ ok: ours.ok, seq: ours.firstBadSeq });
    return theirs;
  } finally {
    db.close();
  }
}

describe('audit entries record the input and enforced identities', () => {
  it('an entry carries both identities, hashed; a null identity is omitted from the content', () => {
    const log = new AuditLog();
    const request = { tool_name: 'db', action: { type: 'read' }, args: {} };
    const withIds = log.append({ request, decision: decided(request, 1, true) });
    const without = log.append({ request, decision: evaluator.evaluate(request) });
    expect(withIds).toMatchObject({ inputIdentity: hex(1), enforcedIdentity: hex(2) });
    expect(without).toMatchObject({ inputIdentity: null, enforcedIdentity: null });
    const { hash: _h, ...rest } = withIds;
    expect(hashedContent(withIds)).toBe(canonicalJson(rest));
    expect(hashedContent(without)).not.toContain('Identity');
    expect(log.verify().ok).toBe(true);
    expect(log.entries().map((e) => [e.inputIdentity, e.enforcedIdentity])).toEqual([[hex(1), hex(2)], [null, null]]);
  });

  it('refuses an identity that is not a SHA-256 hex digest (a caller bug, never written)', () => {
    const log = new AuditLog();
    const request = { tool_name: 'db' };
    expect(() => log.append({ request, decision: { ...evaluator.evaluate(request), inputIdentity: 'not-hex' } })).toThrow(TypeError);
    expect(log.length).toBe(0);
  });

  it('an entry written by the previous version (no identity fields) still verifies, and a chain continues it', () => {
    const old = oldFormatChain(3);
    expect(verifyChain(old)).toEqual({ ok: true, entries: 3, firstBadSeq: null, reason: null });
    // Explicit nulls are the same entry: null identities are not hashed.
    expect(verifyChain(old.map((e) => ({ ...e, inputIdentity: null, enforcedIdentity: null }))).ok).toBe(true);
    const dir = tempDir();
    const file = join(dir, 'old.jsonl');
    writeFileSync(file, old.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const log = new AuditLog({ sink: new JsonlAuditSink(file) });
    fill(log, 4);
    log.close();
    expect(verifyChain(readJsonl(file))).toMatchObject({ ok: true, entries: 7 });
    expect(log.entries()[0]).toMatchObject({ inputIdentity: null, enforcedIdentity: null, agent: 'old-agent' });
  });

  it('editing, adding or removing an identity is detected at that entry', () => {
    const log = new AuditLog();
    fill(log, 6);
    const entries = log.entries().map((e) => ({ ...e }));
    const edit = (seq: number, change: (e: Record<string, unknown>) => void) => {
      const copy = entries.map((e) => ({ ...e })) as Record<string, unknown>[];
      change(copy[seq - 1] as Record<string, unknown>);
      return verifyChain(copy);
    };
    expect(edit(3, (e) => (e.enforcedIdentity = hex(200)))).toMatchObject({ ok: false, firstBadSeq: 3 });
    expect(edit(3, (e) => (e.inputIdentity = null))).toMatchObject({ ok: false, firstBadSeq: 3 });
    expect(edit(2, (e) => (e.inputIdentity = hex(5)))).toMatchObject({ ok: false, firstBadSeq: 2 });
    expect(edit(5, (e) => delete e.enforcedIdentity)).toMatchObject({ ok: false, firstBadSeq: 5 });
    expect(edit(4, (e) => (e.inputIdentity = 'ABC'))).toMatchObject({ ok: false, firstBadSeq: 4, reason: expect.stringContaining('inputIdentity') });
    // The memory sink's own verification re-hashes its stored content: rebuild one with an edit.
    const sink = new MemoryAuditSink();
    const tampered = new AuditLog({ sink });
    fill(tampered, 3);
    expect(tampered.verify().ok).toBe(true);
  });

  it('the JSONL sink stores identities; its file verifies and reads back', () => {
    const file = join(tempDir(), 'audit.jsonl');
    const log = new AuditLog({ sink: new JsonlAuditSink(file) });
    fill(log, 5);
    log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ inputIdentity: hex(0), enforcedIdentity: hex(1) });
    expect(lines[1]).not.toContain('Identity');
    expect(verifyChain(readJsonl(file)).ok).toBe(true);
    const edited = lines.map((l, i) => (i === 2 ? l.replace(hex(2), hex(3)) : l)).join('\n');
    writeFileSync(file, edited + '\n');
    expect(verifyChain(readJsonl(file))).toMatchObject({ ok: false, firstBadSeq: 3 });
  });
});

describe('SQLite: identity columns, migration of an older store, export and import', () => {
  it('stores identities in their columns and in the content; reads them back', () => {
    const path = join(tempDir(), 'audit.db');
    const log = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 4 }) });
    fill(log, 6);
    log.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT seq, input_identity, enforced_identity FROM entries ORDER BY seq').raw().all();
    db.close();
    expect(rows.slice(0, 3)).toEqual([[1, hex(0), hex(1)], [2, null, null], [3, hex(2), hex(2)]]);
    expect(verifyBoth(path)).toEqual({ ok: true, seq: null });
    const ro = openStoreReadOnly(path);
    const entries = [...readStoredEntries(ro)] as AuditEntry[];
    ro.close();
    expect(entries[1]).toMatchObject({ inputIdentity: null, enforcedIdentity: null });
    expect(entries[4]).toMatchObject({ inputIdentity: hex(4), enforcedIdentity: hex(5) });
  });

  it('an edited identity (in the content or only in its column) is located by the library and the independent verifier alike', () => {
    const cases: [string, (db: Database.Database) => void, number][] = [
      ['content identity edited', (db) => db.prepare(`UPDATE entries SET content = CAST(replace(CAST(content AS TEXT), '${hex(2)}', '${hex(9)}') AS BLOB) WHERE seq = 3`).run(), 3],
      ['column edited', (db) => db.prepare('UPDATE entries SET enforced_identity = ? WHERE seq = 5').run(hex(9)), 5],
      ['column nulled', (db) => db.prepare('UPDATE entries SET input_identity = NULL WHERE seq = 3').run(), 3],
      ['column set where the entry has none', (db) => db.prepare('UPDATE entries SET input_identity = ? WHERE seq = 4').run(hex(4)), 4],
    ];
    for (const [what, edit, seq] of cases) {
      const path = join(tempDir(), 'audit.db');
      const log = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 100 }) });
      fill(log, 6);
      log.close();
      const db = new Database(path);
      edit(db);
      db.close();
      expect(verifyBoth(path), what).toEqual({ ok: false, seq });
    }
  });

  it('a store written in the old layout (no identity columns) opens, verifies, migrates and keeps appending', () => {
    const path = join(tempDir(), 'audit.db');
    {
      const log = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 2 }) });
      fill(log, 5);
      log.close();
    }
    // Rewrite it as the previous version laid it out: its rows had no identities, the table no columns.
    {
      const db = new Database(path);
      const old = oldFormatChain(5);
      db.exec('DROP TABLE entries; DELETE FROM checkpoints; CREATE TABLE entries (seq INTEGER PRIMARY KEY, content BLOB NOT NULL, hash TEXT NOT NULL);');
      const insert = db.prepare('INSERT INTO entries (seq, content, hash) VALUES (?, CAST(? AS BLOB), ?)');
      for (const e of old) {
        const { hash, ...body } = e;
        insert.run(body.seq, canonicalJson(body), hash);
      }
      db.prepare(`DELETE FROM meta WHERE key IN ('merkle_frontier', 'checkpoint_every')`).run();
      db.close();
    }
    expect(verifyBoth(path)).toEqual({ ok: true, seq: null }); // read-only: no migration needed
    const log = new AuditLog({ sink: new SqliteAuditSink({ path, checkpointEvery: 2 }) });
    expect(log.length).toBe(5);
    fill(log, 4);
    log.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare(`SELECT name FROM pragma_table_info('entries')`).pluck().all()).toEqual(['seq', 'content', 'hash', 'input_identity', 'enforced_identity']);
    expect(db.prepare('SELECT input_identity FROM entries WHERE seq IN (5, 6) ORDER BY seq').pluck().all()).toEqual([null, hex(0)]);
    db.close();
    expect(verifyBoth(path)).toEqual({ ok: true, seq: null });
    expect(entryHash(oldFormatChain(1)[0] as object)).toBe((oldFormatChain(1)[0] as { hash: string }).hash);
  });

  it('JSONL export → import → export is byte for byte, identities included; CloudEvents carry them too', () => {
    const dir = tempDir();
    const path = join(dir, 'audit.db');
    const log = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    fill(log, 7);
    log.close();
    const db = openStoreReadOnly(path);
    const jsonl = [...exportStore(db, 'jsonl')].join('');
    const events = JSON.parse([...exportStore(db, 'cloudevents')].join('')) as { data: AuditEntry }[];
    db.close();
    expect(jsonl).toContain(`"inputIdentity":"${hex(0)}"`);
    expect(events[0]?.data).toMatchObject({ inputIdentity: hex(0), enforcedIdentity: hex(1) });
    expect(events[1]?.data).toMatchObject({ inputIdentity: null, enforcedIdentity: null });
    for (const [name, text] of [['a.jsonl', jsonl], ['a.json', JSON.stringify(events)]] as const) {
      writeFileSync(join(dir, name), text);
      const target = join(dir, `${name}.db`);
      const sink = new SqliteAuditSink({ path: target });
      importInto(sink, join(dir, name));
      sink.close();
      const again = openStoreReadOnly(target);
      expect([...exportStore(again, 'jsonl')].join(''), name).toBe(jsonl);
      expect(again.prepare('SELECT input_identity FROM entries WHERE seq = 1').pluck().get()).toBe(hex(0));
      again.close();
      expect(verifyBoth(target)).toEqual({ ok: true, seq: null });
    }
  });
});

describe('AuditLog.append records what was decided, as normalization binds it', () => {
  const cases: [string, GovernanceRequest, { tool: string | null; actionType: string | null; agent: string }][] = [
    ['only tool_name: action.type defaults to the tool', { tool_name: 'x' }, { tool: 'x', actionType: 'x', agent: 'anonymous' }],
    ['an action object without type', { tool_name: 'x', action: { target: 't' } as never }, { tool: 'x', actionType: 'x', agent: 'anonymous' }],
    ['action as a string', { tool_name: 'x', action: 'y' }, { tool: 'x', actionType: 'y', agent: 'anonymous' }],
    ['an explicit type wins', { tool_name: 'x', action: { type: 'y' } }, { tool: 'x', actionType: 'y', agent: 'anonymous' }],
    ['agent as its id', { tool_name: 'x', agent: 'a1' }, { tool: 'x', actionType: 'x', agent: 'a1' }],
    ['no tool, no action', { agent: { id: 'a2' } }, { tool: null, actionType: null, agent: 'a2' }],
  ];
  for (const [what, request, expected] of cases) {
    it(what, () => {
      const log = new AuditLog();
      const raw = log.append({ request, decision: evaluator.evaluate(request) });
      const normalized = normalizeRequest(request) as NormalizedRequest;
      const fromNormalized = log.append({ request: normalized, decision: evaluator.evaluate(request) });
      expect(raw).toMatchObject(expected);
      expect(fromNormalized).toMatchObject(expected);
      expect({ actionType: normalized.action.type ?? null }).toEqual({ actionType: expected.actionType });
    });
  }
});

describe('audit store failures are GovernanceErrors with stable codes', () => {
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(GovernanceError);
      return (error as GovernanceError).code;
    }
    return undefined;
  };

  it('ERR_AGT_AUDIT_STORE: a closed sink, a foreign file, a store that already holds entries', () => {
    const dir = tempDir();
    const path = join(dir, 'audit.db');
    const sink = new SqliteAuditSink({ path });
    const log = new AuditLog({ sink });
    fill(log, 1);
    log.close();
    expect(codeOf(() => fill(log, 1))).toBe('ERR_AGT_AUDIT_STORE');
    writeFileSync(join(dir, 'not.db'), 'hello, not a database');
    expect(codeOf(() => new SqliteAuditSink({ path: join(dir, 'not.db') }))).toBe('ERR_AGT_AUDIT_STORE');
    expect(codeOf(() => openStoreReadOnly(join(dir, 'missing.db')))).toBe('ERR_AGT_AUDIT_STORE');
    const reopened = new SqliteAuditSink({ path });
    writeFileSync(join(dir, 'x.jsonl'), '');
    expect(codeOf(() => importInto(reopened, join(dir, 'x.jsonl')))).toBe('ERR_AGT_AUDIT_STORE');
    reopened.close();
    const jsonl = new JsonlAuditSink(join(dir, 'closed.jsonl'));
    jsonl.close();
    expect(codeOf(() => new AuditLog({ sink: jsonl }).append({ request: { tool_name: 'x' }, decision: evaluator.evaluate({ tool_name: 'x' }) }))).toBe('ERR_AGT_AUDIT_STORE');
  });

  it('a second writer: the failed commit rejects with ERR_AGT_AUDIT_STORE', async () => {
    const path = join(tempDir(), 'audit.db');
    const first = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    const second = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    fill(first, 1);
    await first.durable();
    fill(second, 1);
    await expect(second.durable()).rejects.toMatchObject({ code: 'ERR_AGT_AUDIT_STORE' });
    expect(codeOf(() => fill(second, 1))).toBe('ERR_AGT_AUDIT_STORE');
    first.close();
  });

  it('ERR_AGT_AUDIT_CORRUPT: a malformed tail, an export that does not verify', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"seq":1}\nnot json\n');
    expect(codeOf(() => new JsonlAuditSink(file))).toBe('ERR_AGT_AUDIT_CORRUPT');
    const path = join(dir, 'audit.db');
    const log = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    fill(log, 2);
    log.close();
    const db = new Database(path);
    db.prepare(`UPDATE entries SET content = CAST('nope' AS BLOB) WHERE seq = 2`).run();
    db.close();
    expect(codeOf(() => new SqliteAuditSink({ path }))).toBe('ERR_AGT_AUDIT_CORRUPT');
    writeFileSync(join(dir, 'export.jsonl'), '{"seq":1}\n');
    const fresh = new SqliteAuditSink({ path: join(dir, 'fresh.db') });
    expect(codeOf(() => importInto(fresh, join(dir, 'export.jsonl')))).toBe('ERR_AGT_AUDIT_CORRUPT');
    fresh.close();
    const tail = { entry: { seq: 1, hash: 'nope' } as unknown as AuditEntry, content: '{}' };
    const sink = new MemoryAuditSink();
    sink.append(tail);
    expect(codeOf(() => new AuditLog({ sink }))).toBe('ERR_AGT_AUDIT_CORRUPT');
  });
});
