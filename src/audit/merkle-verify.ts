import { EMPTY_ROOT, HASH_BYTES, nodeHash } from './merkle-hash.js';

/**
 * Proof verification for RFC 6962 Merkle trees, written step for step after RFC 9162 §2.1.3.2
 * (inclusion) and §2.1.4.2 (consistency), with the RFC's variable names, so the code can be
 * checked against the text. Verifiers take untrusted input (a proof from a file, a request, a
 * third party) and therefore never throw: anything malformed is simply not a valid proof.
 *
 * Sizes and indices are plain numbers; halving is done arithmetically rather than with `>>`,
 * which would silently wrap above 2^31.
 */

/**
 * True when `proof` shows that `leafHash` is leaf number `index` (from 0) of the tree of `size`
 * leaves whose root is `root`.
 */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  try {
    if (!isHash(leafHash) || !isHash(root) || !Array.isArray(proof)) return false;
    if (!isCount(index) || !isCount(size)) return false;
    // 1. If leaf_index is greater than or equal to tree_size, then stop and fail the proof verification.
    if (index >= size) return false;
    // 2. Set fn to leaf_index and sn to tree_size - 1.
    let fn = index;
    let sn = size - 1;
    // 3. Set r to hash.
    let r: Uint8Array = leafHash;
    // 4. For each value p in the inclusion_path array:
    for (const p of proof) {
      if (!isHash(p)) return false;
      // a. If sn is 0, then stop the iteration and fail the proof verification.
      if (sn === 0) return false;
      // b. If LSB(fn) is set, or if fn is equal to sn, then:
      if (isOdd(fn) || fn === sn) {
        // 1. Set r to HASH(0x01 || p || r).
        r = nodeHash(p, r);
        // 2. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        // Otherwise: Set r to HASH(0x01 || r || p).
        r = nodeHash(r, p);
      }
      // c. Finally, right-shift both fn and sn one time.
      fn = half(fn);
      sn = half(sn);
    }
    // 5. Compare sn to 0. Compare r against the root hash. If sn is equal to 0 and r and the root hash are equal, then the log has proven the inclusion of hash.
    return sn === 0 && sameHash(r, root);
  } catch {
    return false;
  }
}

/**
 * True when `proof` shows that the tree of `oldSize` leaves with root `oldRoot` is a prefix of
 * the tree of `newSize` leaves with root `newRoot`: the log only grew in between.
 *
 * RFC 9162 defines proofs for 0 < oldSize < newSize. The two trivial cases are accepted with an
 * empty proof only: equal sizes with equal roots, and the empty tree (whose root must then be
 * SHA-256("")), which is a prefix of every tree.
 */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  try {
    if (!isHash(oldRoot) || !isHash(newRoot) || !Array.isArray(proof) || !proof.every(isHash)) return false;
    if (!isCount(oldSize) || !isCount(newSize) || oldSize > newSize) return false;
    if (oldSize === newSize) return proof.length === 0 && sameHash(oldRoot, newRoot);
    if (oldSize === 0) return proof.length === 0 && sameHash(oldRoot, EMPTY_ROOT);
    const first = oldSize;
    const second = newSize;
    // 1. If consistency_path is an empty array, stop and fail the proof verification.
    if (proof.length === 0) return false;
    // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    const path = isPowerOfTwo(first) ? [oldRoot, ...proof] : proof;
    // 3. Set fn to first - 1 and sn to second - 1.
    let fn = first - 1;
    let sn = second - 1;
    // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while (isOdd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    // 5. Set both fr and sr to the first value in the consistency_path array.
    let fr = path[0] as Uint8Array;
    let sr = fr;
    // 6. For each subsequent value c in the consistency_path array:
    for (let i = 1; i < path.length; i++) {
      const c = path[i] as Uint8Array;
      // a. If sn is 0, then stop the iteration and fail the proof verification.
      if (sn === 0) return false;
      // b. If LSB(fn) is set, or if fn is equal to sn, then:
      if (isOdd(fn) || fn === sn) {
        // i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
        fr = nodeHash(c, fr);
        sr = nodeHash(c, sr);
        // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        // Otherwise: Set sr to HASH(0x01 || sr || c).
        sr = nodeHash(sr, c);
      }
      // c. Finally, right-shift both fn and sn one time.
      fn = half(fn);
      sn = half(sn);
    }
    // 7. Verify that fr equals first_hash, that sr equals second_hash, and that sn is 0.
    return sn === 0 && sameHash(fr, oldRoot) && sameHash(sr, newRoot);
  } catch {
    return false;
  }
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_BYTES;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.floor(Math.log2(n)) === n;
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
