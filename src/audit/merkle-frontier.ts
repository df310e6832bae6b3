import { emptyRoot, HASH_BYTES, nodeHash, writeEntryLeafHash } from './merkle-hash.js';

/**
 * The right edge of an RFC 6962 Merkle tree: the roots of its complete subtrees, largest first
 * (one per set bit of the size). That is all a log needs to keep to sign the root of everything
 * appended so far, so the durable store keeps this (O(log n) hashes) rather than the whole tree,
 * and saves it with every commit.
 */
export class MerkleFrontier {
  /** Subtree roots, largest (leftmost) first; `heights[i]` is the height of `nodes[i]`. */
  private readonly nodes: Buffer[] = [];
  private readonly heights: number[] = [];
  private count = 0;

  /** Number of leaves appended. */
  get size(): number {
    return this.count;
  }

  /** Appends the leaf for an entry whose hash is `entryHashHex` (see `entryLeafHash`). */
  appendEntryHash(entryHashHex: string): void {
    const leaf = Buffer.allocUnsafe(HASH_BYTES);
    writeEntryLeafHash(entryHashHex, leaf, 0);
    this.appendLeafHash(leaf);
  }

  /** Appends an already-hashed leaf (32 bytes). */
  appendLeafHash(leaf: Buffer): void {
    let node = leaf;
    let height = 0;
    // Two complete subtrees of equal height merge into one of the next height (binary carry).
    while (this.heights.length > 0 && this.heights[this.heights.length - 1] === height) {
      this.heights.pop();
      node = nodeHash(this.nodes.pop() as Buffer, node);
      height++;
    }
    this.nodes.push(node);
    this.heights.push(height);
    this.count++;
  }

  /** The Merkle tree hash of all leaves so far (RFC 6962 §2.1; SHA-256 of nothing when empty). */
  root(): Buffer {
    if (this.nodes.length === 0) return emptyRoot();
    // The tree splits at the largest power of two below its size, so the root folds the
    // subtree roots from the smallest (rightmost) up.
    let node = this.nodes[this.nodes.length - 1] as Buffer;
    for (let i = this.nodes.length - 2; i >= 0; i--) node = nodeHash(this.nodes[i] as Buffer, node);
    return node;
  }

  /** The frontier as text (`size:hex,hex,…`) for saving beside the log. */
  serialize(): string {
    return `${this.count}:${this.nodes.map((node, i) => `${this.heights[i]}.${node.toString('hex')}`).join(',')}`;
  }

  /**
   * Restores a frontier saved by {@link serialize}; null if the text is not a consistent
   * frontier (the caller then rebuilds it from the entries).
   */
  static parse(text: string): MerkleFrontier | null {
    const match = /^(\d+):(.*)$/.exec(text);
    if (!match) return null;
    const frontier = new MerkleFrontier();
    const parts = match[2] === '' ? [] : (match[2] as string).split(',');
    let size = 0;
    for (const part of parts) {
      const node = /^(\d{1,2})\.([0-9a-f]{64})$/.exec(part);
      if (!node) return null;
      const height = Number(node[1]);
      // Heights strictly decrease left to right; each subtree holds 2^height leaves.
      if (frontier.heights.length > 0 && height >= (frontier.heights[frontier.heights.length - 1] as number)) return null;
      frontier.heights.push(height);
      frontier.nodes.push(Buffer.from(node[2] as string, 'hex'));
      size += 2 ** height;
    }
    if (size !== Number(match[1])) return null;
    frontier.count = size;
    return frontier;
  }
}
