import type Database from 'better-sqlite3';
import { GENESIS_HASH, isHexHash } from './entry.js';
import { writeEntryLeafHash } from './merkle-hash.js';
import { hasIdentityColumns } from './sqlite-schema.js';
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

/**
 * Checks the rows of one segment of a stored log: each is present (no gap in the sequence),
 * well formed, hashes to its stored hash and links to its predecessor (the first one to the row
 * before the segment). Writes each entry's Merkle leaf hash into `leaves` at `(seq - 1) * 32`, so
 * segments checked apart (on two threads) feed one tree. Stops at the first bad row.
 */
export function verifySegment(db: Database.Database, range: SegmentRange, leaves: Buffer, onPage?: (checked: number) => void): SegmentOutcome {
  const first = range.fromSeq - 1;
  const verifier = new RunVerifier(range.toSeq - first, { parallel: false }, { index: first, prevHash: previousHash(db, range.fromSeq) });
  const pages = new PageReader(db);
  while (!verifier.failed && verifier.position < range.toSeq) {
    const from = verifier.position;
    const to = Math.min(range.toSeq, from + PAGE_ROWS);
    const read = pages.fast(from, to, leaves) ?? pages.rowByRow(from, to, leaves);
    const chunk = Buffer.concat(read.contents);
    const page = pages.checkIdentities(from, read, chunk);
    if (page.count > 0) verifier.addRun({ first: from, count: page.count, chunk, starts: page.starts }, page.claims);
    if (page.problem) verifier.fail(from + page.count, page.problem);
    onPage?.(from + page.count - first);
    if (page.count === 0) break;
  }
  return { bad: verifier.firstBad() };
}

/** One page of rows, ready to verify: up to the first row that is missing or malformed. */
interface Page {
  count: number;
  contents: Buffer[];
  starts: Int32Array;
  /** The claimed hashes, 64 hex bytes each. */
  claims: Buffer;
  problem: string | null;
  /** How many identity columns of the page are set (-1: not counted). */
  identityColumns: number;
}

/**
 * Reads pages of rows two ways. The fast way takes every content in one query and every hash,
 * concatenated in order, in another (no array and no number per row); it applies when the page
 * is whole and well formed. Otherwise the page is read again row by row, which names the first
 * missing or malformed row.
 */
class PageReader {
  private readonly contentsOf: Database.Statement;
  private readonly hashesOf: Database.Statement;
  private readonly rowsOf: Database.Statement;
  /** The identity columns of a page's rows; null for a store of the older layout (no columns). */
  private readonly identitiesOf: Database.Statement | null;

  constructor(db: Database.Database) {
    const columns = hasIdentityColumns(db);
    this.contentsOf = db.prepare('SELECT content FROM entries WHERE seq > ? AND seq <= ? ORDER BY seq').pluck();
    // With the hashes, how many identity columns are set: the same row reads, no extra scan.
    this.hashesOf = db.prepare(`SELECT group_concat(hash, '' ORDER BY seq), ${columns ? 'count(input_identity) + count(enforced_identity)' : '0'} FROM entries WHERE seq > ? AND seq <= ?`).raw();
    this.rowsOf = db.prepare('SELECT seq, content, hash FROM entries WHERE seq > ? AND seq <= ? ORDER BY seq').raw();
    this.identitiesOf = columns ? db.prepare('SELECT input_identity, enforced_identity FROM entries WHERE seq > ? AND seq <= ? ORDER BY seq').raw() : null;
  }

  /**
   * The page up to its first row whose identity columns are not the identities in its content
   * (an edited column), which becomes the page's problem; the page itself when they all agree.
   * `chunk` holds the page's contents back to back. A page with no identity in its contents and
   * none in its columns (every page of a log written without identities) costs one byte search.
   */
  checkIdentities(from: number, page: Page, chunk: Buffer): Page {
    if (!this.identitiesOf || page.count === 0) return page;
    const end = page.starts[page.count] as number;
    const keyAt = chunk.indexOf(IDENTITY_KEY_TAIL);
    if ((keyAt < 0 || keyAt >= end) && page.identityColumns === 0) return page;
    const rows = this.identitiesOf.all(from, from + page.count) as [unknown, unknown][];
    let count = 0;
    for (; count < page.count; count++) {
      const row = rows[count];
      const start = page.starts[count] as number;
      const stop = page.starts[count + 1] as number;
      if (!row || !columnAgrees(chunk, start, stop, INPUT_KEY, row[0]) || !columnAgrees(chunk, start, stop, ENFORCED_KEY, row[1])) break;
    }
    if (count === page.count) return page;
    return {
      count,
      contents: page.contents.slice(0, count),
      starts: page.starts.subarray(0, count + 1),
      claims: page.claims.subarray(0, 64 * count),
      problem: IDENTITY_COLUMN_EDITED,
      identityColumns: -1,
    };
  }

  /** Entries from+1..to in two queries, or null if anything about them is irregular. */
  fast(from: number, to: number, leaves: Buffer): Page | null {
    const rows = to - from;
    const [claims, identityColumns] = this.hashesOf.get(from, to) as [unknown, unknown];
    if (typeof claims !== 'string' || claims.length !== 64 * rows) return null;
    const contents = this.contentsOf.all(from, to) as unknown[];
    if (contents.length !== rows) return null;
    const starts = new Int32Array(rows + 1);
    for (let k = 0; k < rows; k++) {
      const content = contents[k];
      if (!Buffer.isBuffer(content)) return null;
      starts[k + 1] = (starts[k] as number) + content.length;
    }
    try {
      for (let k = 0; k < rows; k++) writeEntryLeafHash(claims.slice(64 * k, 64 * k + 64), leaves, (from + k) * 32);
    } catch {
      return null; // a hash that is not hex: the row-by-row read names it
    }
    return { count: rows, contents: contents as Buffer[], starts, claims: Buffer.from(claims, 'latin1'), problem: null, identityColumns: typeof identityColumns === 'number' ? identityColumns : -1 };
  }

  /** Entries from+1..to one row at a time, stopping at the first that is missing or malformed. */
  rowByRow(from: number, to: number, leaves: Buffer): Page {
    const batch = this.rowsOf.all(from, to) as [number, unknown, unknown][];
    const contents: Buffer[] = [];
    const starts: number[] = [0];
    let claims = '';
    let problem: string | null = null;
    for (const [seq, content, claim] of batch) {
      const index = from + contents.length;
      problem = seq !== index + 1 ? `entry ${index + 1} is missing (deleted); the next stored entry is ${seq}` : rowProblem(content, claim);
      if (problem) break;
      const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content as string, 'utf8');
      contents.push(bytes);
      starts.push((starts[starts.length - 1] as number) + bytes.length);
      claims += claim as string;
      writeEntryLeafHash(claim as string, leaves, index * 32);
    }
    if (!problem && from + contents.length < to) problem = `entry ${from + contents.length + 1} is missing (deleted)`;
    return { count: contents.length, contents, starts: Int32Array.from(starts), claims: Buffer.from(claims, 'latin1'), problem, identityColumns: -1 };
  }
}

const IDENTITY_COLUMN_EDITED = "an identity column is not the identity in the entry's content (the column was edited)";

const IDENTITY_KEY_TAIL = Buffer.from('Identity":');
const INPUT_KEY = Buffer.from('"inputIdentity":');
const ENFORCED_KEY = Buffer.from('"enforcedIdentity":');

/**
 * True when an identity column agrees with the content at chunk[start..end): NULL where the
 * content has no such member, else 64 hex digits that are the member's string. In canonical
 * content (a flat object whose strings escape every quote) `"key":` can only be that member.
 */
function columnAgrees(chunk: Buffer, start: number, end: number, key: Buffer, column: unknown): boolean {
  const at = chunk.indexOf(key, start);
  const present = at >= 0 && at + key.length <= end;
  if (column === null) return !present;
  if (!present || !isHexHash(column)) return false;
  const value = at + key.length;
  return value + 66 <= end && chunk[value] === 0x22 && chunk[value + 65] === 0x22 && chunk.toString('latin1', value + 1, value + 65) === column;
}

/** The stored hash of the entry before `seq` (the genesis hash for the first); a row that is not there links to nothing. */
function previousHash(db: Database.Database, seq: number): string {
  if (seq === 1) return GENESIS_HASH;
  const claim: unknown = db.prepare('SELECT hash FROM entries WHERE seq = ?').pluck().get(seq - 1);
  // A missing or malformed predecessor is reported by the segment that holds it, earlier.
  return isHexHash(claim) ? claim : '?'.repeat(64);
}

/** What is wrong with a row's columns before its content is looked at, or null. */
export function rowProblem(content: unknown, claim: unknown): string | null {
  if (!Buffer.isBuffer(content) && typeof content !== 'string') return `malformed row: content is ${content === null ? 'NULL' : typeof content}`;
  if (!isHexHash(claim)) return 'malformed row: hash is not 64 lowercase hex digits';
  return null;
}
