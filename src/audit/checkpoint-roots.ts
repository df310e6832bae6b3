import { verifyCheckpoint, type Checkpoint } from './checkpoint.js';
import { MerkleFrontier } from './merkle-frontier.js';

/** A checkpoint found bad: where (`seq`, the first entry it puts in doubt; `size`, the checkpoint) and why. */
export interface CheckpointProblem {
  size: number;
  seq: number | null;
  reason: string;
}

/** A stored checkpoint row, as read (any column may be malformed). */
export interface CheckpointRow {
  size: unknown;
  root: unknown;
  timestamp: unknown;
  signature: unknown;
}

/**
 * The checkpoints, in order, up to the first whose row is malformed or whose signature does not
 * verify with `publicKey` (that one is the problem, placed at its size).
 */
export function signedCheckpoints(rows: readonly CheckpointRow[], publicKey: string | null): { checkpoints: Checkpoint[]; problem: CheckpointProblem | null } {
  const checkpoints: Checkpoint[] = [];
  for (const row of rows) {
    const problem = rowProblem(row, publicKey);
    if (problem) {
      const size = Number.isSafeInteger(row.size) ? (row.size as number) : null;
      return { checkpoints, problem: { size: Number(row.size), seq: size, reason: `checkpoint at size ${String(row.size)}: ${problem}` } };
    }
    checkpoints.push(row as Checkpoint);
  }
  return { checkpoints, problem: null };
}

/** Why a stored checkpoint does not hold (a malformed row, a signature that does not verify), or null. */
function rowProblem(row: CheckpointRow, publicKey: string | null): string | null {
  if (!Number.isSafeInteger(row.size) || (row.size as number) <= 0) return 'size is not a positive whole number';
  if (publicKey === null) return 'the store records no public key to verify checkpoints with (pass one)';
  const check = verifyCheckpoint(row, publicKey);
  return check.ok ? null : check.reason;
}

/**
 * Checks signed checkpoints against the entries' leaves as they become available, in order:
 * each checkpoint's root must be the Merkle root of the first `size` leaves. Leaves can be fed
 * in parts (one thread's segment while the other's is still being checked).
 */
export class CheckpointRoots {
  private readonly frontier = new MerkleFrontier();
  private next = 0;
  private lastGood = 0;
  /** Checkpoints whose root held. */
  held = 0;
  problem: CheckpointProblem | null = null;

  constructor(private readonly checkpoints: readonly Checkpoint[]) {}

  /** Takes leaves (32 bytes each, leaf i at i * 32) up to `count` and checks every checkpoint they complete. */
  advance(leaves: Buffer, count: number): void {
    const frontier = this.frontier;
    while (this.problem === null && this.next < this.checkpoints.length) {
      const due = this.checkpoints[this.next] as Checkpoint;
      if (due.size > count) {
        // Feed what there is; the checkpoint is checked once the rest of its leaves arrive.
        while (frontier.size < count) frontier.appendLeafHash(leaves.subarray(frontier.size * 32, frontier.size * 32 + 32));
        return;
      }
      while (frontier.size < due.size) frontier.appendLeafHash(leaves.subarray(frontier.size * 32, frontier.size * 32 + 32));
      if (frontier.root().toString('hex') !== due.root) {
        this.problem = {
          size: due.size,
          seq: this.lastGood + 1,
          reason: `checkpoint at size ${due.size}: its Merkle root does not match entries ${this.lastGood + 1}..${due.size} (rewritten since it was signed)`,
        };
        return;
      }
      this.held++;
      this.lastGood = due.size;
      this.next++;
    }
  }
}
