import Database from 'better-sqlite3';
import { isLive, lowestRing, type ElevationGrant, type ElevationGrantStore } from './elevation-grant-store.js';

/** How a {@link SqliteElevationGrantStore} opens its file. */
export interface SqliteElevationGrantStoreOptions {
  /** How long a write waits for another process's lock before it fails (and the elevation is refused); default 5000 ms. */
  busyTimeoutMs?: number;
  /** Open the file read-only (e.g. to list grants): every write then fails, so an elevation through it is refused. */
  readonly?: boolean;
}

interface GrantRow {
  id: string;
  subject: string;
  ring: number;
  granted_at: number;
  expires_at: number;
  reason: string;
  decision_id: string;
  revoked_at: number | null;
}

/**
 * Elevation grants in a SQLite file (WAL), shared by every process that opens it (the
 * deployment's state file). Reads come from a small in-memory copy of the unended grants,
 * reloaded only when `PRAGMA data_version` says another connection committed: the ring guard
 * asks only for a call its agent's own ring does not cover, and then pays one pragma. Writes are
 * single statements (atomic); an ended grant is reported once by an UPDATE ... RETURNING that
 * only one connection can win.
 */
export class SqliteElevationGrantStore implements ElevationGrantStore {
  readonly #db: Database.Database;
  readonly #dataVersion: Database.Statement<[], number>;
  readonly #unended: Database.Statement<[], GrantRow>;
  readonly #insert: Database.Statement<[string, string, number, number, number, string, string]>;
  readonly #revoke: Database.Statement<[number, string, number], GrantRow>;
  readonly #claim: Database.Statement<[number], GrantRow>;
  #version = -1;
  #grants: readonly ElevationGrant[] = [];

  /** Opens (creating when absent) the grants table in the SQLite file at `path`. Throws when the file cannot be opened or is not a database. */
  constructor(path: string, options: SqliteElevationGrantStoreOptions = {}) {
    this.#db = new Database(path, options.readonly ? { readonly: true, fileMustExist: true } : {});
    try {
      if (!options.readonly) this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      if (!options.readonly) this.#db.exec(
        'CREATE TABLE IF NOT EXISTS execution_elevation_grants (id TEXT PRIMARY KEY NOT NULL, subject TEXT NOT NULL, ring INTEGER NOT NULL, ' +
          'granted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, reason TEXT NOT NULL, decision_id TEXT NOT NULL, revoked_at INTEGER, ended_reported INTEGER NOT NULL DEFAULT 0)',
      );
      this.#dataVersion = this.#db.prepare<[], number>('PRAGMA data_version').pluck();
      this.#unended = this.#db.prepare('SELECT id, subject, ring, granted_at, expires_at, reason, decision_id, revoked_at FROM execution_elevation_grants WHERE ended_reported = 0 AND revoked_at IS NULL');
      this.#insert = this.#db.prepare('INSERT INTO execution_elevation_grants (id, subject, ring, granted_at, expires_at, reason, decision_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
      this.#revoke = this.#db.prepare(
        'UPDATE execution_elevation_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND expires_at > ? RETURNING id, subject, ring, granted_at, expires_at, reason, decision_id, revoked_at',
      );
      this.#claim = this.#db.prepare(
        'UPDATE execution_elevation_grants SET ended_reported = 1 WHERE ended_reported = 0 AND revoked_at IS NULL AND expires_at <= ? RETURNING id, subject, ring, granted_at, expires_at, reason, decision_id, revoked_at',
      );
    } catch (error) {
      this.#db.close();
      throw error;
    }
    this.#reload();
  }

  /** Stores `grant` (durable when it returns). */
  add(grant: ElevationGrant): void {
    this.#insert.run(grant.id, grant.subject, grant.ring, Math.trunc(grant.grantedAt), Math.trunc(grant.expiresAt), grant.reason, grant.decisionId);
    this.#reload(); // this connection's own commit does not move data_version
  }

  /** The lowest live ring of `subject` at `now`, as every process has written it. */
  liveRing(subject: string, now: number): number | undefined {
    this.#fresh();
    return lowestRing(this.#grants, subject, now);
  }

  /** Grants live at `now`, soonest to expire first. */
  live(now: number): readonly ElevationGrant[] {
    this.#fresh();
    return this.#grants.filter((grant) => isLive(grant, now)).sort((a, b) => a.expiresAt - b.expiresAt);
  }

  /** Ends grant `id` at `now`. */
  revoke(id: string, now: number): ElevationGrant | undefined {
    const row = this.#revoke.get(Math.trunc(now), id, Math.trunc(now));
    this.#reload();
    return row ? grantOf(row) : undefined;
  }

  /** Expired grants not reported by any process before. */
  claimExpired(now: number): readonly ElevationGrant[] {
    // The copy read last (the ring guard just refreshed it) says whether any grant could have
    // ended: most calls then skip the write. One written ended by another process is found at
    // the next refresh.
    if (!this.#grants.some((grant) => grant.expiresAt <= now)) return [];
    const rows = this.#claim.all(Math.trunc(now));
    if (rows.length > 0) this.#reload();
    return rows.map(grantOf);
  }

  /** Closes the file. */
  close(): void {
    this.#db.close();
  }

  #fresh(): void {
    if (this.#dataVersion.get() !== this.#version) this.#reload();
  }

  #reload(): void {
    // The version first: a commit landing during the read moves it again and is read next time.
    this.#version = this.#dataVersion.get() as number;
    this.#grants = this.#unended.all().map(grantOf);
  }
}

function grantOf(row: GrantRow): ElevationGrant {
  return Object.freeze({
    id: row.id,
    subject: row.subject,
    ring: row.ring,
    grantedAt: row.granted_at,
    expiresAt: row.expires_at,
    reason: row.reason,
    decisionId: row.decision_id,
    revokedAt: row.revoked_at,
  });
}
