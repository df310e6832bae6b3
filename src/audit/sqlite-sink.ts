import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock.js';
import { describeError, GovernanceError } from '../core/errors.js';
import { CheckpointSigner, type Checkpoint } from './checkpoint.js';
import { withIdentities, type AuditEntry } from './entry.js';
import { flushAtExit, forgetAtExit } from './exit-flush.js';
import { MerkleFrontier } from './merkle-frontier.js';
import type { AuditRecord, AuditSink } from './sink.js';
import { ensureSchema, META, readMeta, writeMeta } from './sqlite-schema.js';
import { readStoredEntries, verifySqliteStore, type StoreVerifyOptions, type StoreVerifyResult } from './sqlite-verify.js';

/** The store the CLI and long-running processes use unless told otherwise. */
export const DEFAULT_STORE_PATH = '.agt/audit.db';

/** How a {@link SqliteAuditSink} stores, commits and checkpoints. */
export interface SqliteAuditSinkOptions {
  /** The database file; default `.agt/audit.db` (its folder is created). */
  path?: string;
  /** The Ed25519 key checkpoints are signed with (PKCS#8 PEM, created on first use); default `audit-signing-key.pem` beside the store. */
  keyPath?: string;
  /**
   * What an acknowledged append survives. `process` (default): the process being killed, even
   * with `kill -9` (WAL, synchronous=NORMAL: a commit is in the OS before it is acknowledged).
   * `power`: also power loss or an OS crash (synchronous=FULL: an fsync per group commit).
   */
  durability?: 'process' | 'power';
  /** Sign a checkpoint after this many entries (default 1000)… */
  checkpointEvery?: number;
  /** …or this long after the first entry not yet covered by one (default 1000 ms). */
  checkpointIntervalMs?: number;
  /** Commit at once when this many appends are waiting (default 8192); otherwise right after the current tick. */
  maxBatch?: number;
  clock?: Clock;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The durable audit store: entries in SQLite (WAL), group-committed, under an RFC 6962 Merkle
 * tree whose root is signed in checkpoints with the store's own Ed25519 key.
 *
 * Appends are buffered and committed together right after the tick they were made in (or at
 * once when {@link SqliteAuditSinkOptions.maxBatch} are waiting), in order, in one transaction:
 * one commit for a burst instead of one per entry. {@link durable} says when everything appended
 * so far is committed; `govern()` waits for it before a tool runs, so an acknowledged decision
 * is never lost. A failed commit breaks the sink: every later append throws (calls are denied)
 * rather than the chain going on with a hole in it.
 */
export class SqliteAuditSink implements AuditSink {
  readonly path: string;
  readonly keyPath: string;
  private readonly db: Database.Database;
  private readonly signer: CheckpointSigner;
  private readonly clock: Clock;
  private readonly checkpointEvery: number;
  private readonly checkpointIntervalMs: number;
  private readonly maxBatch: number;
  private readonly insertEntry: Database.Statement;
  private readonly insertEntries: Database.Statement;
  private readonly insertParams: unknown[] = new Array<unknown>(ROW_PARAMS * ROWS_PER_INSERT);
  private readonly insertCheckpoint: Database.Statement;
  private readonly commitBatch: () => void;

  private pendingSeqs: number[] = [];
  private pendingContents: string[] = [];
  private pendingHashes: string[] = [];
  private pendingInputIds: (string | null)[] = [];
  private pendingEnforcedIds: (string | null)[] = [];
  private waiting: Deferred | null = null;
  private scheduled = false;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private tail: AuditEntry | null;
  private frontier: MerkleFrontier;
  private checkpointedSize: number;
  private failure: Error | null = null;
  private closed = false;
  /** The device and inode of the file opened: a commit first checks the path still names it. */
  private readonly fileIdentity: string;

  constructor(options: SqliteAuditSinkOptions = {}) {
    this.path = options.path ?? DEFAULT_STORE_PATH;
    this.keyPath = options.keyPath ?? join(dirname(this.path), 'audit-signing-key.pem');
    this.clock = options.clock ?? systemClock;
    this.checkpointEvery = positive(options.checkpointEvery, 1000, 'checkpointEvery');
    this.checkpointIntervalMs = positive(options.checkpointIntervalMs, 1000, 'checkpointIntervalMs');
    this.maxBatch = positive(options.maxBatch, 8192, 'maxBatch');

    mkdirSync(dirname(this.path), { recursive: true });
    this.db = new Database(this.path);
    this.fileIdentity = fileIdentityOf(this.path) ?? '';
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.durability === 'power' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('busy_timeout = 5000');
      ensureSchema(this.db, this.path);
      this.signer = CheckpointSigner.loadOrCreate(this.keyPath);
      this.adoptKey();
      this.tail = this.readTail();
      this.frontier = this.loadFrontier();
      this.checkpointedSize = (this.db.prepare('SELECT max(size) FROM checkpoints').pluck().get() as number | null) ?? 0;
    } catch (error) {
      this.db.close();
      // SQLite's own messages ("file is not a database") do not say which file.
      if (error instanceof GovernanceError) throw error;
      throw new GovernanceError('ERR_AGT_AUDIT_STORE', describeError(error).includes(this.path) ? describeError(error) : `cannot use audit store ${this.path}: ${describeError(error)}`, { cause: error });
    }
    // Content is bound as text and cast to a blob by SQLite: the same UTF-8 bytes, without a
    // JavaScript Buffer per row. Rows go in ROWS_PER_INSERT at a time: one statement step each.
    this.insertEntry = this.db.prepare(`INSERT INTO entries (${ROW_COLUMNS}) VALUES ${ROW_VALUES}`);
    this.insertEntries = this.db.prepare(`INSERT INTO entries (${ROW_COLUMNS}) VALUES ${Array<string>(ROWS_PER_INSERT).fill(ROW_VALUES).join(', ')}`);
    this.insertCheckpoint = this.db.prepare('INSERT INTO checkpoints (size, root, timestamp, signature) VALUES (?, ?, ?, ?)');
    this.commitBatch = this.db.transaction(() => this.writeBatch());
    flushAtExit(this);
  }

  append({ entry, content }: AuditRecord): void {
    if (this.closed) throw new GovernanceError('ERR_AGT_AUDIT_STORE', `audit store ${this.path} is closed`);
    if (this.failure) throw new GovernanceError('ERR_AGT_AUDIT_STORE', `audit store ${this.path} failed to commit: ${this.failure.message}`, { cause: this.failure });
    this.pendingSeqs.push(entry.seq);
    this.pendingContents.push(content);
    this.pendingHashes.push(entry.hash);
    this.pendingInputIds.push(entry.inputIdentity ?? null);
    this.pendingEnforcedIds.push(entry.enforcedIdentity ?? null);
    this.tail = entry;
    if (this.pendingSeqs.length >= this.maxBatch) this.commit();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.commit());
    }
  }

  /**
   * Resolves once every entry appended so far is committed; null when nothing is waiting (so
   * callers need not await). Rejects if the commit fails.
   */
  durable(): Promise<void> | null {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pendingSeqs.length === 0) return null;
    if (!this.waiting) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.waiting = { promise, resolve, reject };
    }
    return this.waiting.promise;
  }

  last(): AuditEntry | null {
    return this.tail;
  }

  /** Every stored entry in order (after committing what is waiting). */
  read(): Iterable<unknown> {
    this.flush();
    return readStoredEntries(this.db);
  }

  /** Re-checks every entry, link and checkpoint (see {@link verifySqliteStore}). Never throws. */
  verify(options: StoreVerifyOptions = {}): StoreVerifyResult {
    try {
      this.flush();
    } catch {
      // verify what is stored
    }
    return verifySqliteStore(this.db, { publicKeyPem: this.signer.publicKeyPem(), ...options });
  }

  /** The public key checkpoints verify with (SPKI PEM), to publish or hand to an auditor. */
  publicKeyPem(): string {
    return this.signer.publicKeyPem();
  }

  /** Commits what is waiting; throws if the store cannot be written (and from then on, on every append). */
  flush(): void {
    this.commit();
    if (this.failure) throw this.failure;
  }

  /** Commits what is waiting and signs a checkpoint of the whole log if the last one does not cover it. */
  checkpoint(): Checkpoint | null {
    this.flush();
    if (this.frontier.size === this.checkpointedSize) return null;
    try {
      return this.db.transaction(() => this.signCheckpoint())();
    } catch (error) {
      throw new GovernanceError('ERR_AGT_AUDIT_STORE', `audit store ${this.path} could not sign a checkpoint: ${describeError(error)}`, { cause: error });
    }
  }

  /** Commits, seals the log with a final checkpoint, and closes the database. */
  close(): void {
    if (this.closed) return;
    try {
      if (!this.failure) this.checkpoint();
    } finally {
      this.closed = true;
      if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
      forgetAtExit(this);
      this.db.close();
    }
  }

  /** Writes the waiting batch in one transaction and settles whoever waits for it. Never throws. */
  private commit(): void {
    this.scheduled = false;
    if (this.pendingSeqs.length === 0 || this.failure || this.closed) return;
    const waiting = this.waiting;
    this.waiting = null;
    // SQLite keeps writing to a file that was deleted or replaced under its path, and every such
    // commit would be acknowledged and lost: notice it and fail closed instead.
    const current = fileIdentityOf(this.path);
    if (current !== this.fileIdentity) {
      this.failure = new GovernanceError(
        'ERR_AGT_AUDIT_STORE',
        `audit store ${this.path} was ${current === null ? 'deleted' : 'replaced by another file'} while open: nothing more can be committed to it (restore it, or start a new store and keep the old one as evidence)`,
      );
      waiting?.reject(this.failure);
      return;
    }
    try {
      this.commitBatch();
    } catch (error) {
      this.failure = describeCommitFailure(error, this.path);
      waiting?.reject(this.failure);
      return;
    }
    waiting?.resolve();
    if (this.frontier.size > this.checkpointedSize && !this.checkpointTimer) {
      this.checkpointTimer = setTimeout(() => {
        this.checkpointTimer = null;
        try {
          if (!this.closed && !this.failure) this.checkpoint();
        } catch {
          // the failure is kept; the next append reports it
        }
      }, this.checkpointIntervalMs);
      this.checkpointTimer.unref();
    }
  }

  /** Inside the transaction: the rows, the Merkle frontier, and a checkpoint when one is due. */
  private writeBatch(): void {
    const seqs = this.pendingSeqs;
    const contents = this.pendingContents;
    const hashes = this.pendingHashes;
    const inputIds = this.pendingInputIds;
    const enforcedIds = this.pendingEnforcedIds;
    this.pendingSeqs = [];
    this.pendingContents = [];
    this.pendingHashes = [];
    this.pendingInputIds = [];
    this.pendingEnforcedIds = [];
    const params = this.insertParams;
    for (let i = 0; i < seqs.length; ) {
      if (i + ROWS_PER_INSERT <= seqs.length && !this.checkpointDueWithin(ROWS_PER_INSERT)) {
        for (let k = 0, p = 0; k < ROWS_PER_INSERT; k++, i++) {
          params[p++] = seqs[i];
          params[p++] = contents[i];
          params[p++] = hashes[i];
          params[p++] = inputIds[i];
          params[p++] = enforcedIds[i];
          this.frontier.appendEntryHash(hashes[i] as string);
        }
        this.insertEntries.run(params);
        continue;
      }
      // One row at a time near a checkpoint, so that it is signed at exactly its size.
      this.insertEntry.run(seqs[i], contents[i], hashes[i], inputIds[i], enforcedIds[i]);
      this.frontier.appendEntryHash(hashes[i] as string);
      if (this.frontier.size - this.checkpointedSize >= this.checkpointEvery) this.signCheckpoint();
      i++;
    }
    writeMeta(this.db, META.frontier, this.frontier.serialize());
  }

  /** True when a checkpoint falls due within the next `rows` entries (they then go in one by one, so it lands on its size). */
  private checkpointDueWithin(rows: number): boolean {
    return this.frontier.size + rows - this.checkpointedSize >= this.checkpointEvery;
  }

  private signCheckpoint(): Checkpoint {
    const checkpoint = this.signer.sign(this.frontier.size, this.frontier.root().toString('hex'), new Date(this.clock()).toISOString());
    this.insertCheckpoint.run(checkpoint.size, checkpoint.root, checkpoint.timestamp, checkpoint.signature);
    this.checkpointedSize = checkpoint.size;
    return checkpoint;
  }

  /** Records the signing key's public half on first use; refuses a key that is not the store's. */
  private adoptKey(): void {
    const stored = readMeta(this.db, META.publicKey);
    const ours = this.signer.publicKeyPem();
    if (stored === null) writeMeta(this.db, META.publicKey, ours);
    else if (stored.trim() !== ours.trim()) {
      throw new GovernanceError('ERR_AGT_AUDIT_STORE', `the signing key ${this.keyPath} is not the key ${this.path} was signed with; restore that key file, or start a new store`);
    }
  }

  private readTail(): AuditEntry | null {
    const row = this.db.prepare('SELECT seq, content, hash FROM entries ORDER BY seq DESC LIMIT 1').get() as { seq: number; content: unknown; hash: unknown } | undefined;
    if (!row) return null;
    try {
      const entry = { ...withIdentities(JSON.parse(Buffer.isBuffer(row.content) ? row.content.toString('utf8') : String(row.content)) as AuditEntry), hash: row.hash as string };
      if (entry.seq !== row.seq) throw new Error('sequence mismatch');
      return entry;
    } catch {
      throw new GovernanceError('ERR_AGT_AUDIT_CORRUPT', `${this.path} ends with a malformed entry (seq ${row.seq}); run \`agt audit verify --store ${this.path}\` before appending`);
    }
  }

  /**
   * The saved frontier if it matches the entries (and the last checkpoint, when that covers
   * exactly them), else rebuilt from every stored hash: new checkpoints must sign the real root.
   */
  private loadFrontier(): MerkleFrontier {
    const size = this.tail?.seq ?? 0;
    const saved = readMeta(this.db, META.frontier);
    const parsed = saved === null ? null : MerkleFrontier.parse(saved);
    const sealed = this.db.prepare('SELECT root FROM checkpoints WHERE size = ?').pluck().get(size) as string | undefined;
    if (parsed && parsed.size === size && (sealed === undefined || parsed.root().toString('hex') === sealed)) return parsed;
    const rebuilt = new MerkleFrontier();
    for (const hash of this.db.prepare('SELECT hash FROM entries ORDER BY seq').pluck().iterate()) rebuilt.appendEntryHash(String(hash));
    return rebuilt;
  }
}

const ROWS_PER_INSERT = 32;
const ROW_COLUMNS = 'seq, content, hash, input_identity, enforced_identity';
const ROW_VALUES = '(?, CAST(? AS BLOB), ?, ?, ?)';
const ROW_PARAMS = 5;

/** A failed commit as an ERR_AGT_AUDIT_STORE, said plainly where the cause is known. */
/** `dev:ino` of the file at `path`, or null when there is none. */
function fileIdentityOf(path: string): string | null {
  try {
    const stat = statSync(path);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}

function describeCommitFailure(error: unknown, path: string): GovernanceError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new GovernanceError('ERR_AGT_AUDIT_STORE', `another writer appended to ${path} (an entry with this sequence number exists): one process may append to a store at a time`, { cause: error });
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new GovernanceError('ERR_AGT_AUDIT_STORE', `audit store ${path} is held by another writer: ${describeError(error)}`, { cause: error });
  }
  return new GovernanceError('ERR_AGT_AUDIT_STORE', `audit store ${path} could not commit: ${describeError(error)}`, { cause: error });
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
