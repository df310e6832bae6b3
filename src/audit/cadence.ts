/**
 * The checkpoint cadence a store promises: no more than `every` entries between two checkpoints
 * (counting from an empty log), and fewer than `every` entries after the last one. The SQLite
 * store signs a checkpoint inside the very transaction that commits its `every`-th uncovered
 * entry, so an honest store keeps the promise even when killed; a store that breaks it lost
 * checkpoints (deleted to hide a truncation or a rewrite) or was written by something else.
 */

/** Where the cadence is broken: the first uncovered entry, the size by which a checkpoint was due, and why. */
export interface CadenceProblem {
  firstBadSeq: number;
  dueBy: number;
  reason: string;
}

/** Checks checkpoint sizes (ascending) of a log of `entries` entries against a cadence of `every`; null when it holds. */
export function cadenceProblem(sizes: readonly number[], entries: number, every: number): CadenceProblem | null {
  let previous = 0;
  for (const size of sizes) {
    if (size - previous > every) {
      return {
        firstBadSeq: previous + 1,
        dueBy: previous + every,
        reason: `no checkpoint covers entries ${previous + 1}..${previous + every}, though one is due every ${every} entries (the next is at ${size}): checkpoints were deleted`,
      };
    }
    previous = size;
  }
  if (entries - previous >= every) {
    return {
      firstBadSeq: previous + 1,
      dueBy: previous + every,
      reason: `entries ${previous + 1}..${entries} are not covered by a checkpoint, though one is due every ${every} entries: checkpoints were deleted`,
    };
  }
  return null;
}

/** A stored cadence as a positive whole number, or null when it is not one. */
export function parseCadence(text: string | null): number | null {
  if (text === null || !/^[1-9]\d{0,14}$/.test(text)) return null;
  return Number(text);
}
