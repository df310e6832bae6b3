import { ENTRY_FIELDS, EntryEncoder, GENESIS_HASH, hasExactShape, isEntryIdentity, isHexHash, OPTIONAL_FIELDS } from './entry.js';
import { hash } from 'node:crypto';
import { describeError } from '../core/errors.js';
import { HashThread, SLOT_BYTES, SLOT_RECORDS, type HashSlot } from './hash-thread.js';
import type { RecordRun, RecordStore } from './record-store.js';

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

/** How verification may run; the result never depends on it. */
export interface VerifyOptions {
  /** Use a helper thread for long chains (default true). The answer is the same either way. */
  parallel?: boolean;
}

const EDITED = 'hash does not match the content (a field was edited)';
const RELINKED = 'prevHash does not match the previous entry (entries deleted, inserted or reordered)';

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
      hashes.fail(index, `cannot be hashed: ${describeError(error)}`);
      break;
    }
    hashes.add(index, content, entry.hash as string);
    prevHash = entry.hash as string;
  }
  return hashes.result();
}

const SEQ_KEY = Buffer.from(',"seq":');
const PREV_KEY = Buffer.from('"prevHash":"');
const GENESIS_BYTES = Buffer.from(GENESIS_HASH, 'latin1');

/**
 * Verifies a {@link RecordStore} (the memory sink): every stored hash against the stored
 * canonical content, and every sequence number and link. Runs of records go to the helper
 * thread with one copy each.
 */
export function verifyStore(store: RecordStore, options: VerifyOptions = {}): VerifyResult {
  const verifier = new RunVerifier(store.size, options);
  for (let first = 0; first < store.size && !verifier.failed; ) {
    const run = store.run(first, SLOT_RECORDS);
    verifier.addRun(run, store.hashRun(first, run.count));
    first += run.count;
  }
  return verifier.result();
}

/**
 * Verifies stored records handed over run by run, in chain order (the memory store's chunks, or
 * pages read from a database): each record's sequence number and link are read from its content
 * bytes, where `,"seq":` and `"prevHash":"` can only occur as members (inside string values
 * quotes are escaped), and its hash is re-derived here or on the helper thread.
 */
export class RunVerifier {
  private readonly checker: HashChecker;
  private prevHash: Buffer = GENESIS_BYTES;
  private next = 0;

  /** `start`: where the records begin when they are not the whole chain (a segment checked apart). */
  constructor(total: number, options: VerifyOptions = {}, start?: { index: number; prevHash: string }) {
    this.checker = new HashChecker(total, options);
    if (start) {
      this.next = start.index;
      this.prevHash = Buffer.from(start.prevHash, 'latin1');
    }
  }

  /** True once a bad record is known (later records need no work). */
  get failed(): boolean {
    return this.checker.failed;
  }

  /** Index of the next record expected. */
  get position(): number {
    return this.next;
  }

  /** Adds the records of `run` (which must start at {@link position}) with their claimed hashes (64 hex bytes each). */
  addRun(run: RecordRun, claims: Buffer): void {
    if (run.first !== this.next) throw new RangeError(`run starts at ${run.first}, expected ${this.next}`);
    for (let k = 0; k < run.count; k++) {
      const index = run.first + k;
      const previous = k === 0 ? this.prevHash : claims.subarray(64 * (k - 1), 64 * k);
      const problem = linkProblem(run.chunk, run.starts[k] as number, run.starts[k + 1] as number, index, previous);
      if (problem) {
        this.checker.fail(index, problem);
        run = { ...run, count: k };
        break;
      }
    }
    if (run.count === 0) return;
    // The claims may be a view of memory the caller reuses; the link check of the next run needs this one.
    this.prevHash = Buffer.from(claims.subarray(64 * (run.count - 1), 64 * run.count));
    this.next = run.first + run.count;
    this.checker.addRun(run, claims);
  }

  /** Records that the record at `index` is bad for a reason found outside its bytes (a missing or malformed row). */
  fail(index: number, reason: string): void {
    this.checker.fail(index, reason);
  }

  result(): VerifyResult {
    return this.checker.result();
  }

  /** The earliest bad record (0-based index) and why, or null; waits for the helper thread. */
  firstBad(): { index: number; reason: string } | null {
    return this.checker.firstBad();
  }
}

/** The sequence number and prevHash of the record at chunk[start..end), checked against expectations. */
function linkProblem(chunk: Buffer, start: number, end: number, index: number, prevHash: Buffer): string | null {
  // Canonical key order puts seq near the end and prevHash a little before it, so both are
  // searched for backwards (a match must lie within this record).
  const seqAt = chunk.lastIndexOf(SEQ_KEY, end - SEQ_KEY.length);
  let seq = 0;
  let p = seqAt + SEQ_KEY.length;
  for (; seqAt >= start && p < end && (chunk[p] as number) >= 0x30 && (chunk[p] as number) <= 0x39; p++) seq = seq * 10 + ((chunk[p] as number) - 0x30);
  if (seqAt < start || seq !== index + 1) return `sequence number is not ${index + 1} (entries deleted, inserted or reordered)`;
  const prevAt = chunk.lastIndexOf(PREV_KEY, seqAt - PREV_KEY.length);
  if (prevAt < start || prevAt + PREV_KEY.length + 64 > end || chunk.compare(prevHash, 0, 64, prevAt + PREV_KEY.length, prevAt + PREV_KEY.length + 64) !== 0) {
    return RELINKED;
  }
  return null;
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
  if (entry.prevHash !== prevHash) return RELINKED;
  return null;
}

function describeShapeProblem(entry: Record<string, unknown>): string {
  const known: readonly string[] = ENTRY_FIELDS;
  const optional: readonly string[] = OPTIONAL_FIELDS;
  const missing = known.filter((key) => !Object.hasOwn(entry, key) && !optional.includes(key) && key !== 'identity');
  if (missing.length) return `missing field(s) ${missing.join(', ')}`;
  const extra = Object.keys(entry).filter((key) => !known.includes(key));
  if (extra.length) return `unexpected field(s) ${extra.join(', ')}`;
  const badIdentity = optional.find((key) => Object.hasOwn(entry, key) && entry[key] !== null && !isHexHash(entry[key]));
  if (badIdentity) return `${badIdentity} is not null or 64 lowercase hex digits`;
  if (Object.hasOwn(entry, 'identity') && entry.identity !== null && !isEntryIdentity(entry.identity)) return 'identity is not { subject, proof, credentialId, delegationDigest }';
  return 'a field has the wrong type';
}


/** Records waiting to be hashed: strings (from entry objects) or a run of stored bytes. */
type Pending = { kind: 'strings'; first: number; contents: string[]; claims: string[]; bytes: number } | { kind: 'run'; run: RecordRun; claims: Buffer };

/**
 * Checks `claim === SHA-256(content)` for records added in chain order, on this thread or, for
 * long chains, chunk by chunk on a helper thread as well (it takes a chunk whenever it has a free
 * slot; this thread hashes the rest). Whatever ran where, `result()` names the earliest bad
 * record, as a one-at-a-time check would.
 */
class HashChecker {
  private readonly thread: HashThread | null;
  private pending: Extract<Pending, { kind: 'strings' }> | null = null;
  private readonly inFlight: { slot: HashSlot; first: number }[] = [];
  private bad: { index: number; reason: string } | null = null;

  constructor(
    private readonly total: number,
    options: VerifyOptions,
  ) {
    this.thread = options.parallel !== false && total >= PARALLEL_MIN_ENTRIES ? HashThread.acquire() : null;
  }

  get failed(): boolean {
    return this.bad !== null;
  }

  /** True when a record before `index` is already known bad (later ones need no work). */
  failedBefore(index: number): boolean {
    return this.bad !== null && this.bad.index < index;
  }

  /** Records a bad entry; the earliest one wins. */
  fail(index: number, reason: string): void {
    if (!this.bad || index < this.bad.index) this.bad = { index, reason };
  }

  /** Adds one record given as strings; they are hashed in chunks. */
  add(index: number, content: string, claim: string): void {
    const pending = (this.pending ??= { kind: 'strings', first: index, contents: [], claims: [], bytes: 0 });
    pending.contents.push(content);
    pending.claims.push(claim);
    pending.bytes += content.length * 3;
    if (pending.contents.length >= SLOT_RECORDS || pending.bytes > SLOT_BYTES / 2) this.flushStrings();
  }

  /** Adds a run of stored records (contiguous bytes) and their claimed hashes (64 hex bytes each). */
  addRun(run: RecordRun, claims: Buffer): void {
    this.flushStrings();
    this.hash({ kind: 'run', run, claims });
  }

  firstBad(): { index: number; reason: string } | null {
    this.flushStrings();
    while (this.inFlight.length > 0) this.collectOldest();
    return this.bad;
  }

  result(): VerifyResult {
    this.firstBad();
    if (this.bad) {
      const seq = this.bad.index + 1;
      return { ok: false, entries: seq, firstBadSeq: seq, reason: `entry ${seq}: ${this.bad.reason}` };
    }
    return { ok: true, entries: this.total, firstBadSeq: null, reason: null };
  }

  private flushStrings(): void {
    if (this.pending) this.hash(this.pending);
    this.pending = null;
  }

  /** Sends a chunk to the helper thread if it has a free slot and it fits; otherwise hashes it here. */
  private hash(chunk: Pending): void {
    while (this.inFlight.length > 0 && this.thread?.isDone((this.inFlight[0] as { slot: HashSlot }).slot)) this.collectOldest();
    const thread = this.thread;
    if (thread?.ready && this.inFlight.length < thread.slots.length) {
      const slot = thread.nextSlot();
      const first = chunk.kind === 'run' ? chunk.run.first : chunk.first;
      const count = chunk.kind === 'run' ? fillFromRun(slot, chunk.run, chunk.claims) : fillFromStrings(slot, chunk.contents, chunk.claims);
      if (count > 0) {
        thread.submit(slot, count);
        this.inFlight.push({ slot, first });
      }
      this.hashHere(chunk, count);
      return;
    }
    this.hashHere(chunk, 0);
  }

  /** Hashes the records of `chunk` from `from` on, on this thread. */
  private hashHere(chunk: Pending, from: number): void {
    if (chunk.kind === 'run') {
      const { run, claims } = chunk;
      for (let k = from; k < run.count; k++) {
        const computed = hash('sha256', run.chunk.subarray(run.starts[k], run.starts[k + 1]), 'hex');
        if (computed !== claims.toString('latin1', 64 * k, 64 * k + 64)) return this.fail(run.first + k, EDITED);
      }
      return;
    }
    for (let k = from; k < chunk.contents.length; k++) {
      if (EntryEncoder.hashOf(chunk.contents[k] as string) !== chunk.claims[k]) return this.fail(chunk.first + k, EDITED);
    }
  }

  private collectOldest(): void {
    const { slot, first } = this.inFlight.shift() as { slot: HashSlot; first: number };
    let badRecord: number;
    try {
      badRecord = (this.thread as HashThread).collect(slot);
    } catch (error) {
      // Fail closed: a chunk the thread did not answer for was not verified.
      this.fail(first, `could not be checked: ${describeError(error)}`);
      return;
    }
    if (badRecord >= 0) this.fail(first + badRecord, EDITED);
  }
}

/** Copies string records into a slot; returns how many fit (the rest are hashed locally). */
function fillFromStrings(slot: HashSlot, contents: readonly string[], claims: readonly string[]): number {
  let offset = 0;
  let count = 0;
  for (; count < contents.length; count++) {
    const content = contents[count] as string;
    const claim = claims[count] as string;
    // A claim that is not hex cannot match (and must not be mangled by a latin1 write); a record
    // that might not fit stays here.
    if (!isHexHash(claim) || offset + content.length * 3 > SLOT_BYTES) break;
    slot.offsets[count] = offset;
    offset += slot.bytes.write(content, offset, 'utf8');
    slot.claims.write(claim, 64 * count, 'latin1');
  }
  slot.offsets[count] = offset;
  return count;
}

/** Copies a run of stored records into a slot with two memcpys; returns how many fit. */
function fillFromRun(slot: HashSlot, run: RecordRun, claims: Buffer): number {
  const base = run.starts[0] as number;
  let count = run.count;
  while (count > 0 && (run.starts[count] as number) - base > SLOT_BYTES) count--;
  run.chunk.copy(slot.bytes, 0, base, run.starts[count] as number);
  for (let k = 0; k <= count; k++) slot.offsets[k] = (run.starts[k] as number) - base;
  claims.copy(slot.claims, 0, 0, 64 * count);
  return count;
}
