import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describeError } from '../core/errors.js';
import { checkTransition, isAgentState, TARGET_STATE, type AgentState, type IllegalTransition, type LifecycleCommand } from '../execution/lifecycle/agent-state.js';
import { BrokenLifecycleStore, type LifecycleSnapshot, type LifecycleStore, type LifecycleTransition, type StandingRecord, type TransitionNote } from './lifecycle-store.js';

/** How often a store that could not be opened is tried again. */
const REOPEN_EVERY_MS = 1_000;

/**
 * The lifecycle store in the SQLite file at `path`, or, when it cannot be opened (locked by
 * another process, corrupt, unwritable), a store that reports why on every read and tries to
 * open the file again every second: the standing guard denies every call meanwhile, instead of
 * the process acting on states it cannot read, and recovers once the file can be read.
 */
export function openLifecycleStore(path: string): LifecycleStore {
  try {
    return new SqliteLifecycleStore(path);
  } catch (error) {
    return new ReopeningLifecycleStore(path, cannotOpen(path, error));
  }
}

function cannotOpen(path: string, error: unknown): string {
  return `the state store ${path} cannot be opened for the lifecycle (${describeError(error).split('\n')[0] ?? 'unknown error'})`;
}

/** A store not opened yet: broken until a retry opens the existing file (never a new, empty one). */
class ReopeningLifecycleStore implements LifecycleStore {
  #store: LifecycleStore;
  #opened = false;
  #triedAt = Date.now();

  constructor(
    private readonly path: string,
    reason: string,
  ) {
    this.#store = new BrokenLifecycleStore(reason);
  }

  health(): string | null {
    if (!this.#opened && Date.now() - this.#triedAt >= REOPEN_EVERY_MS) this.#retry();
    return this.#store.health();
  }
  generation(): number {
    return this.#store.generation();
  }
  read(): LifecycleSnapshot {
    return this.#store.read();
  }
  since(generation: number): LifecycleTransition[] {
    return this.#store.since(generation);
  }
  apply(agentId: string, command: LifecycleCommand, note: TransitionNote, unseenIsActive: boolean): LifecycleTransition | IllegalTransition {
    return this.#store.apply(agentId, command, note, unseenIsActive);
  }
  close(): void {
    this.#store.close();
  }

  #retry(): void {
    this.#triedAt = Date.now();
    // A file that is gone now held states nobody may silently lose: do not make a new one.
    if (!existsSync(this.path)) {
      this.#store = new BrokenLifecycleStore(`the state store ${this.path} is gone; restore it, or restart with a new one`);
      return;
    }
    try {
      this.#store = new SqliteLifecycleStore(this.path, 0);
      this.#opened = true;
    } catch (error) {
      this.#store = new BrokenLifecycleStore(cannotOpen(this.path, error));
    }
  }
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** How long a read waits for a lock: short, because the standing guard may read on a call's path. */
const READ_BUSY_MS = 20;
/** How long a transition waits for the write lock (another process writing audit or trust). */
const WRITE_BUSY_MS = 5_000;

interface EventRow {
  generation: number;
  agent_id: string;
  from_state: string | null;
  to_state: string;
  command: string;
  reason: string;
  by_whom: string;
  approved_by: string | null;
  at: number;
}

/**
 * Lifecycle states in a SQLite file (WAL), shared by every process that opens it (the
 * deployment's state file). A transition is one IMMEDIATE transaction: read the agent's state,
 * check the move is legal, write the state, append an event whose `generation` is one above the
 * last. Readers poll `PRAGMA data_version` (it moves exactly when another connection commits)
 * and then the newest generation, so a reader that is current pays one pragma.
 *
 * It also watches the file itself, because an open connection keeps working on a file that was
 * deleted or replaced, and would go on reading states nobody can change any more: a missing or
 * replaced file, one that cannot be written (a kill could not be recorded), a header that is not
 * SQLite's, a lock that outlasts a read: each is reported by {@link health}, and the standing
 * guard denies.
 */
export class SqliteLifecycleStore implements LifecycleStore {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #inode: number;
  readonly #dataVersion: Database.Statement<[], number>;
  readonly #newest: Database.Statement<[], number>;
  readonly #all: Database.Statement<[], { agent_id: string; state: string; since: number; reason: string; by_whom: string }>;
  readonly #since: Database.Statement<[number], EventRow>;
  readonly #apply: (agentId: string, command: LifecycleCommand, note: TransitionNote, unseenIsActive: boolean) => LifecycleTransition | IllegalTransition;
  #version = -1;
  #generation = 0;

  /**
   * Opens (creating when absent) the lifecycle tables in the SQLite file at `path`. Throws when
   * it cannot. `openBusyMs`: how long opening waits for a lock (a retry from the poll waits none).
   */
  constructor(path: string, openBusyMs: number = WRITE_BUSY_MS) {
    this.#path = path;
    this.#db = new Database(path);
    try {
      this.#db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(openBusyMs))}`);
      this.#db.pragma('journal_mode = WAL');
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS agent_lifecycle (agent_id TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL, since INTEGER NOT NULL, reason TEXT NOT NULL, by_whom TEXT NOT NULL);' +
          'CREATE TABLE IF NOT EXISTS agent_lifecycle_events (generation INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, command TEXT NOT NULL, reason TEXT NOT NULL, by_whom TEXT NOT NULL, approved_by TEXT, at INTEGER NOT NULL);',
      );
    } catch (error) {
      this.#db.close(); // a failed open leaves no connection (and no lock) behind
      throw error;
    }
    this.#db.pragma(`busy_timeout = ${READ_BUSY_MS}`);
    this.#inode = statSync(path).ino;
    this.#dataVersion = this.#db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#newest = this.#db.prepare<[], number>('SELECT COALESCE(MAX(generation), 0) FROM agent_lifecycle_events').pluck();
    this.#all = this.#db.prepare('SELECT agent_id, state, since, reason, by_whom FROM agent_lifecycle');
    this.#since = this.#db.prepare<[number], EventRow>('SELECT * FROM agent_lifecycle_events WHERE generation > ? ORDER BY generation');
    const current = this.#db.prepare<[string], string>('SELECT state FROM agent_lifecycle WHERE agent_id = ?').pluck();
    const write = this.#db.prepare<[string, string, number, string, string]>(
      'INSERT INTO agent_lifecycle (agent_id, state, since, reason, by_whom) VALUES (?, ?, ?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET state = excluded.state, since = excluded.since, reason = excluded.reason, by_whom = excluded.by_whom',
    );
    const append = this.#db.prepare<[string, string | null, string, string, string, string, string | null, number]>(
      'INSERT INTO agent_lifecycle_events (generation, agent_id, from_state, to_state, command, reason, by_whom, approved_by, at) VALUES ((SELECT COALESCE(MAX(generation), 0) + 1 FROM agent_lifecycle_events), ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const transaction = this.#db.transaction((agentId: string, command: LifecycleCommand, note: TransitionNote, unseenIsActive: boolean): LifecycleTransition | IllegalTransition => {
      const stored = current.get(agentId);
      if (stored !== undefined && !isAgentState(stored)) throw new Error(`the state store holds '${String(stored)}' for agent ${agentId}, which is no lifecycle state`);
      const legal = checkTransition(agentId, stored, command, unseenIsActive);
      if (!legal.ok) return legal;
      const to = TARGET_STATE[command];
      const at = Math.trunc(note.at);
      write.run(agentId, to, at, note.reason, note.by);
      const generation = Number(append.run(agentId, legal.from, to, command, note.reason, note.by, note.approvedBy, at).lastInsertRowid);
      return { ok: true, agentId, from: legal.from, to, command, generation, ...note, at };
    });
    this.#apply = (agentId, command, note, unseenIsActive) => {
      this.#db.pragma(`busy_timeout = ${WRITE_BUSY_MS}`);
      try {
        return transaction.immediate(agentId, command, note, unseenIsActive);
      } finally {
        this.#db.pragma(`busy_timeout = ${READ_BUSY_MS}`);
      }
    };
  }

  generation(): number {
    const version = this.#dataVersion.get() as number;
    if (version !== this.#version) {
      // Read the version first: a commit landing during the read moves it again, and is seen next time.
      this.#version = version;
      this.#generation = this.#newest.get() as number;
    }
    return this.#generation;
  }

  read(): LifecycleSnapshot {
    return this.#db.transaction((): LifecycleSnapshot => {
      const generation = this.#newest.get() as number;
      const agents = new Map<string, StandingRecord>();
      for (const row of this.#all.iterate()) {
        if (!isAgentState(row.state)) throw new Error(`the state store holds '${row.state}' for agent ${row.agent_id}, which is no lifecycle state`);
        agents.set(row.agent_id, { state: row.state, since: row.since, reason: row.reason, by: row.by_whom });
      }
      return { generation, agents };
    })();
  }

  since(generation: number): LifecycleTransition[] {
    return this.#since.all(generation).map((row) => {
      if (!isAgentState(row.to_state) || (row.from_state !== null && !isAgentState(row.from_state))) throw new Error(`the state store's lifecycle event ${row.generation} names no lifecycle state`);
      return {
        ok: true,
        agentId: row.agent_id,
        from: row.from_state as AgentState | null,
        to: row.to_state,
        command: row.command as LifecycleCommand,
        generation: row.generation,
        reason: row.reason,
        by: row.by_whom,
        approvedBy: row.approved_by,
        at: row.at,
      };
    });
  }

  apply(agentId: string, command: LifecycleCommand, note: TransitionNote, unseenIsActive: boolean): LifecycleTransition | IllegalTransition {
    const result = this.#apply(agentId, command, note, unseenIsActive);
    // data_version does not move for this connection's own commits: the cached generation must.
    if (result.ok) this.#generation = Math.max(this.#generation, result.generation);
    return result;
  }

  health(): string | null {
    let inode: number;
    let mode: number;
    try {
      ({ ino: inode, mode } = statSync(this.#path));
    } catch {
      return `the state store ${this.#path} was deleted; restore it, or restart with a new one (every agent's state was in it)`;
    }
    if (inode !== this.#inode) return `the state store ${this.#path} was replaced by another file; restart the process to read the new one`;
    try {
      // Write bits too: root may write a file whose mode says nobody should, and an operator who
      // made the store read-only meant it.
      if ((mode & 0o222) === 0) throw new Error('read-only mode');
      accessSync(this.#path, constants.W_OK);
    } catch {
      return `the state store ${this.#path} is read-only, so no suspension or kill could be recorded; make it writable`;
    }
    try {
      const head = Buffer.alloc(SQLITE_HEADER.length);
      const fd = openSync(this.#path, 'r');
      try {
        readSync(fd, head, 0, head.length, 0);
      } finally {
        closeSync(fd);
      }
      if (!head.equals(SQLITE_HEADER)) return `the state store ${this.#path} is corrupt (not an SQLite database any more); restore it from a backup`;
    } catch (error) {
      return `the state store ${this.#path} cannot be read: ${describeError(error)}`;
    }
    return null;
  }

  close(): void {
    this.#db.close();
  }
}
