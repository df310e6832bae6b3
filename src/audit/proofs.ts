import type Database from 'better-sqlite3';
import { verifyCheckpoint, type Checkpoint } from './checkpoint.js';
import { entryHash, type AuditEntry } from './entry.js';
import { entryLeafHash, hashFromHex, proofFromHex, proofToHex } from './merkle-hash.js';
import { verifyConsistency, verifyInclusion } from './merkle-verify.js';
import { MerkleTree } from './merkle.js';
import { readStoredEntries } from './sqlite-verify.js';
import { describeError } from '../core/errors.js';

/**
 * Proofs an auditor checks with nothing but the log's public key: that an entry is in the log a
 * checkpoint signed (inclusion), and that a later checkpoint's log extends an earlier one's
 * without rewriting it (consistency). Both are self-contained JSON documents.
 */

/** An entry, the signed checkpoint it is proven against, and the RFC 9162 audit path. */
export interface InclusionProofDocument {
  kind: 'inclusion';
  entry: AuditEntry;
  /** 0-based leaf index (seq - 1). */
  leafIndex: number;
  checkpoint: Checkpoint;
  /** Sibling hashes from the leaf up, hex. */
  proof: string[];
}

/** Two signed checkpoints and the RFC 9162 consistency proof between their trees. */
export interface ConsistencyProofDocument {
  kind: 'consistency';
  from: Checkpoint;
  to: Checkpoint;
  proof: string[];
}

/** The outcome of checking a proof document. */
export type ProofCheck = { ok: true; detail: string } | { ok: false; reason: string };

/** The checkpoint of exactly `size`, or else the latest one; throws if the store has none that covers `minSize`. */
export function checkpointFor(db: Database.Database, minSize: number, size?: number): Checkpoint {
  const row = (
    size === undefined
      ? db.prepare('SELECT size, root, timestamp, signature FROM checkpoints WHERE size >= ? ORDER BY size DESC LIMIT 1').get(minSize)
      : db.prepare('SELECT size, root, timestamp, signature FROM checkpoints WHERE size = ? AND size >= ?').get(size, minSize)
  ) as Checkpoint | undefined;
  if (!row) {
    throw new Error(size === undefined ? `no checkpoint covers entry ${minSize} yet (checkpoints are signed every N entries or T ms, and when the log closes)` : `no checkpoint of size ${size} covers entry ${minSize}`);
  }
  return row;
}

/** The tree over the first `size` stored entries (their stored hashes). */
function treeOf(db: Database.Database, size: number): MerkleTree {
  const hashes = db.prepare('SELECT hash FROM entries WHERE seq <= ? ORDER BY seq').pluck().all(size) as string[];
  if (hashes.length !== size) throw new Error(`the store holds ${hashes.length} of the first ${size} entries; run \`agt audit verify\``);
  return MerkleTree.fromEntryHashes(hashes);
}

/** Proves entry `seq` against the latest checkpoint (or the one of `size`). */
export function proveInclusion(db: Database.Database, seq: number, size?: number): InclusionProofDocument {
  const checkpoint = checkpointFor(db, seq, size);
  const [entry] = readStoredEntries(db, seq - 1);
  if (!entry || entry.seq !== seq || 'malformed' in entry) throw new Error(`entry ${seq} is not in the store or cannot be read`);
  const tree = treeOf(db, checkpoint.size);
  if (tree.root().toString('hex') !== checkpoint.root) throw new Error(`the stored entries do not match checkpoint ${checkpoint.size}'s root; run \`agt audit verify\``);
  return { kind: 'inclusion', entry, leafIndex: seq - 1, checkpoint, proof: proofToHex(tree.inclusionProof(seq - 1, checkpoint.size)) };
}

/** Proves that the log at checkpoint `newSize` (default the latest) extends the log at checkpoint `oldSize`. */
export function proveConsistency(db: Database.Database, oldSize: number, newSize?: number): ConsistencyProofDocument {
  const from = checkpointFor(db, oldSize, oldSize);
  const to = checkpointFor(db, oldSize, newSize);
  const tree = treeOf(db, to.size);
  return { kind: 'consistency', from, to, proof: proofToHex(tree.consistencyProof(from.size, to.size)) };
}

/**
 * Checks a proof document with the log's public key only: the checkpoint signatures, that the
 * entry hashes to its `hash`, and the Merkle path. Never throws.
 */
export function checkProof(document: unknown, publicKeyPem: string): ProofCheck {
  try {
    if (typeof document !== 'object' || document === null) return { ok: false, reason: 'not a proof document (a JSON object)' };
    const doc = document as Partial<InclusionProofDocument> & Partial<Omit<ConsistencyProofDocument, 'kind'>> & { kind?: unknown };
    const proof = proofFromHex(doc.proof);
    if (!proof) return { ok: false, reason: 'proof must be a list of 64-hex-digit hashes' };
    if (doc.kind === 'inclusion') {
      const signed = verifyCheckpoint(doc.checkpoint, publicKeyPem);
      if (!signed.ok) return { ok: false, reason: `checkpoint: ${signed.reason}` };
      const checkpoint = doc.checkpoint as Checkpoint;
      const entry = doc.entry as AuditEntry | undefined;
      if (typeof entry !== 'object' || entry === null || entryHash(entry) !== entry.hash) return { ok: false, reason: 'the entry does not hash to its hash (edited)' };
      if (doc.leafIndex !== entry.seq - 1) return { ok: false, reason: `leafIndex ${String(doc.leafIndex)} is not the entry's position (seq ${entry.seq} - 1)` };
      const root = hashFromHex(checkpoint.root) as Buffer;
      if (!verifyInclusion(entryLeafHash(entry.hash), doc.leafIndex, checkpoint.size, proof, root)) return { ok: false, reason: 'the audit path does not lead to the checkpoint root' };
      return { ok: true, detail: `entry ${entry.seq} is in the log of ${checkpoint.size} entries signed at ${checkpoint.timestamp}` };
    }
    if (doc.kind === 'consistency') {
      for (const [name, checkpoint] of [['from', doc.from], ['to', doc.to]] as const) {
        const signed = verifyCheckpoint(checkpoint, publicKeyPem);
        if (!signed.ok) return { ok: false, reason: `${name} checkpoint: ${signed.reason}` };
      }
      const from = doc.from as Checkpoint;
      const to = doc.to as Checkpoint;
      if (!verifyConsistency(from.size, to.size, hashFromHex(from.root) as Buffer, hashFromHex(to.root) as Buffer, proof)) {
        return { ok: false, reason: `the log of ${to.size} entries does not extend the log of ${from.size} (rewritten, or a bad proof)` };
      }
      return { ok: true, detail: `the log of ${to.size} entries (signed ${to.timestamp}) extends the log of ${from.size} (signed ${from.timestamp})` };
    }
    return { ok: false, reason: `kind must be "inclusion" or "consistency", not ${JSON.stringify(doc.kind)}` };
  } catch (error) {
    return { ok: false, reason: `malformed proof document: ${describeError(error)}` };
  }
}
