import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock.js';
import { describeError, GovernanceError } from '../core/errors.js';
import { parseCadence } from './cadence.js';
import { CheckpointSigner, type Checkpoint } from './checkpoint.js';
import { withIdentities, type AuditEntry } from './entry.js';
import { flushAtExit, forgetAtExit } from './exit-flush.js';
import { MerkleFrontier } from './merkle-frontier.js';
import type { AuditRecord, AuditSink } from './sink.js';
import { ensureSchema, META, readMeta, readWitnessLocations, writeMeta } from './sqlite-schema.js';
import { readStoredEntries, verifySqliteStore, type StoreVerifyOptions, type StoreVerifyResult } from './sqlite-verify.js';
import { WITNESS_FORMAT, type Witness, type WitnessStatement } from './witness.js';

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
  /**
   * Sign a checkpoint after this many entries (default 1000)… The store records the cadence it
   * was created with and verification holds it to that, so it can only tighten: reopening with a
   * larger value keeps the recorded one, a smaller value signs more often.
   */
  checkpointEvery?: number;
  /** …or this long after the first entry not yet covered by one (default 1000 ms). */
  checkpointIntervalMs?: number;
  /** Commit at once when this many appends are waiting (default 8192); otherwise right after the current tick. */
  maxBatch?: number;
  /**
   * Where every checkpoint is published once the transaction that signed it commits (a
   * `FileWitness` on another volume, an `HttpWitness`, a `StreamWitness`), so that truncation,
   * rewrites and a new key are caught later. Their locations are recorded in the store for
   * `agt audit verify`. A witness that fails breaks the store, as a failed commit does.
   */
  witnesses?: readonly Witness[];
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
  /** How often this sink signs: the configured cadence, or the store's recorded one if that is smaller. */
  private readonly checkpointEvery: number;
  /** The cadence the store promises verifiers (recorded in its meta and in witness statements). */
  private readonly promisedCadence: number;
  private readonly checkpointIntervalMs: number;
  private readonly witnesses: readonly Witness[];
  /** Per witness, the publication still in flight (async witnesses publish in order, one at a time). */
  private readonly inFlight: (Promise<void> | null)[];
  /** Checkpoints signed in the open transaction: published once it commits, forgotten if it rolls back. */
  private unpublished: Checkpoint[] = [];
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
    const checkpointEvery = positive(options.checkpointEvery, 1000, 'checkpointEvery');
    this.witnesses = [...(options.witnesses ?? [])];
    this.inFlight = this.witnesses.map(() => null);
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
      this.promisedCadence = this.adoptCadence(checkpointEvery);
      this.checkpointEvery = Math.min(checkpointEvery, this.promisedCadence);
      this.recordWitnesses();
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
    if (this.pendingSeqs.length === 0) return this.publishing();
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

  /**
   * Resolves once every checkpoint signed so far is held by every witness; rejects if one could
   * not be published (the store is then broken). Await it after {@link close} when a witness is
   * asynchronous (HTTP, a stream), so the final checkpoint reaches it before the process ends.
   */
  published(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.publishing() ?? Promise.resolve();
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
    let checkpoint: Checkpoint;
    try {
      checkpoint = this.db.transaction(() => this.signCheckpoint())();
    } catch (error) {
      this.unpublished = [];
      throw new GovernanceError('ERR_AGT_AUDIT_STORE', `audit store ${this.path} could not sign a checkpoint: ${describeError(error)}`, { cause: error });
    }
    this.publishSigned();
    if (this.failure) throw this.failure;
    return checkpoint;
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
      this.unpublished = [];
      this.failure = describeCommitFailure(error, this.path);
      waiting?.reject(this.failure);
      return;
    }
    this.publishSigned();
    if (this.failure) waiting?.reject(this.failure);
    else if (waiting) {
      // A batch that completed a checkpoint is acknowledged once its witnesses hold it.
      const publishing = this.publishing();
      if (publishing) publishing.then(waiting.resolve, waiting.reject);
      else waiting.resolve();
    }
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
    if (this.witnesses.length > 0) this.unpublished.push(checkpoint);
    return checkpoint;
  }

  /** Hands the checkpoints of the transaction just committed to every witness, in order. Never throws: a failure breaks the store. */
  private publishSigned(): void {
    const signed = this.unpublished;
    this.unpublished = [];
    for (const checkpoint of signed) {
      const statement: WitnessStatement = { format: WITNESS_FORMAT, checkpoint, publicKey: this.signer.publicKeyPem(), checkpointEvery: this.promisedCadence };
      this.witnesses.forEach((_, index) => this.publishTo(index, statement));
    }
  }

  /** Publishes to one witness now, or after its publication in flight. */
  private publishTo(index: number, statement: WitnessStatement): void {
    const witness = this.witnesses[index] as Witness;
    const previous = this.inFlight[index];
    let outcome: void | Promise<void>;
    try {
      outcome = previous ? previous.then(() => witness.publish(statement)) : witness.publish(statement);
    } catch (error) {
      this.witnessFailed(witness, statement, error);
      return;
    }
    if (!(outcome instanceof Promise)) return;
    const tracked: Promise<void> = outcome.then(
      () => {
        if (this.inFlight[index] === tracked) this.inFlight[index] = null;
      },
      (error: unknown) => {
        throw this.witnessFailed(witness, statement, error);
      },
    );
    // Reported through durable(), published() and the next append; never as an unhandled rejection.
    tracked.catch(() => undefined);
    this.inFlight[index] = tracked;
  }

  /** Breaks the store: a checkpoint a witness does not hold leaves the log's completeness unprovable. */
  private witnessFailed(witness: Witness, statement: WitnessStatement, error: unknown): Error {
    this.failure ??= new GovernanceError(
      'ERR_AGT_AUDIT_STORE',
      `audit store ${this.path} could not publish checkpoint ${statement.checkpoint.size} to witness ${witness.location ?? witness.constructor.name}: ${describeError(error)}; nothing more is accepted (fix the witness, then reopen the store: the next checkpoint covers everything since)`,
      { cause: error },
    );
    return this.failure;
  }

  /** The publications in flight, as one promise (rejecting with the store's failure), or null when there are none. */
  private publishing(): Promise<void> | null {
    const inFlight = this.inFlight.filter((p): p is Promise<void> => p !== null);
    if (inFlight.length === 0) return null;
    return Promise.all(inFlight).then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /**
   * The cadence the store promises: the one it recorded, or, for a new store, `configured`. A
   * store written before the cadence was recorded gets the smallest promise its checkpoints keep.
   */
  private adoptCadence(configured: number): number {
    const recorded = readMeta(this.db, META.checkpointEvery);
    const promised = parseCadence(recorded);
    if (promised !== null) return promised;
    if (recorded !== null) {
      throw new GovernanceError('ERR_AGT_AUDIT_CORRUPT', `${this.path} records checkpoint cadence ${JSON.stringify(recorded)}, not a positive whole number; run \`agt audit verify --store ${this.path}\``);
    }
    const sizes = this.db.prepare('SELECT size FROM checkpoints ORDER BY size').pluck().all() as number[];
    const entries = (this.db.prepare('SELECT max(seq) FROM entries').pluck().get() as number | null) ?? 0;
    let kept = configured;
    let previous = 0;
    for (const size of sizes) {
      kept = Math.max(kept, size - previous);
      previous = size;
    }
    kept = Math.max(kept, entries - previous + 1);
    writeMeta(this.db, META.checkpointEvery, String(kept));
    return kept;
  }

  /** Adds the witnesses' locations to the store's list, which `agt audit verify` reads by default. */
  private recordWitnesses(): void {
    const locations = this.witnesses.map((w) => w.location).filter((l): l is string => l !== null);
    if (locations.length === 0) return;
    const recorded = readWitnessLocations(this.db) ?? [];
    const all = [...new Set([...recorded, ...locations])];
    if (all.length !== recorded.length) writeMeta(this.db, META.witnesses, JSON.stringify(all));
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
