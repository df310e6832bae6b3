import Database from 'better-sqlite3';
import { verifyCheckpoint, type Checkpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { MerkleFrontier } from './merkle-frontier.js';
import { checkSchema, META, readMeta } from './sqlite-schema.js';
import { RunVerifier, type VerifyOptions, type VerifyResult } from './verify.js';

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
    throw new Error(`cannot open audit store ${path}: ${(error as Error).message}`);
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
  const total = db.prepare('SELECT count(*) FROM entries').pluck().get() as number;
  const publicKey = options.publicKeyPem ?? readMeta(db, META.publicKey);
  const rows = db.prepare('SELECT size, root, timestamp, signature FROM checkpoints ORDER BY size').all() as CheckpointRow[];

  // Signatures first: a forged checkpoint is reported whatever the entries say.
  let checkpointProblem: { size: number; seq: number | null; reason: string } | null = null;
  const checkpoints: Checkpoint[] = [];
  for (const row of rows) {
    const problem = checkpointRowProblem(row, publicKey);
    if (problem) {
      checkpointProblem = { size: Number(row.size), seq: null, reason: `checkpoint at size ${String(row.size)}: ${problem}` };
      break;
    }
    checkpoints.push(row as Checkpoint);
  }

  const verifier = new RunVerifier(total, options);
  const frontier = new MerkleFrontier();
  let nextCheckpoint = 0;
  let rootsHeld = 0;
  let lastGoodCheckpointSize = 0;
  const page = db.prepare('SELECT seq, content, hash FROM entries WHERE seq > ? ORDER BY seq LIMIT ?').raw();
  let lastSeq = 0;
  while (!verifier.failed && nextCheckpointCanHold(checkpointProblem)) {
    const batch = page.all(lastSeq, PAGE_ROWS) as [number, unknown, unknown][];
    if (batch.length === 0) break;
    const contents: Buffer[] = [];
    const starts: number[] = [0];
    let offset = 0;
    let claims = '';
    const first = verifier.position;
    for (const [seq, content, claim] of batch) {
      const index = first + contents.length;
      const problem = seq !== index + 1 ? `entry ${index + 1} is missing (deleted); the next stored entry is ${seq}` : rowProblem(content, claim);
      if (problem) {
        verifier.fail(index, problem);
        break;
      }
      const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content as string, 'utf8');
      contents.push(bytes);
      offset += bytes.length;
      starts.push(offset);
      claims += claim as string;
      frontier.appendEntryHash(claim as string);
      // A checkpoint covers the first `size` entries: its root must be theirs.
      const due = checkpoints[nextCheckpoint];
      if (due && due.size === frontier.size && checkpointProblem === null) {
        if (frontier.root().toString('hex') !== due.root) {
          checkpointProblem = {
            size: due.size,
            seq: lastGoodCheckpointSize + 1,
            reason: `checkpoint at size ${due.size}: its Merkle root does not match entries ${lastGoodCheckpointSize + 1}..${due.size} (rewritten since it was signed)`,
          };
        } else {
          rootsHeld++;
          lastGoodCheckpointSize = due.size;
        }
        nextCheckpoint++;
      }
    }
    if (contents.length > 0) {
      verifier.addRun({ first, count: contents.length, chunk: Buffer.concat(contents, offset), starts: Int32Array.from(starts) }, Buffer.from(claims, 'latin1'));
    }
    lastSeq = batch[batch.length - 1]?.[0] ?? lastSeq;
    options.onProgress?.(verifier.position, total);
    if (contents.length < batch.length) break;
  }
  const chain = verifier.result();

  const last = checkpoints[checkpoints.length - 1];
  if (!checkpointProblem && chain.ok && last && last.size > total) {
    return {
      ok: false,
      entries: total,
      firstBadSeq: total + 1,
      reason: `entries ${total + 1}..${last.size} are missing: the log was truncated after checkpoint ${last.size} (signed ${last.timestamp}) was made`,
      checkpoints: rootsHeld,
      badCheckpoint: last.size,
    };
  }
  // A root mismatch says only that something in a range changed; a chain problem in that range is exact.
  if (!chain.ok && (!checkpointProblem || checkpointProblem.seq === null || (chain.firstBadSeq ?? Infinity) <= checkpointProblem.size)) {
    return { ...chain, checkpoints: rootsHeld, badCheckpoint: checkpointProblem?.size ?? null };
  }
  if (checkpointProblem) {
    return { ok: false, entries: checkpointProblem.seq ?? total, firstBadSeq: checkpointProblem.seq, reason: checkpointProblem.reason, checkpoints: rootsHeld, badCheckpoint: checkpointProblem.size };
  }
  return { ...chain, checkpoints: rootsHeld, badCheckpoint: null };
}

/** Merkle checks stop at the first bad checkpoint; entries are still checked after a forged signature. */
function nextCheckpointCanHold(problem: { seq: number | null } | null): boolean {
  return problem === null || problem.seq === null;
}

function rowProblem(content: unknown, claim: unknown): string | null {
  if (!Buffer.isBuffer(content) && typeof content !== 'string') return `malformed row: content is ${content === null ? 'NULL' : typeof content}`;
  if (typeof claim !== 'string' || !HEX_64.test(claim)) return 'malformed row: hash is not 64 lowercase hex digits';
  return null;
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
