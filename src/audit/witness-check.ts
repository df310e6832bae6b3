import { createHash, createPublicKey } from 'node:crypto';
import { verifyCheckpoint, type Checkpoint } from './checkpoint.js';
import { hashFromHex } from './merkle-hash.js';
import { verifyConsistency } from './merkle-verify.js';
import type { MerkleTree } from './merkle.js';
import { NOT_JSON, WITNESS_FORMAT, type WitnessSource, type WitnessStatement } from './witness.js';

/** The latest checkpoint the witnesses hold, which the store was checked against. */
export interface WitnessedCheckpoint {
  /** Entries it covers. */
  size: number;
  /** When the store signed it. */
  timestamp: string;
  /** Statements read, from all witnesses. */
  statements: number;
  /** The witnesses (locations) read. */
  witnesses: string[];
}

/** Why a store does not hold against its witnesses: where (`firstBadSeq`, `badCheckpoint`) and what. */
export interface WitnessFailure {
  reason: string;
  firstBadSeq: number | null;
  badCheckpoint: number | null;
}

/** What the witnesses say about a store: the trusted key and cadence, and the latest checkpoint. */
export type WitnessCheck =
  | { ok: true; witnessed: WitnessedCheckpoint | null; checkpointEvery: number | null; warnings: string[] }
  | ({ ok: false } & WitnessFailure);

/** A statement that passed its own checks, and where it was read. */
interface Held {
  statement: WitnessStatement;
  where: string;
}

/** The store as the witness check needs it (its chain and checkpoints already verified). */
export interface StoreView {
  /** Entries stored. */
  size: number;
  /** The tree over the stored entries. Built only when a witness holds a checkpoint. */
  tree: () => MerkleTree;
  /** The key the store's checkpoints verify with (SPKI PEM), or null. */
  publicKeyPem: string | null;
  /** The store's checkpoints by size. */
  checkpoints: ReadonlyMap<number, Checkpoint>;
}

/**
 * Holds a store to what its witnesses saw: every statement verifies under the key it names; all
 * name one key and one cadence; the store's key is that key (a log re-signed with a new key
 * fails); the store has at least as many entries as the latest witnessed checkpoint (truncation
 * fails, naming the missing range); an RFC 9162 consistency proof from the witnessed root to the
 * store's tree holds (a rewrite fails, naming the first witnessed checkpoint it contradicts); and
 * every witnessed checkpoint is still in the store's table (deleting them fails). Never throws.
 */
export function checkWitnesses(sources: readonly WitnessSource[], store: StoreView): WitnessCheck {
  const held: Held[] = [];
  const warnings: string[] = [];
  for (const source of sources) {
    if ('error' in source) return failure(`witness ${source.location} cannot be read: it ${source.error}`);
    if (source.lines.length === 0) warnings.push(`witness ${source.location} holds no checkpoint yet`);
    for (const { line, value } of source.lines) {
      const where = `witness ${source.location} line ${line}`;
      const problem = statementProblem(value);
      if (problem) return failure(`${where}: ${problem}`);
      held.push({ statement: value as WitnessStatement, where });
    }
  }
  if (held.length === 0) return { ok: true, witnessed: null, checkpointEvery: null, warnings };

  const first = held[0] as Held;
  const key = keyId(first.statement.publicKey);
  for (const { statement, where } of held) {
    if (keyId(statement.publicKey) !== key) return failure(`${where} names another log key than ${first.where}: the log was re-keyed (a log keeps one key; a new key is a new log, with a new witness)`);
    if (statement.checkpointEvery !== first.statement.checkpointEvery) {
      return failure(`${where} says a checkpoint is due every ${statement.checkpointEvery} entries, ${first.where} every ${first.statement.checkpointEvery}: the store's promised cadence changed`);
    }
  }
  if (store.publicKeyPem === null || keyId(store.publicKeyPem) !== key) {
    return failure(`the store's public key is not the key ${first.where} holds: the log was re-signed with another key (or the key given is not the log's)`);
  }

  // One checkpoint per size: two different ones for a size mean the log showed two histories.
  const bySize = new Map<number, Held>();
  for (const entry of held) {
    const { size, root } = entry.statement.checkpoint;
    const seen = bySize.get(size);
    if (seen && seen.statement.checkpoint.root !== root) return failure(`${entry.where} and ${seen.where} hold different roots for checkpoint ${size}: the log signed two histories`, null, size);
    if (!seen) bySize.set(size, entry);
  }
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  const latest = (bySize.get(sizes[sizes.length - 1] as number) as Held).statement.checkpoint;

  if (store.size < latest.size) {
    return failure(`entries ${store.size + 1}..${latest.size} are missing: a witness saw ${latest.size} entries at ${latest.timestamp} and the store has ${store.size} (truncated)`, store.size + 1, latest.size);
  }
  const tree = store.tree();
  if (!consistent(tree, latest, store.size)) {
    // Name the first witnessed checkpoint the stored entries contradict.
    let lastGood = 0;
    for (const size of sizes) {
      const { checkpoint } = (bySize.get(size) as Held).statement;
      if (tree.root(size).toString('hex') !== checkpoint.root) {
        return failure(`entries ${lastGood + 1}..${size} are not the ones a witness saw in checkpoint ${size} (signed ${checkpoint.timestamp}): the chain was rewritten`, lastGood + 1, size);
      }
      lastGood = size;
    }
    return failure(`the stored log is not consistent with checkpoint ${latest.size} a witness saw (signed ${latest.timestamp}): the chain was rewritten`, 1, latest.size);
  }
  for (const size of sizes) {
    const { statement, where } = bySize.get(size) as Held;
    if (tree.root(size).toString('hex') !== statement.checkpoint.root) return failure(`entries 1..${size} are not the ones ${where} saw in checkpoint ${size}: the chain was rewritten`, 1, size);
    const stored = store.checkpoints.get(size);
    if (!stored) {
      const missing = sizes.filter((s) => !store.checkpoints.has(s)).length;
      return failure(`checkpoint ${size} (signed ${statement.checkpoint.timestamp}, held by ${where}) is missing from the store's checkpoints table${missing > 1 ? `, as are ${missing - 1} more witnessed checkpoints` : ''} (deleted)`, null, size);
    }
    if (stored.timestamp !== statement.checkpoint.timestamp || stored.signature !== statement.checkpoint.signature) {
      return failure(`the store's checkpoint ${size} is not the one ${where} holds (replaced)`, null, size);
    }
  }
  const witnessed: WitnessedCheckpoint = { size: latest.size, timestamp: latest.timestamp, statements: held.length, witnesses: sources.map((s) => s.location) };
  return { ok: true, witnessed, checkpointEvery: first.statement.checkpointEvery, warnings };
}

/** The RFC 9162 consistency proof from the witnessed checkpoint to the store's tree, checked against the witnessed root. */
function consistent(tree: MerkleTree, witnessed: Checkpoint, size: number): boolean {
  const proof = tree.consistencyProof(witnessed.size, size);
  return verifyConsistency(witnessed.size, size, hashFromHex(witnessed.root) as Buffer, tree.root(size), proof);
}

/** What is wrong with a value that should be a statement (its form, or its signature), or null. */
function statementProblem(value: unknown): string | null {
  if (value === NOT_JSON) return 'not JSON';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a statement is a JSON object';
  const s = value as Partial<Record<keyof WitnessStatement, unknown>>;
  if (s.format !== WITNESS_FORMAT) return `format is not "${WITNESS_FORMAT}"`;
  if (typeof s.publicKey !== 'string' || keyId(s.publicKey) === null) return 'publicKey is not an Ed25519 public key (SPKI PEM)';
  if (!Number.isSafeInteger(s.checkpointEvery) || (s.checkpointEvery as number) <= 0) return 'checkpointEvery is not a positive whole number';
  const check = verifyCheckpoint(s.checkpoint, s.publicKey);
  if (!check.ok) return `its checkpoint does not verify under the key it names (${check.reason}): the statement was forged or altered`;
  if ((s.checkpoint as Checkpoint).size === 0) return 'its checkpoint covers no entries';
  return null;
}

/** A key's identity: SHA-256 of its DER (so PEM line breaks do not matter), or null when it is not an Ed25519 public key. */
function keyId(pem: string): string | null {
  const cached = keyIds.get(pem);
  if (cached !== undefined) return cached;
  let id: string | null = null;
  try {
    const key = createPublicKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType === 'ed25519') id = createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
  } catch {
    id = null;
  }
  if (keyIds.size > 64) keyIds.clear();
  keyIds.set(pem, id);
  return id;
}

const keyIds = new Map<string, string | null>();

function failure(reason: string, firstBadSeq: number | null = null, badCheckpoint: number | null = null): { ok: false } & WitnessFailure {
  return { ok: false, reason, firstBadSeq, badCheckpoint };
}
