import Database from 'better-sqlite3';
import { cadenceProblem, parseCadence } from './cadence.js';
import type { Checkpoint } from './checkpoint.js';
import { CheckpointRoots, signedCheckpoints, type CheckpointRow } from './checkpoint-roots.js';
import { MerkleTree } from './merkle.js';
import type { WitnessSource } from './witness.js';
import { checkWitnesses, type WitnessedCheckpoint } from './witness-check.js';
import { describeError, GovernanceError } from '../core/errors.js';
import { withIdentities, type AuditEntry } from './entry.js';
import { checkSchema, META, readMeta, tuneForReading } from './sqlite-schema.js';
import { SegmentThread } from './segment-thread.js';
import { verifySegment, type SegmentRange } from './store-segment.js';
import { PARALLEL_MIN_ENTRIES, type VerifyOptions, type VerifyResult } from './verify.js';

/** How a stored log is verified. */
export interface StoreVerifyOptions extends VerifyOptions {
  /** The key checkpoints must verify with (SPKI PEM). Default: the one the store records; pass your own copy to not trust the store's. */
  publicKeyPem?: string;
  /** Called after each page of entries, e.g. to draw a progress bar. */
  onProgress?: (checked: number, total: number) => void;
  /**
   * What the store's witnesses hold (see `readWitness`): the store is then checked against the
   * latest checkpoint they saw. Without any, completeness is not checked and a warning says so.
   */
  witnesses?: readonly WitnessSource[];
}

/** A verification of a stored log: the chain, the Merkle roots and the checkpoint signatures. */
export interface StoreVerifyResult extends VerifyResult {
  /** Checkpoints whose signature and root were checked and hold. */
  checkpoints: number;
  /** Size of the first checkpoint found bad (forged signature, root mismatch), or null. */
  badCheckpoint: number | null;
  /** The checkpoint cadence the gaps were checked against (the witnesses', else the store's), or null when unknown. */
  checkpointEvery: number | null;
  /** The latest witnessed checkpoint the store was held to, or null when no witness was read. */
  witnessed: WitnessedCheckpoint | null;
  /** What was not checked, and why (no witness, no recorded cadence). */
  warnings: string[];
}

/** The warning when no witness was read: what a store alone cannot prove. */
export const NO_WITNESS_WARNING =
  'completeness not checked: no witness given or recorded, so a tail truncated together with its checkpoints, or a chain rewritten and re-signed, would pass (see docs/audit.md#witnesses)';

const PAGE_ROWS = 4096;

/** Opens a store for reading only; throws a clear error if it is missing or not an audit store. */
export function openStoreReadOnly(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new GovernanceError('ERR_AGT_AUDIT_STORE', `cannot open audit store ${path}: ${describeError(error)}`, { cause: error });
  }
  try {
    checkSchema(db, path);
    tuneForReading(db);
  } catch (error) {
    db.close();
    // SQLite's own messages ("file is not a database") do not say which file.
    if (error instanceof GovernanceError) throw error;
    throw new GovernanceError('ERR_AGT_AUDIT_STORE', describeError(error).includes(path) ? describeError(error) : `cannot read audit store ${path}: ${describeError(error)}`, { cause: error });
  }
  return db;
}

/**
 * Verifies a stored log and names the first bad place: a row missing from the sequence
 * (deleted), a malformed row, content that does not hash to its stored hash (edited), a link or
 * sequence number that does not follow (inserted, deleted, swapped), a checkpoint whose signature
 * does not verify (forged) or whose Merkle root does not match the entries it covers
 * (rewritten), and a log shorter than its last checkpoint (truncated tail). Never throws.
 */
export function verifySqliteStore(db: Database.Database, options: StoreVerifyOptions = {}): StoreVerifyResult {
  try {
    return verifyOpenStore(db, options);
  } catch (error) {
    return { ok: false, entries: 0, firstBadSeq: null, reason: `could not read the store: ${describeError(error)}`, checkpoints: 0, badCheckpoint: null, ...UNCHECKED };
  }
}

function verifyOpenStore(db: Database.Database, options: StoreVerifyOptions): StoreVerifyResult {
  const size = (db.prepare('SELECT max(seq) FROM entries').pluck().get() as number | null) ?? 0;
  const publicKey = options.publicKeyPem ?? readMeta(db, META.publicKey);
  const rows = db.prepare('SELECT size, root, timestamp, signature FROM checkpoints ORDER BY size').all() as CheckpointRow[];
  const outside = db.prepare('SELECT min(seq) FROM entries').pluck().get() as number | null;
  if (outside !== null && outside < 1) {
    return { ok: false, entries: 1, firstBadSeq: 1, reason: `entry 1: a row has sequence number ${outside}, outside the log (inserted)`, checkpoints: 0, badCheckpoint: null, ...UNCHECKED };
  }

  const plan = planSegments(db, size, options);
  const thread = plan.second ? SegmentThread.start(db.name, plan.second, plan.shared as SharedArrayBuffer) : null;
  // Signatures first (while the helper thread starts): a forged checkpoint is reported whatever the entries say.
  const signed = signedCheckpoints(rows, publicKey);
  const roots = new CheckpointRoots(signed.checkpoints);
  const leaves = plan.leaves;
  const report = options.onProgress;

  let mine = 0;
  const first = verifySegment(db, plan.first, leaves, (checked) => {
    mine = checked;
    report?.(mine + (thread?.checked ?? 0), size);
  });
  // Leaves are trusted up to the first bad entry; the calling thread takes its own segment's
  // into the Merkle tree while the helper thread may still be working.
  roots.advance(leaves, first.bad ? first.bad.index : plan.first.toSeq);
  let bad = first.bad;
  if (!bad && plan.second) {
    const second = plan.second;
    const other = thread?.wait((checked) => report?.(mine + checked, size)) ?? verifySegment(db, second, leaves, (checked) => report?.(mine + checked, size));
    bad = other.bad;
    roots.advance(leaves, bad ? bad.index : size);
  } else thread?.stop();

  const checkpointProblem = signed.problem ?? roots.problem;
  const result = (fields: Omit<StoreVerifyResult, 'checkpoints' | keyof typeof UNCHECKED>): StoreVerifyResult => ({ ...fields, checkpoints: roots.held, ...UNCHECKED });
  if (bad && (!checkpointProblem || checkpointProblem.seq === null || bad.index + 1 <= checkpointProblem.size)) {
    // A root mismatch only says that something in a range changed; a bad entry in it is exact.
    const seq = bad.index + 1;
    return result({ ok: false, entries: seq, firstBadSeq: seq, reason: `entry ${seq}: ${bad.reason}`, badCheckpoint: checkpointProblem?.size ?? null });
  }
  if (checkpointProblem) {
    return result({ ok: false, entries: checkpointProblem.seq ?? size, firstBadSeq: checkpointProblem.seq, reason: checkpointProblem.reason, badCheckpoint: checkpointProblem.size });
  }
  const last = signed.checkpoints[signed.checkpoints.length - 1];
  if (last && last.size > size) {
    return result({
      ok: false,
      entries: size,
      firstBadSeq: size + 1,
      reason: `entries ${size + 1}..${last.size} are missing: the log was truncated after checkpoint ${last.size} (signed ${last.timestamp}) was made`,
      badCheckpoint: last.size,
    });
  }
  return completeness(db, { size, publicKey, checkpoints: signed.checkpoints, leaves, held: roots.held }, options);
}

const UNCHECKED = { checkpointEvery: null, witnessed: null, warnings: [] as string[] } as const;

/**
 * For a store that agrees with itself: what it alone cannot show. Against its witnesses (the
 * key, truncation, rewrites, deleted checkpoints), then against its checkpoint cadence.
 */
function completeness(
  db: Database.Database,
  store: { size: number; publicKey: string | null; checkpoints: readonly Checkpoint[]; leaves: Buffer; held: number },
  options: StoreVerifyOptions,
): StoreVerifyResult {
  const base = { entries: store.size, checkpoints: store.held };
  const fail = (reason: string, firstBadSeq: number | null, badCheckpoint: number | null): StoreVerifyResult => ({ ok: false, ...base, firstBadSeq, reason, badCheckpoint, ...UNCHECKED });
  const warnings: string[] = [];
  let witnessed: WitnessedCheckpoint | null = null;
  let witnessCadence: number | null = null;
  if (options.witnesses && options.witnesses.length > 0) {
    const check = checkWitnesses(options.witnesses, {
      size: store.size,
      tree: () => MerkleTree.fromLeafBuffer(store.leaves, store.size),
      publicKeyPem: store.publicKey,
      checkpoints: new Map(store.checkpoints.map((checkpoint) => [checkpoint.size, checkpoint])),
    });
    if (!check.ok) return fail(check.reason, check.firstBadSeq, check.badCheckpoint);
    ({ witnessed, checkpointEvery: witnessCadence } = check);
    warnings.push(...check.warnings);
    if (witnessed === null) warnings.push('completeness not checked: the witnesses hold no checkpoint yet');
  } else warnings.push(NO_WITNESS_WARNING);

  const recorded = readMeta(db, META.checkpointEvery);
  const storeCadence = parseCadence(recorded);
  if (recorded !== null && storeCadence === null) return fail(`the store's checkpoint cadence (meta ${META.checkpointEvery}) is not a positive whole number: the meta table was edited`, null, null);
  if (witnessCadence !== null && storeCadence !== null && witnessCadence !== storeCadence) {
    return fail(`the store says a checkpoint is due every ${storeCadence} entries, its witnesses every ${witnessCadence}: the meta table was edited`, null, null);
  }
  const every = witnessCadence ?? storeCadence;
  if (every === null) warnings.push('checkpoint cadence not checked: the store records none (it was written before stores recorded it)');
  else {
    const problem = cadenceProblem(store.checkpoints.map((checkpoint) => checkpoint.size), store.size, every);
    if (problem) return fail(problem.reason, problem.firstBadSeq, problem.dueBy);
  }
  return { ok: true, ...base, firstBadSeq: null, reason: null, badCheckpoint: null, checkpointEvery: every, witnessed, warnings };
}

/**
 * The share of a long log the calling thread checks itself: a little under half, because it
 * also checks signatures and builds the Merkle tree (its own segment's part while the helper
 * thread still works).
 */
const CALLER_SHARE = 0.45;

/** How entries 1..size are split: one segment, or two (the second on a helper thread) for long logs of a file store. */
function planSegments(db: Database.Database, size: number, options: StoreVerifyOptions): { first: SegmentRange; second: SegmentRange | null; leaves: Buffer; shared: SharedArrayBuffer | null } {
  const parallel = options.parallel !== false && size >= PARALLEL_MIN_ENTRIES && !db.memory && db.name !== '';
  if (!parallel) return { first: { fromSeq: 1, toSeq: size }, second: null, leaves: Buffer.alloc(size * 32), shared: null };
  const shared = new SharedArrayBuffer(size * 32);
  const mid = Math.floor(size * CALLER_SHARE);
  return { first: { fromSeq: 1, toSeq: mid }, second: { fromSeq: mid + 1, toSeq: size }, leaves: Buffer.from(shared), shared };
}

/** Every stored entry in order, as frozen objects; an unreadable row as `{ seq, malformed }`. */
export function* readStoredEntries(db: Database.Database, fromSeq = 0): Generator<AuditEntry | { seq: number; malformed: string }> {
  const page = db.prepare('SELECT seq, content, hash FROM entries WHERE seq > ? ORDER BY seq LIMIT ?').raw();
  for (let lastSeq = fromSeq; ; ) {
    const batch = page.all(lastSeq, PAGE_ROWS) as [number, unknown, unknown][];
    if (batch.length === 0) return;
    for (const [seq, content, claim] of batch) {
      lastSeq = seq;
      try {
        const text = Buffer.isBuffer(content) ? content.toString('utf8') : String(content);
        yield Object.freeze({ ...withIdentities(JSON.parse(text) as Omit<AuditEntry, 'hash'>), hash: claim as string });
      } catch (error) {
        yield { seq, malformed: describeError(error) };
      }
    }
  }
}
