import Database from 'better-sqlite3';
import type { RevocationEntry, RevocationStore } from './revocation-store.js';

/**
 * Revocations in a SQLite file (WAL), shared by every process that opens it. The hot path is a
 * Set lookup: before each lookup the store asks SQLite's `PRAGMA data_version`, which changes
 * exactly when another connection committed, and only then reads the rows added since the last
 * read (revocations only grow, so `rowid > last` is the whole delta). This connection's own
 * writes go to the Set directly (data_version does not move for them).
 */
export class SqliteRevocationStore implements RevocationStore {
  readonly #db: Database.Database;
  readonly #revoked = new Set<string>();
  readonly #dataVersion: Database.Statement<[], number>;
  readonly #since: Database.Statement<[number], { rowid: number; id: string }>;
  readonly #insert: Database.Statement<[string, number]>;
  #version = -1;
  #lastRowid = 0;

  /** Opens (creating when absent) the revocation table in the SQLite file at `path`. */
  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec('CREATE TABLE IF NOT EXISTS identity_revocations (id TEXT PRIMARY KEY NOT NULL, revoked_at INTEGER NOT NULL)');
    this.#dataVersion = this.#db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#since = this.#db.prepare<[number], { rowid: number; id: string }>('SELECT rowid, id FROM identity_revocations WHERE rowid > ? ORDER BY rowid');
    this.#insert = this.#db.prepare<[string, number]>('INSERT OR IGNORE INTO identity_revocations (id, revoked_at) VALUES (?, ?)');
    this.#refresh();
  }

  /** Records `id` durably (the first revocation time is kept); visible to other processes on their next check. */
  add(id: string, revokedAt: number): void {
    this.#insert.run(id, Math.trunc(revokedAt));
    this.#revoked.add(id);
  }

  /** True when `id` is revoked, by this process or any other, as of now. */
  has(id: string): boolean {
    if (this.#dataVersion.get() !== this.#version) this.#refresh();
    return this.#revoked.has(id);
  }

  /** The position of the first revoked id in `ids`, or -1, as of now (one data_version check for all). */
  firstRevoked(ids: readonly string[]): number {
    if (this.#dataVersion.get() !== this.#version) this.#refresh();
    return ids.findIndex((id) => this.#revoked.has(id));
  }

  /** Every revocation, oldest first. */
  list(): RevocationEntry[] {
    return this.#db.prepare<[], { id: string; revokedAt: number }>('SELECT id, revoked_at AS revokedAt FROM identity_revocations ORDER BY rowid').all();
  }

  /** Closes the file. */
  close(): void {
    this.#db.close();
  }

  #refresh(): void {
    // Read the version first: a commit landing during the read moves it again, and is picked up next time.
    this.#version = this.#dataVersion.get() as number;
    for (const row of this.#since.iterate(this.#lastRowid)) {
      this.#revoked.add(row.id);
      this.#lastRowid = row.rowid;
    }
  }
}
