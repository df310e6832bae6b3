import { hash } from 'node:crypto';

/**
 * The hashes of an RFC 6962 / RFC 9162 Merkle tree with SHA-256: a leaf is SHA-256(0x00 ‖ data),
 * an interior node SHA-256(0x01 ‖ left ‖ right), the empty tree SHA-256(""). The prefixes keep a
 * leaf from ever being passed off as a node (a second-preimage attack on the tree).
 *
 * Digests are taken as `binary` (latin1) strings and written into place: on Node 20 that is about three
 * times faster than asking `crypto.hash` for a Buffer (a string of 32 one-byte characters is
 * cheap to make; a Buffer result is not), and a tree of a million leaves is two million hashes.
 * Latin-1 maps bytes 0..255 to characters one to one, so nothing is lost.
 */

/** Bytes in a SHA-256 digest: every node, leaf hash, proof element and root. */
export const HASH_BYTES = 32;

/** The root of the empty tree: SHA-256 of nothing. Shared: never hand it out, only copies (see {@link emptyRoot}). */
export const EMPTY_ROOT: Buffer = hash('sha256', '', 'buffer');

/** The root of the empty tree, SHA-256(""): a fresh copy each call. */
export function emptyRoot(): Buffer {
  return Buffer.from(EMPTY_ROOT);
}

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const LEAF_PREFIX_BYTE = Buffer.of(LEAF_PREFIX);

// Inputs are assembled in these and hashed in place; everything here is synchronous, so one each
// per process is enough.
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = NODE_PREFIX;
const entryLeafInput = Buffer.alloc(1 + HASH_BYTES);
entryLeafInput[0] = LEAF_PREFIX;

/** RFC 6962 leaf hash of arbitrary leaf data: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX_BYTE, data]), 'buffer');
}

/**
 * The leaf hash of an audit entry: its leaf data is the 32 raw bytes of the entry's `hash`
 * (64 hex digits). Throws on anything else: a tree over a misread hash would commit to the
 * wrong log. (Either case of digit is read; the chain itself is what insists on lowercase.)
 */
export function entryLeafHash(entryHashHex: string): Buffer {
  const out = Buffer.allocUnsafe(HASH_BYTES);
  writeEntryLeafHash(entryHashHex, out, 0);
  return out;
}

/** {@link entryLeafHash}, written into `out` at `offset` (for trees that store hashes flat). */
export function writeEntryLeafHash(entryHashHex: string, out: Buffer, offset: number): void {
  // Hex decoding stops at the first pair that is not hex, so 32 bytes from 64 characters means
  // every character was a digit. (A regex test costs more than the hash itself.)
  if (typeof entryHashHex !== 'string' || entryHashHex.length !== 2 * HASH_BYTES || entryLeafInput.write(entryHashHex, 1, HASH_BYTES, 'hex') !== HASH_BYTES) {
    throw new TypeError(`an entry hash is 64 hex digits, not ${JSON.stringify(entryHashHex)}`);
  }
  out.write(hash('sha256', entryLeafInput, 'binary'), offset, HASH_BYTES, 'binary');
}

/** RFC 6962 interior node: SHA-256(0x01 ‖ left ‖ right). Both children are 32-byte hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) throw new RangeError('Merkle tree nodes are 32-byte SHA-256 hashes');
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_BYTES);
  return Buffer.from(hash('sha256', nodeInput, 'binary'), 'binary');
}

/**
 * Hashes two adjacent nodes (left at `from`, right just after it, as siblings lie in a level of
 * a tree) into `out` at `to`. One copy of 64 bytes instead of two of 32.
 */
export function writeSiblingsHash(level: Buffer, from: number, out: Buffer, to: number): void {
  level.copy(nodeInput, 1, from, from + 2 * HASH_BYTES);
  out.write(hash('sha256', nodeInput, 'binary'), to, HASH_BYTES, 'binary');
}

/** A proof (or any list of node hashes) as lowercase hex strings, for JSON. */
export function proofToHex(proof: readonly Uint8Array[]): string[] {
  return proof.map((node) => Buffer.from(node.buffer, node.byteOffset, node.byteLength).toString('hex'));
}

/** A 32-byte hash from 64 hex digits (either case); null for anything else, never a throw. */
export function hashFromHex(hex: unknown): Buffer | null {
  return typeof hex === 'string' && /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : null;
}

/**
 * A proof read back from JSON: an array of 64-hex-digit strings. Null when it is not exactly
 * that (Buffer.from would silently drop bad digits, turning a malformed proof into a wrong one).
 */
export function proofFromHex(hexes: unknown): Buffer[] | null {
  if (!Array.isArray(hexes)) return null;
  const proof: Buffer[] = [];
  for (const hex of hexes as unknown[]) {
    const node = hashFromHex(hex);
    if (node === null) return null;
    proof.push(node);
  }
  return proof;
}
