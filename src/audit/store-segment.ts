import type Database from 'better-sqlite3';
import { GENESIS_HASH } from './entry.js';
import { writeEntryLeafHash } from './merkle-hash.js';
import { RunVerifier } from './verify.js';

/** Sequence numbers `fromSeq..toSeq` (inclusive) of a stored log. */
export interface SegmentRange {
  fromSeq: number;
  toSeq: number;
}

/** What checking a segment found: its earliest bad entry (0-based index) and why, or null. */
export interface SegmentOutcome {
  bad: { index: number; reason: string } | null;
}

const PAGE_ROWS = 4096;
const HEX_64 = /^[0-9a-f]{64}$/;

/**
 * Checks the rows of one segment of a stored log: each is present (no gap in the sequence),
 * well formed, hashes to its stored hash and links to its predecessor (the first one to the row
 * before the segment). Writes each entry's Merkle leaf hash into `leaves` at `(seq - 1) * 32`, so
 * segments checked apart (on two threads) feed one tree. Stops at the first bad row.
 */
export function verifySegment(db: Database.Database, range: SegmentRange, leaves: Buffer, onPage?: (checked: number) => void): SegmentOutcome {
  const first = range.fromSeq - 1;
  const verifier = new RunVerifier(range.toSeq - first, { parallel: false }, { index: first, prevHash: previousHash(db, range.fromSeq) });
  const page = db.prepare('SELECT seq, content, hash FROM entries WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?').raw();
  let lastSeq = first;
  while (!verifier.failed && lastSeq < range.toSeq) {
    const batch = page.all(lastSeq, range.toSeq, PAGE_ROWS) as [number, unknown, unknown][];
    const start = verifier.position;
    const contents: Buffer[] = [];
    const starts: number[] = [0];
    let offset = 0;
    let claims = '';
    let problem: string | null = null;
    for (const [seq, content, claim] of batch) {
      const index = start + contents.length;
      problem = seq !== index + 1 ? `entry ${index + 1} is missing (deleted); the next stored entry is ${seq}` : rowProblem(content, claim);
      if (problem) break;
      const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content as string, 'utf8');
      contents.push(bytes);
      offset += bytes.length;
      starts.push(offset);
      claims += claim as string;
      writeEntryLeafHash(claim as string, leaves, index * 32);
    }
    if (!problem && batch.length < PAGE_ROWS && start + contents.length < range.toSeq) {
      problem = `entry ${start + contents.length + 1} is missing (deleted)`;
    }
    if (contents.length > 0) {
      verifier.addRun({ first: start, count: contents.length, chunk: Buffer.concat(contents, offset), starts: Int32Array.from(starts) }, Buffer.from(claims, 'latin1'));
    }
    if (problem) verifier.fail(start + contents.length, problem);
    lastSeq = start + contents.length;
    onPage?.(lastSeq - first);
  }
  return { bad: verifier.firstBad() };
}

/** The stored hash of the entry before `seq` (the genesis hash for the first); a row that is not there links to nothing. */
function previousHash(db: Database.Database, seq: number): string {
  if (seq === 1) return GENESIS_HASH;
  const claim: unknown = db.prepare('SELECT hash FROM entries WHERE seq = ?').pluck().get(seq - 1);
  // A missing or malformed predecessor is reported by the segment that holds it, earlier.
  return typeof claim === 'string' && HEX_64.test(claim) ? claim : '?'.repeat(64);
}

/** What is wrong with a row's columns before its content is looked at, or null. */
export function rowProblem(content: unknown, claim: unknown): string | null {
  if (!Buffer.isBuffer(content) && typeof content !== 'string') return `malformed row: content is ${content === null ? 'NULL' : typeof content}`;
  if (typeof claim !== 'string' || !HEX_64.test(claim)) return 'malformed row: hash is not 64 lowercase hex digits';
  return null;
}
