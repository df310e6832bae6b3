import Database from 'better-sqlite3';
import { verifyCheckpoint, type Checkpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { MerkleFrontier } from './merkle-frontier.js';
import { checkSchema, META, readMeta } from './sqlite-schema.js';
import { SegmentThread } from './segment-thread.js';
import { verifySegment, type SegmentOutcome } from './store-segment.js';
import { PARALLEL_MIN_ENTRIES, type VerifyOptions, type VerifyResult } from './verify.js';

/** How a stored log is verified. */
export interface StoreVerifyOptions extends VerifyOptions {
  /** The key checkpoints must verify with (SPKI PEM). Default: the one the store records; pass your own copy to not trust the store's. */
  publicKeyPem?: string;
  /** Called after each page of entries, e.g. to draw a progress bar. */
  onProgress?: (checked: number, total: number) => void;
}

/** A verification of a stored log: the chain, the Merkle roots and the checkpoint signatures. */
export interface StoreVerifyResult extends VerifyResult {
  /** Checkpoints whose signature and root were checked and hold. */
  checkpoints: number;
  /** Size of the first checkpoint found bad (forged signature, root mismatch), or null. */
  badCheckpoint: number | null;
}

const PAGE_ROWS = 4096;
const HEX_64 = /^[0-9a-f]{64}$/;

/** Opens a store for reading only; throws a clear error if it is missing or not an audit store. */
export function openStoreReadOnly(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new Error(`cannot open audit store ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    checkSchema(db, path);
  } catch (error) {
    db.close();
    // SQLite's own messages ("file is not a database") do not say which file.
    throw (error as Error).message.includes(path) ? error : new Error(`cannot read audit store ${path}: ${(error as Error).message}`);
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
    return { ok: false, entries: 0, firstBadSeq: null, reason: `could not read the store: ${(error as Error).message}`, checkpoints: 0, badCheckpoint: null };
  }
}

interface CheckpointRow {
  size: unknown;
  root: unknown;
  timestamp: unknown;
  signature: unknown;
}

function verifyOpenStore(db: Database.Database, options: StoreVerifyOptions): StoreVerifyResult {
  const size = (db.prepare('SELECT max(seq) FROM entries').pluck().get() as number | null) ?? 0;
  const publicKey = options.publicKeyPem ?? readMeta(db, META.publicKey);
  const rows = db.prepare('SELECT size, root, timestamp, signature FROM checkpoints ORDER BY size').all() as CheckpointRow[];
  const outside = db.prepare('SELECT min(seq) FROM entries').pluck().get() as number | null;

  // Signatures first: a forged checkpoint is reported whatever the entries say.
  let checkpointProblem: { size: number; seq: number | null; reason: string } | null = null;
  const checkpoints: Checkpoint[] = [];
  for (const row of rows) {
    const problem = checkpointRowProblem(row, publicKey);
    if (problem) {
      checkpointProblem = { size: Number(row.size), seq: Number.isSafeInteger(row.size) ? (row.size as number) : null, reason: `checkpoint at size ${String(row.size)}: ${problem}` };
      break;
    }
    checkpoints.push(row as Checkpoint);
  }

  const { bad, leaves } = outside !== null && outside < 1 ? { bad: { index: 0, reason: `a row has sequence number ${outside}, outside the log (inserted)` }, leaves: Buffer.alloc(0) } : checkEntries(db, size, options);

  // Each checkpoint covers the first `size` entries: its root must be theirs. Leaves are only
  // trusted up to the first bad entry.
  const frontier = new MerkleFrontier();
  const trusted = bad ? bad.index : size;
  let rootsHeld = 0;
  let lastGood = 0;
  for (const checkpoint of checkpoints) {
    if (checkpoint.size > trusted || checkpointProblem) break;
    while (frontier.size < checkpoint.size) frontier.appendLeafHash(leaves.subarray(frontier.size * 32, frontier.size * 32 + 32));
    if (frontier.root().toString('hex') !== checkpoint.root) {
      checkpointProblem = {
        size: checkpoint.size,
        seq: lastGood + 1,
        reason: `checkpoint at size ${checkpoint.size}: its Merkle root does not match entries ${lastGood + 1}..${checkpoint.size} (rewritten since it was signed)`,
      };
      break;
    }
    rootsHeld++;
    lastGood = checkpoint.size;
  }
  const result = (fields: Omit<StoreVerifyResult, 'checkpoints'>): StoreVerifyResult => ({ ...fields, checkpoints: rootsHeld });

  if (bad && (!checkpointProblem || checkpointProblem.seq === null || bad.index + 1 <= checkpointProblem.size)) {
    // A root mismatch only says that something in a range changed; a bad entry in it is exact.
    const seq = bad.index + 1;
    return result({ ok: false, entries: seq, firstBadSeq: seq, reason: `entry ${seq}: ${bad.reason}`, badCheckpoint: checkpointProblem?.size ?? null });
  }
  if (checkpointProblem) {
    return result({ ok: false, entries: checkpointProblem.seq ?? size, firstBadSeq: checkpointProblem.seq, reason: checkpointProblem.reason, badCheckpoint: checkpointProblem.size });
  }
  const last = checkpoints[checkpoints.length - 1];
  if (last && last.size > size) {
    return result({
      ok: false,
      entries: size,
      firstBadSeq: size + 1,
      reason: `entries ${size + 1}..${last.size} are missing: the log was truncated after checkpoint ${last.size} (signed ${last.timestamp}) was made`,
      badCheckpoint: last.size,
    });
  }
  return result({ ok: true, entries: size, firstBadSeq: null, reason: null, badCheckpoint: null });
}

/**
 * Checks entries 1..size (two segments on two threads for long logs of a file store) and
 * returns the earliest bad one with every entry's leaf hash.
 */
function checkEntries(db: Database.Database, size: number, options: StoreVerifyOptions): { bad: SegmentOutcome['bad']; leaves: Buffer } {
  const parallel = options.parallel !== false && size >= PARALLEL_MIN_ENTRIES && !db.memory && db.name !== '';
  const shared = parallel ? new SharedArrayBuffer(size * 32) : null;
  const leaves = shared ? Buffer.from(shared) : Buffer.alloc(size * 32);
  const report = options.onProgress;
  if (!shared) {
    const { bad } = verifySegment(db, { fromSeq: 1, toSeq: size }, leaves, report && ((checked) => report(checked, size)));
    return { bad, leaves };
  }
  const mid = Math.floor(size / 2);
  const second = { fromSeq: mid + 1, toSeq: size };
  const thread = SegmentThread.start(db.name, second, shared);
  let mine = 0;
  const first = verifySegment(db, { fromSeq: 1, toSeq: mid }, leaves, (checked) => {
    mine = checked;
    report?.(mine + thread.checked, size);
  });
  const other = thread.wait((checked) => report?.(mine + checked, size)) ?? verifySegment(db, second, leaves, (checked) => report?.(mid + checked, size));
  return { bad: first.bad ?? other.bad, leaves };
}

function checkpointRowProblem(row: CheckpointRow, publicKey: string | null): string | null {
  if (!Number.isSafeInteger(row.size) || (row.size as number) <= 0) return 'malformed row: size is not a positive integer';
  if (typeof row.root !== 'string' || !HEX_64.test(row.root)) return 'malformed row: root is not 64 lowercase hex digits';
  if (typeof row.timestamp !== 'string' || typeof row.signature !== 'string') return 'malformed row: timestamp and signature must be text';
  if (publicKey === null) return 'the store records no public key to verify checkpoints with (pass one)';
  const check = verifyCheckpoint(row as Checkpoint, publicKey);
  return check.ok ? null : `signature does not verify: ${check.reason} (forged or altered)`;
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
        yield Object.freeze({ ...(JSON.parse(text) as Omit<AuditEntry, 'hash'>), hash: claim as string });
      } catch (error) {
        yield { seq, malformed: (error as Error).message };
      }
    }
  }
}
