import { ENTRY_FIELDS, EntryEncoder, GENESIS_HASH, hasExactShape } from './entry.js';
import { HashThread, SLOT_BYTES, SLOT_RECORDS, type HashSlot } from './hash-thread.js';

/** The outcome of checking a chain. `firstBadSeq` is null when it is intact. */
export interface VerifyResult {
  ok: boolean;
  /** Entries checked (up to and including the first bad one). */
  entries: number;
  firstBadSeq: number | null;
  reason: string | null;
}

/** Chains at least this long are checked on two cores; shorter ones are not worth a thread. */
export const PARALLEL_MIN_ENTRIES = 20_000;

export interface VerifyOptions {
  /** Use a helper thread for long chains (default true). The answer is the same either way. */
  parallel?: boolean;
}

const EDITED = 'hash does not match the content (a field was edited)';

/**
 * Re-derives every hash and link of a chain of entries (objects as stored, e.g. parsed JSONL).
 * Never throws: a malformed entry (not an object, missing fields, wrong types) is reported as
 * the first bad one, located by its position.
 */
export function verifyChain(entries: Iterable<unknown>, options: VerifyOptions = {}): VerifyResult {
  const list = Array.isArray(entries) ? (entries as readonly unknown[]) : [...entries];
  const hashes = new HashChecker(list.length, options);
  // prevHash is compared with the hash verified just before (hex) before the entry is hashed,
  // so it needs no escape scan.
  const encoder = new EntryEncoder(['prevHash']);
  let prevHash = GENESIS_HASH;
  for (let index = 0; index < list.length && !hashes.failedBefore(index); index++) {
    const problem = structuralProblem(list[index], index, prevHash);
    if (problem) {
      hashes.fail(index, problem);
      break;
    }
    const entry = list[index] as Record<string, unknown>;
    let content: string;
    try {
      content = encoder.content(entry);
    } catch (error) {
      hashes.fail(index, `cannot be hashed: ${(error as Error).message}`);
      break;
    }
    hashes.add(index, content, entry.hash as string);
    prevHash = entry.hash as string;
  }
  return hashes.result();
}

/**
 * Verifies records as the memory sink keeps them: the canonical content each hash was computed
 * over, and the hash (hex, as this process computed it). Sequence numbers and links are checked
 * in the canonical content, where `,"seq":N,` and `"prevHash":"…"` can only occur as members
 * (inside string values quotes are escaped).
 */
export function verifyRecords(contents: readonly string[], hashes: readonly string[], options: VerifyOptions = {}): VerifyResult {
  const checker = new HashChecker(contents.length, options, true);
  let prevHash = GENESIS_HASH;
  for (let index = 0; index < contents.length && !checker.failedBefore(index); index++) {
    const content = contents[index] as string;
    if (!content.includes(',"seq":' + (index + 1) + ',')) {
      checker.fail(index, `sequence number is not ${index + 1} (entries deleted, inserted or reordered)`);
      break;
    }
    if (!content.includes('"prevHash":"' + prevHash + '"')) {
      checker.fail(index, 'prevHash does not match the previous entry (entries deleted, inserted or reordered)');
      break;
    }
    const hash = hashes[index] as string;
    checker.add(index, content, hash);
    prevHash = hash;
  }
  return checker.result();
}

/** What is wrong with the entry at `index` before hashing it (shape, sequence, link), or null. */
function structuralProblem(raw: unknown, index: number, prevHash: string): string | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not a JSON object';
  const entry = raw as Record<string, unknown>;
  if (!hasExactShape(entry)) return describeShapeProblem(entry);
  const expectedSeq = index + 1;
  if (entry.seq !== expectedSeq) {
    return `sequence number is ${String(entry.seq)}, expected ${expectedSeq} (an entry was ${(entry.seq as number) > expectedSeq ? 'deleted' : 'inserted or reordered'})`;
  }
  if (entry.prevHash !== prevHash) return 'prevHash does not match the previous entry (entries deleted, inserted or reordered)';
  return null;
}

function describeShapeProblem(entry: Record<string, unknown>): string {
  const required: readonly string[] = ENTRY_FIELDS;
  const missing = required.filter((key) => !Object.hasOwn(entry, key));
  if (missing.length) return `missing field(s) ${missing.join(', ')}`;
  const extra = Object.keys(entry).filter((key) => !required.includes(key));
  if (extra.length) return `unexpected field(s) ${extra.join(', ')}`;
  return 'a field has the wrong type';
}

const HEX_64 = /^[0-9a-f]{64}$/;

interface PendingRecord {
  index: number;
  content: string;
  hash: string;
}

/**
 * Checks `hash === SHA-256(content)` for records added in chain order, on this thread or, for
 * long chains, chunk by chunk on a helper thread as well (it takes a chunk whenever it has a free
 * slot; this thread hashes the rest). Whatever ran where, `result()` names the earliest bad
 * record, as a one-at-a-time check would.
 */
class HashChecker {
  private readonly thread: HashThread | null;
  private chunk: PendingRecord[] = [];
  private chunkBytes = 0;
  private readonly inFlight: { slot: HashSlot; first: number }[] = [];
  private bad: { index: number; reason: string } | null = null;
  private added = 0;

  constructor(
    private readonly total: number,
    options: VerifyOptions,
    /** The claimed hashes are known to be lowercase hex (computed here), so the format check is skipped. */
    private readonly hashesAreHex = false,
  ) {
    this.thread = options.parallel !== false && total >= PARALLEL_MIN_ENTRIES ? HashThread.acquire() : null;
  }

  add(index: number, content: string, hash: string): void {
    this.chunk.push({ index, content, hash });
    this.added = index + 1;
    this.chunkBytes += content.length * 3 + 64;
    if (this.chunk.length >= SLOT_RECORDS || this.chunkBytes > SLOT_BYTES / 2) this.hashChunk();
  }

  /** True when a record before `index` is already known bad (later ones need no work). */
  failedBefore(index: number): boolean {
    return this.bad !== null && this.bad.index < index;
  }

  /** Records a bad entry; the earliest one wins. */
  fail(index: number, reason: string): void {
    if (!this.bad || index < this.bad.index) this.bad = { index, reason };
  }

  result(): VerifyResult {
    this.hashChunk();
    while (this.inFlight.length > 0) this.collectOldest();
    if (this.bad) {
      const seq = this.bad.index + 1;
      return { ok: false, entries: seq, firstBadSeq: seq, reason: `entry ${seq}: ${this.bad.reason}` };
    }
    return { ok: true, entries: Math.max(this.added, this.total), firstBadSeq: null, reason: null };
  }

  private hashChunk(): void {
    const chunk = this.chunk;
    this.chunk = [];
    this.chunkBytes = 0;
    if (chunk.length === 0) return;
    while (this.inFlight.length > 0 && this.thread?.isDone((this.inFlight[0] as { slot: HashSlot }).slot)) this.collectOldest();
    const thread = this.thread;
    let sent = 0;
    if (thread?.ready && this.inFlight.length < thread.slots.length) {
      const slot = thread.nextSlot();
      let offset = 0;
      for (const record of chunk) {
        // A claimed hash that is not hex cannot match, and a record that might not fit goes
        // unsent: both are left to the local pass below.
        if ((!this.hashesAreHex && !HEX_64.test(record.hash)) || offset + record.content.length * 3 + 64 > SLOT_BYTES) break;
        slot.offsets[sent] = offset;
        offset += slot.bytes.write(record.content, offset, 'utf8');
        offset += slot.bytes.write(record.hash, offset, 'latin1');
        sent++;
      }
      slot.offsets[sent] = offset;
      if (sent > 0) {
        thread.submit(slot, sent);
        this.inFlight.push({ slot, first: (chunk[0] as PendingRecord).index });
      }
    }
    for (let i = sent; i < chunk.length; i++) {
      const record = chunk[i] as PendingRecord;
      if (EntryEncoder.hashOf(record.content) !== record.hash) {
        this.fail(record.index, EDITED);
        return;
      }
    }
  }

  private collectOldest(): void {
    const { slot, first } = this.inFlight.shift() as { slot: HashSlot; first: number };
    let badRecord: number;
    try {
      badRecord = (this.thread as HashThread).collect(slot);
    } catch (error) {
      // Fail closed: a chunk the thread did not answer for was not verified.
      this.fail(first, `could not be checked: ${(error as Error).message}`);
      return;
    }
    if (badRecord >= 0) this.fail(first + badRecord, EDITED);
  }
}
