import { ENTRY_FIELDS, entryHash, GENESIS_HASH, hasExactShape, needsEscape, type SafeFields } from './entry.js';

const PREV_ONLY: SafeFields = Object.freeze({ prevHash: true });
const PREV_AND_REVISION: SafeFields = Object.freeze({ prevHash: true, policyRevision: true });

/** The outcome of checking a chain. `firstBadSeq` is null when it is intact. */
export interface VerifyResult {
  ok: boolean;
  /** Entries checked (up to and including the first bad one). */
  entries: number;
  firstBadSeq: number | null;
  reason: string | null;
}

/**
 * Re-derives every hash and link of a chain. Never throws: a malformed entry (not an object,
 * missing fields, wrong types) is reported as the first bad one, located by its position.
 */
export function verifyChain(entries: Iterable<unknown>): VerifyResult {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  let safeRevision = '';
  for (const raw of entries) {
    checked++;
    const bad = (reason: string): VerifyResult => ({ ok: false, entries: checked, firstBadSeq: expectedSeq, reason: `entry ${expectedSeq}: ${reason}` });
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not a JSON object');
    const entry = raw as Record<string, unknown>;
    if (!hasExactShape(entry)) return bad(describeShapeProblem(entry));
    if (entry.seq !== expectedSeq) {
      return bad(`sequence number is ${String(entry.seq)}, expected ${expectedSeq} (an entry was ${(entry.seq as number) > expectedSeq ? 'deleted' : 'inserted or reordered'})`);
    }
    if (entry.prevHash !== prevHash) return bad('prevHash does not match the previous entry (entries deleted, inserted or reordered)');
    let computed: string;
    try {
      // prevHash equals the hash verified just before (hex), so it needs no escape scan.
      if (entry.policyRevision !== safeRevision && !needsEscape(entry.policyRevision as string)) safeRevision = entry.policyRevision as string;
      computed = entryHash(entry, entry.policyRevision === safeRevision ? PREV_AND_REVISION : PREV_ONLY);
    } catch (error) {
      return bad(`cannot be hashed: ${(error as Error).message}`);
    }
    if (computed !== entry.hash) return bad('hash does not match the content (a field was edited)');
    prevHash = entry.hash as string;
    expectedSeq++;
  }
  return { ok: true, entries: checked, firstBadSeq: null, reason: null };
}

function describeShapeProblem(entry: Record<string, unknown>): string {
  const required: readonly string[] = ENTRY_FIELDS;
  const missing = required.filter((key) => !Object.hasOwn(entry, key));
  if (missing.length) return `missing field(s) ${missing.join(', ')}`;
  const extra = Object.keys(entry).filter((key) => !required.includes(key));
  if (extra.length) return `unexpected field(s) ${extra.join(', ')}`;
  return 'a field has the wrong type';
}
