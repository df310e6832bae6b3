import type Database from 'better-sqlite3';
import { GovernanceError } from '../core/errors.js';

/**
 * The durable audit store's tables. Kept deliberately plain so an auditor can check a store
 * with nothing but SQLite and SHA-256 (see scripts/independent-verify.py):
 *
 * - `entries`: one row per entry, `content` the RFC 8785 canonical JSON of the entry without
 *   its hash (UTF-8 bytes, exactly what was hashed) and `hash` its SHA-256 in hex;
 *   `input_identity` and `enforced_identity` repeat the entry's identities (NULL when it has
 *   none) so that an entry can be found by what was decided or approved. They are an index, not
 *   the record: verification checks that each equals the identity in the content. Stores made
 *   before the columns existed gain them (NULL for their old rows, whose content has no
 *   identities) the first time they are opened for writing; readers do without them.
 * - `checkpoints`: signed `{ size, root, timestamp }` of the RFC 6962 Merkle tree whose leaves
 *   are SHA-256(0x00 ‖ entry hash bytes);
 * - `meta`: the format, the public key checkpoints verify with, the saved Merkle frontier, the
 *   checkpoint cadence and the witnesses' locations.
 */
export const STORE_FORMAT = 'agt-audit-sqlite/1';

const TABLES = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, content BLOB NOT NULL, hash TEXT NOT NULL, input_identity TEXT, enforced_identity TEXT);
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, root TEXT NOT NULL, timestamp TEXT NOT NULL, signature TEXT NOT NULL);
`;

/**
 * Meta keys. `checkpoint_every` is the cadence the store promises (the most entries between two
 * checkpoints); `witnesses` is a JSON array of where its checkpoints are published (file paths,
 * URLs), which `agt audit verify` reads by default.
 */
export const META = { format: 'format', publicKey: 'public_key', frontier: 'merkle_frontier', checkpointEvery: 'checkpoint_every', witnesses: 'witnesses' } as const;

/** Creates the tables in an empty database, or checks that an existing one is an audit store. */
export function ensureSchema(db: Database.Database, path: string): void {
  const tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]);
  if (tables.size === 0) {
    db.exec(TABLES);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(META.format, STORE_FORMAT);
    return;
  }
  checkSchema(db, path, tables);
  migrateIdentityColumns(db);
}

/** The identity columns of `entries`, added after the first stores were written. */
export const IDENTITY_COLUMNS = ['input_identity', 'enforced_identity'] as const;

/** True when the store's `entries` table has the identity columns (a store of the older layout has not). */
export function hasIdentityColumns(db: Database.Database): boolean {
  const columns = new Set(db.prepare(`SELECT name FROM pragma_table_info('entries')`).pluck().all() as string[]);
  return IDENTITY_COLUMNS.every((column) => columns.has(column));
}

/**
 * Adds the identity columns to a store written before they existed. Old rows get NULL, which is
 * what their content says (no identities), so the store verifies as before and appending goes on.
 */
function migrateIdentityColumns(db: Database.Database): void {
  const columns = new Set(db.prepare(`SELECT name FROM pragma_table_info('entries')`).pluck().all() as string[]);
  const missing = IDENTITY_COLUMNS.filter((column) => !columns.has(column));
  if (missing.length === 0) return;
  db.transaction(() => {
    for (const column of missing) db.exec(`ALTER TABLE entries ADD COLUMN ${column} TEXT`);
  })();
}

/** Throws a clear error unless `db` looks like an audit store of this format. */
export function checkSchema(db: Database.Database, path: string, tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[])): void {
  for (const table of ['meta', 'entries', 'checkpoints']) {
    if (!tables.has(table)) throw new GovernanceError('ERR_AGT_AUDIT_STORE', `${path} is not an agt audit store (it has no '${table}' table); point --store at an audit database or a new file`);
  }
  const format = readMeta(db, META.format);
  if (format !== STORE_FORMAT) {
    throw new GovernanceError('ERR_AGT_AUDIT_STORE', `${path} has audit store format ${JSON.stringify(format)}, this version reads ${STORE_FORMAT}`);
  }
}

/** A meta value, or null. */
export function readMeta(db: Database.Database, key: string): string | null {
  const value: unknown = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key);
  return typeof value === 'string' ? value : null;
}

/** The witness locations a store records: [] when none, null when the list is not a JSON array of strings (edited). */
export function readWitnessLocations(db: Database.Database): string[] | null {
  const text = readMeta(db, META.witnesses);
  if (text === null) return [];
  try {
    const list = JSON.parse(text) as unknown;
    return Array.isArray(list) && list.every((item) => typeof item === 'string') ? (list as string[]) : null;
  } catch {
    return null;
  }
}

/** Sets a meta value. */
export function writeMeta(db: Database.Database, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}

/**
 * Settings for a connection that only reads (verification, export): the file is memory-mapped,
 * so reading a large log pages it in instead of copying every page through read().
 */
export function tuneForReading(db: Database.Database): void {
  db.pragma(`mmap_size = ${READ_MMAP_BYTES}`);
}

const READ_MMAP_BYTES = 1 << 30;
