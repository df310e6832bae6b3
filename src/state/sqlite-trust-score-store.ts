import Database from 'better-sqlite3';
import type { StoredTrust, TrustScoreStore } from './trust-score-store.js';

/**
 * Trust scores in a SQLite file (WAL), shared by every process that opens it. Reads are a Map
 * lookup: before each, the store asks `PRAGMA data_version` (it moves exactly when another
 * connection committed) and only then reads the rows changed since (each write stamps a `seq`
 * one above the table's highest, so `seq > last` is the whole delta). Updates are one IMMEDIATE
 * transaction (read, change, write), so two processes moving one agent's score never lose one
 * another's change.
 */
export class SqliteTrustScoreStore implements TrustScoreStore {
  readonly #db: Database.Database;
  readonly #scores = new Map<string, StoredTrust>();
  readonly #dataVersion: Database.Statement<[], number>;
  readonly #since: Database.Statement<[number], { subject: string; score: number; at: number; seq: number }>;
  readonly #read: Database.Statement<[string], { score: number; at: number }>;
  readonly #write: Database.Statement<[string, number, number]>;
  readonly #transaction: (subject: string, change: (current: StoredTrust | undefined) => StoredTrust) => StoredTrust;
  #version = -1;
  #lastSeq = 0;

  /** Opens (creating when absent) the trust-score table in the SQLite file at `path`. */
  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec('CREATE TABLE IF NOT EXISTS identity_trust_scores (subject TEXT PRIMARY KEY NOT NULL, score INTEGER NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL)');
    this.#db.exec('CREATE INDEX IF NOT EXISTS identity_trust_scores_seq ON identity_trust_scores (seq)');
    this.#dataVersion = this.#db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#since = this.#db.prepare('SELECT subject, score, at, seq FROM identity_trust_scores WHERE seq > ? ORDER BY seq');
    this.#read = this.#db.prepare('SELECT score, at FROM identity_trust_scores WHERE subject = ?');
    this.#write = this.#db.prepare(
      'INSERT INTO identity_trust_scores (subject, score, at, seq) VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM identity_trust_scores)) ' +
        'ON CONFLICT (subject) DO UPDATE SET score = excluded.score, at = excluded.at, seq = excluded.seq',
    );
    const run = this.#db.transaction((subject: string, change: (current: StoredTrust | undefined) => StoredTrust): StoredTrust => {
      const row = this.#read.get(subject);
      const next = change(row === undefined ? undefined : { score: row.score, at: row.at });
      this.#write.run(subject, next.score, Math.trunc(next.at));
      return next;
    });
    this.#transaction = (subject, change) => run.immediate(subject, change);
    this.#refresh();
  }

  /** The stored score of `subject` as of now, by this process or any other. */
  get(subject: string): StoredTrust | undefined {
    if (this.#dataVersion.get() !== this.#version) this.#refresh();
    return this.#scores.get(subject);
  }

  /** Applies `change` to the latest stored score in one IMMEDIATE transaction; durable when it returns. */
  update(subject: string, change: (current: StoredTrust | undefined) => StoredTrust): StoredTrust {
    const next = this.#transaction(subject, change);
    // This connection's own commit does not move data_version: the cache takes the write directly.
    this.#scores.set(subject, next);
    return next;
  }

  /** Closes the file. */
  close(): void {
    this.#db.close();
  }

  #refresh(): void {
    // The version first: a commit landing during the read moves it again and is read next time.
    this.#version = this.#dataVersion.get() as number;
    for (const row of this.#since.iterate(this.#lastSeq)) {
      this.#scores.set(row.subject, { score: row.score, at: row.at });
      this.#lastSeq = row.seq;
    }
  }
}
