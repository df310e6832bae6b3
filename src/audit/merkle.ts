import { emptyRoot, HASH_BYTES, nodeHash, writeEntryLeafHash, writeSiblingsHash } from './merkle-hash.js';

export { emptyRoot, entryLeafHash, hashFromHex, leafHash, proofFromHex, proofToHex } from './merkle-hash.js';
export { verifyConsistency, verifyInclusion } from './merkle-verify.js';

/** Nodes a level holds before it first grows. */
const INITIAL_NODES = 1024;

/**
 * An RFC 6962 / RFC 9162 Merkle tree over the audit log, built incrementally as entries are
 * appended, that can prove any entry's inclusion and any two sizes' consistency, and give the
 * root of any prefix (so a checkpoint signed long ago can still be checked against the log).
 *
 * It keeps every complete subtree: level k holds, left to right, the hashes of the subtrees of
 * 2^k leaves that are full, 32 bytes each in one flat Buffer (level 0 is the leaf hashes). That
 * is about 64 bytes per leaf, every node is one offset away, and a proof is O(log n) copies.
 * Nodes on the right edge that are not yet complete are never stored: a root or proof that needs
 * one combines the complete subtrees under it (at most log n hashes), so appending never rewrites
 * anything and a prefix's root is as easy to get as the current one.
 */
export class MerkleTree {
  /** `levels[k]` is the hashes of the complete subtrees of 2^k leaves (capacity grows by doubling). */
  private levels: Buffer[] = [];
  private leaves = 0;

  /**
   * A tree over `leafHashes` (32 bytes each): the same tree as appending them one by one, built
   * level by level instead, each level allocated once.
   */
  static fromLeafHashes(leafHashes: readonly Uint8Array[]): MerkleTree {
    const leaves = Buffer.allocUnsafe(leafHashes.length * HASH_BYTES);
    leafHashes.forEach((leaf, i) => {
      checkLeafHash(leaf);
      leaves.set(leaf, i * HASH_BYTES);
    });
    return MerkleTree.overLeaves(leaves, leafHashes.length);
  }

  /** A tree over audit entries, given each entry's `hash` (64 hex digits) in order; built as {@link fromLeafHashes}. */
  static fromEntryHashes(entryHashes: readonly string[]): MerkleTree {
    const leaves = Buffer.allocUnsafe(entryHashes.length * HASH_BYTES);
    entryHashes.forEach((hex, i) => writeEntryLeafHash(hex, leaves, i * HASH_BYTES));
    return MerkleTree.overLeaves(leaves, entryHashes.length);
  }

  /**
   * A tree over the first `count` leaf hashes packed in `leaves` (32 bytes each, leaf i at
   * i * 32), e.g. the leaves a verification just computed. The buffer becomes the tree's bottom
   * level without a copy: do not change it afterwards.
   */
  static fromLeafBuffer(leaves: Buffer, count: number): MerkleTree {
    if (!Number.isSafeInteger(count) || count < 0 || leaves.length < count * HASH_BYTES) throw new RangeError(`${leaves.length} bytes do not hold ${count} leaf hashes`);
    return MerkleTree.overLeaves(leaves, count);
  }

  /** The tree whose level 0 is the first `count` hashes in `leaves`, with every level above it hashed. */
  private static overLeaves(leaves: Buffer, count: number): MerkleTree {
    const tree = new MerkleTree();
    tree.levels.push(leaves);
    tree.leaves = count;
    for (let below = leaves, nodes = Math.floor(count / 2); nodes > 0; nodes = Math.floor(nodes / 2)) {
      const level = Buffer.allocUnsafe(nodes * HASH_BYTES);
      for (let j = 0; j < nodes; j++) writeSiblingsHash(below, 2 * j * HASH_BYTES, level, j * HASH_BYTES);
      tree.levels.push(level);
      below = level;
    }
    return tree;
  }

  /** Number of leaves. */
  get size(): number {
    return this.leaves;
  }

  /** Appends a leaf by its RFC 6962 leaf hash (32 bytes; see `leafHash`, `entryLeafHash`). */
  append(leafHash: Uint8Array): void {
    checkLeafHash(leafHash);
    this.room(0, this.leaves + 1).set(leafHash, this.leaves * HASH_BYTES);
    this.completeSubtrees();
  }

  /** Appends an audit entry by its `hash` (64 lowercase hex digits); throws, appending nothing, on anything else. */
  appendEntryHash(entryHashHex: string): void {
    writeEntryLeafHash(entryHashHex, this.room(0, this.leaves + 1), this.leaves * HASH_BYTES);
    this.completeSubtrees();
  }

  /** The root of the first `size` leaves (by default all of them); SHA-256("") for none. */
  root(size: number = this.leaves): Buffer {
    this.checkSize(size, 'size');
    return size === 0 ? emptyRoot() : this.rangeHash(0, size);
  }

  /**
   * The inclusion proof (RFC 9162 §2.1.3.1) of leaf `index` (from 0) in the tree of the first
   * `size` leaves: sibling hashes from the leaf up, for `verifyInclusion`.
   */
  inclusionProof(index: number, size: number = this.leaves): Buffer[] {
    this.checkSize(size, 'size');
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new RangeError(`leaf index ${index} is not in a tree of ${size} leaves`);
    }
    return this.pathUp(0, index, size);
  }

  /**
   * The consistency proof (RFC 9162 §2.1.4.1) that the first `oldSize` leaves are a prefix of
   * the first `newSize`, for `verifyConsistency`. Empty when there is nothing to prove (an empty
   * old tree, or equal sizes).
   */
  consistencyProof(oldSize: number, newSize: number = this.leaves): Buffer[] {
    this.checkSize(newSize, 'newSize');
    this.checkSize(oldSize, 'oldSize');
    if (oldSize > newSize) throw new RangeError(`oldSize ${oldSize} is larger than newSize ${newSize}`);
    if (oldSize === 0 || oldSize === newSize) return [];
    // The proof is the largest complete subtree that ends where the old tree ends, then that
    // subtree's path up to the new root. When the old tree is itself complete (a power of two)
    // that subtree is the old root, which the verifier already has, so it is left out.
    const level = trailingZeros(oldSize);
    const index = oldSize / 2 ** level - 1;
    const path = this.pathUp(level, index, newSize);
    return index === 0 ? path : [this.node(level, index), ...path];
  }

  /**
   * Sibling hashes from node `index` of `level` up to the root of the first `size` leaves, in
   * RFC 9162 order. At each level the sibling is one of: a complete subtree to the left; a
   * complete subtree to the right; a right subtree cut short by the tree's end (hashed from the
   * complete subtrees it is made of); or nothing, when the tree ends before it (RFC 6962 then
   * lifts the node a level unchanged, and there is nothing to prove).
   */
  private pathUp(level: number, index: number, size: number): Buffer[] {
    const path: Buffer[] = [];
    let node = index;
    for (let k = level, width = 2 ** level; width < size; k++, width *= 2) {
      const sibling = node % 2 === 1 ? node - 1 : node + 1;
      const start = sibling * width;
      if (sibling < node || start + width <= size) path.push(this.node(k, sibling));
      else if (start < size) path.push(this.rangeHash(start, size));
      node = Math.floor(node / 2);
    }
    return path;
  }

  /**
   * The RFC 6962 hash of leaves `start`..`end` (exclusive), where `start` is a multiple of a
   * power of two at least `end - start`: the range is then the complete subtrees given by the
   * binary digits of its width, largest first, hashed together from the right.
   */
  private rangeHash(start: number, end: number): Buffer {
    let hash: Buffer | null = null;
    let cursor = end;
    for (let k = 0, rest = end - start; rest > 0; k++, rest = Math.floor(rest / 2)) {
      if (rest % 2 === 0) continue;
      cursor -= 2 ** k;
      const subtree = this.nodeView(k, cursor / 2 ** k);
      hash = hash === null ? Buffer.from(subtree) : nodeHash(subtree, hash);
    }
    return hash ?? emptyRoot();
  }

  /** After a leaf is stored: hashes every subtree it completes, and counts it. */
  private completeSubtrees(): void {
    // The new leaf completes a subtree at each level where it (then its parent, ...) is a right child.
    let index = this.leaves;
    for (let k = 0; index % 2 === 1; k++) {
      const parent = (index - 1) / 2;
      writeSiblingsHash(this.levels[k] as Buffer, (index - 1) * HASH_BYTES, this.room(k + 1, parent + 1), parent * HASH_BYTES);
      index = parent;
    }
    this.leaves++;
  }

  /** Level `k`, with room for at least `nodes` nodes. */
  private room(k: number, nodes: number): Buffer {
    const level = this.levels[k];
    if (level && level.length >= nodes * HASH_BYTES) return level;
    const grown = Buffer.allocUnsafe(Math.max(nodes, INITIAL_NODES, 2 * ((level?.length ?? 0) / HASH_BYTES)) * HASH_BYTES);
    level?.copy(grown);
    this.levels[k] = grown;
    return grown;
  }

  /** A copy of the complete subtree `index` of `level` (callers may keep or change it). */
  private node(level: number, index: number): Buffer {
    return Buffer.from(this.nodeView(level, index));
  }

  /** The stored hash itself: for reading only. */
  private nodeView(level: number, index: number): Buffer {
    return (this.levels[level] as Buffer).subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  private checkSize(size: number, name: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.leaves) {
      throw new RangeError(`${name} ${size} is not a size of this tree (0..${this.leaves})`);
    }
  }
}

function checkLeafHash(leafHash: Uint8Array): void {
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_BYTES) throw new TypeError('a leaf hash is 32 bytes');
}

/** The exponent of the largest power of two dividing `n` (n > 0). */
function trailingZeros(n: number): number {
  let zeros = 0;
  for (let rest = n; rest % 2 === 0; rest /= 2) zeros++;
  return zeros;
}
