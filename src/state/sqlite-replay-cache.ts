import Database from 'better-sqlite3';
import type { ReplayCache, ReplayVerdict } from './replay-cache.js';

/** Options of {@link SqliteReplayCache}. */
export interface SqliteReplayCacheOptions {
  /** Most unexpired nonces held at once (default 100,000); past it, `full` (fail closed). */
  capacity?: number;
}

const DEFAULT_CAPACITY = 100_000;
/** Expired rows dropped per call: the sweep is amortized, never a pause. */
const SWEEP_BATCH = 256;

/**
 * Nonces in a SQLite file (WAL) shared by every process that opens it, so a proof spent in one
 * process is a replay in any other on the machine. `checkAndRemember` is one IMMEDIATE
 * transaction (the write lock is taken first), so two processes presenting the same nonce at
 * once get one `fresh` and one `replayed`. A row is kept until its proof's expiry; the count of
 * rows lives beside them, so the capacity check costs no scan.
 */
export class SqliteReplayCache implements ReplayCache {
  readonly #db: Database.Database;
  readonly #capacity: number;
  readonly #check: (nonce: string, expiresAt: number, now: number) => ReplayVerdict;
  readonly #count: Database.Statement<[], number>;

  /** Opens (creating when absent) the nonce table in the SQLite file at `path`. */
  constructor(path: string, options: SqliteReplayCacheOptions = {}) {
    this.#capacity = options.capacity ?? DEFAULT_CAPACITY;
    if (!Number.isSafeInteger(this.#capacity) || this.#capacity < 1) throw new RangeError('capacity must be a positive integer');
    const db = new Database(path);
    this.#db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS identity_nonces (nonce TEXT PRIMARY KEY NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS identity_nonces_expiry ON identity_nonces (expires_at);
      CREATE TABLE IF NOT EXISTS identity_nonce_count (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL);
      INSERT OR IGNORE INTO identity_nonce_count (id, n) VALUES (0, (SELECT count(*) FROM identity_nonces));
    `);
    const expired = db.prepare<[number, number], { nonce: string }>('SELECT nonce FROM identity_nonces WHERE expires_at < ? ORDER BY expires_at LIMIT ?');
    const drop = db.prepare<[string]>('DELETE FROM identity_nonces WHERE nonce = ?');
    const seen = db.prepare<[string], { expires_at: number }>('SELECT expires_at FROM identity_nonces WHERE nonce = ?');
    const insert = db.prepare<[string, number]>('INSERT INTO identity_nonces (nonce, expires_at) VALUES (?, ?)');
    const renew = db.prepare<[number, string]>('UPDATE identity_nonces SET expires_at = ? WHERE nonce = ?');
    this.#count = db.prepare<[], number>('SELECT n FROM identity_nonce_count WHERE id = 0').pluck();
    const add = db.prepare<[number]>('UPDATE identity_nonce_count SET n = n + ? WHERE id = 0');
    const sweep = (now: number, limit: number): void => {
      const rows = expired.all(now, limit);
      for (const row of rows) drop.run(row.nonce);
      if (rows.length > 0) add.run(-rows.length);
    };
    this.#check = db
      .transaction((nonce: string, expiresAt: number, now: number): ReplayVerdict => {
        sweep(now, SWEEP_BATCH);
        const row = seen.get(nonce);
        if (row !== undefined) {
          if (row.expires_at >= now) return 'replayed';
          renew.run(Math.ceil(expiresAt), nonce); // its earlier proof expired: as good as unseen
          return 'fresh';
        }
        if (this.#count.get()! >= this.#capacity) {
          sweep(now, Number.MAX_SAFE_INTEGER); // near capacity: drop every expired row before refusing
          if (this.#count.get()! >= this.#capacity) return 'full';
        }
        insert.run(nonce, Math.ceil(expiresAt));
        add.run(1);
        return 'fresh';
      })
      .immediate;
  }

  checkAndRemember(nonce: string, expiresAt: number, now: number): ReplayVerdict {
    if (!Number.isFinite(expiresAt) || !Number.isFinite(now)) throw new RangeError('expiresAt and now must be finite epoch milliseconds');
    return this.#check(nonce, expiresAt, now);
  }

  /** Rows held (expired ones may linger until a later call sweeps them). */
  get size(): number {
    return this.#count.get() ?? 0;
  }

  /** Closes the database connection. */
  close(): void {
    this.#db.close();
  }
}
