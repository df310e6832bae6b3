import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  emptyRoot,
  entryLeafHash,
  hashFromHex,
  leafHash,
  MerkleTree,
  proofFromHex,
  proofToHex,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/merkle.js';

// Known answers from the Certificate Transparency reference implementation's tests,
// google/certificate-transparency cpp/merkletree/merkle_tree_test.cc (kInputs, kSHA256Roots,
// kSHA256Paths, kSHA256Proofs). Its paths number leaves from 1; ours from 0.
const CT_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => Buffer.from(hex, 'hex'));
const CT_EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_PATHS: { index: number; size: number; path: string[] }[] = [
  { index: 0, size: 1, path: [] },
  {
    index: 0,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const CT_CONSISTENCY: { oldSize: number; newSize: number; proof: string[] }[] = [
  { oldSize: 1, newSize: 1, proof: [] },
  {
    oldSize: 1,
    newSize: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    oldSize: 6,
    newSize: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    oldSize: 2,
    newSize: 5,
    proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'],
  },
];

// A naive reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 transcribed as recursion over leaf
// hashes, sharing nothing with the implementation but SHA-256.
const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
};
const children = (left: Buffer, right: Buffer): Buffer => sha256(Buffer.of(1), left, right);
/** Largest power of two smaller than n (n > 1). */
const split = (n: number): number => 2 ** Math.ceil(Math.log2(n) - 1);
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = split(leaves.length);
  return children(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function path(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}
function subproof(m: number, leaves: Buffer[], complete: boolean): Buffer[] {
  if (m === leaves.length) return complete ? [] : [mth(leaves)];
  const k = split(leaves.length);
  return m <= k
    ? [...subproof(m, leaves.slice(0, k), complete), mth(leaves.slice(k))]
    : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

const hex = (buffers: Buffer[]): string[] => buffers.map((b) => b.toString('hex'));
const flip = (b: Uint8Array, at = 0): Buffer => {
  const copy = Buffer.from(b);
  copy[at] = (copy[at] as number) ^ 1;
  return copy;
};
const ctTree = (): MerkleTree => MerkleTree.fromLeafHashes(CT_INPUTS.map(leafHash));
const LEAVES = Array.from({ length: 64 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
const BIG = MerkleTree.fromLeafHashes(LEAVES);

describe('Merkle tree hashes (RFC 6962 known answers)', () => {
  it('gives the reference roots for 0..8 leaves, appended one by one, and for every prefix afterwards', () => {
    const tree = new MerkleTree();
    expect(tree.root().toString('hex')).toBe(CT_EMPTY_ROOT);
    CT_INPUTS.forEach((input, i) => {
      tree.append(leafHash(input));
      expect(tree.size).toBe(i + 1);
      expect(tree.root().toString('hex')).toBe(CT_ROOTS[i]);
    });
    expect(tree.root(0).toString('hex')).toBe(CT_EMPTY_ROOT);
    CT_ROOTS.forEach((root, i) => expect(tree.root(i + 1).toString('hex')).toBe(root));
    expect(emptyRoot().toString('hex')).toBe(CT_EMPTY_ROOT);
  });

  it('gives the reference inclusion proofs', () => {
    const tree = ctTree();
    for (const { index, size, path: expected } of CT_PATHS) {
      expect(proofToHex(tree.inclusionProof(index, size))).toEqual(expected);
      expect(verifyInclusion(leafHash(CT_INPUTS[index] as Buffer), index, size, proofFromHex(expected) as Buffer[], Buffer.from(CT_ROOTS[size - 1] as string, 'hex'))).toBe(true);
    }
  });

  it('gives the reference consistency proofs', () => {
    const tree = ctTree();
    for (const { oldSize, newSize, proof } of CT_CONSISTENCY) {
      expect(proofToHex(tree.consistencyProof(oldSize, newSize))).toEqual(proof);
      const [oldRoot, newRoot] = [CT_ROOTS[oldSize - 1], CT_ROOTS[newSize - 1]].map((r) => Buffer.from(r as string, 'hex')) as [Buffer, Buffer];
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proofFromHex(proof) as Buffer[])).toBe(true);
    }
  });

  it('hashes an audit entry as the leaf whose data is the 32 bytes of its hash', () => {
    const entryHash = createHash('sha256').update('{"seq":1}').digest('hex');
    expect(entryLeafHash(entryHash)).toEqual(sha256(Buffer.of(0), Buffer.from(entryHash, 'hex')));
    const tree = new MerkleTree();
    tree.appendEntryHash(entryHash);
    expect(tree.root()).toEqual(entryLeafHash(entryHash));
  });

  it('refuses an entry hash that is not 64 hex digits, and appends nothing', () => {
    const tree = new MerkleTree();
    for (const bad of ['', 'ab', 'g'.repeat(64), '0'.repeat(63) + 'g', '0'.repeat(62), '0'.repeat(66), ' ' + '0'.repeat(63), 42 as unknown as string]) {
      expect(() => entryLeafHash(bad)).toThrow(TypeError);
      expect(() => tree.appendEntryHash(bad)).toThrow(TypeError);
    }
    expect(tree.size).toBe(0);
    expect(() => tree.append(Buffer.alloc(31))).toThrow(TypeError);
    expect(tree.size).toBe(0);
  });
});

describe('MerkleTree against a naive reference, every size 1..64', () => {
  it('has the reference root for every prefix, however it was built', () => {
    const hexes = Array.from({ length: 64 }, (_, i) => sha256(Buffer.from(String(i))).toString('hex'));
    const byEntry = MerkleTree.fromEntryHashes(hexes);
    const entryLeaves = hexes.map(entryLeafHash);
    const appended = new MerkleTree();
    for (let size = 0; size <= 64; size++) {
      expect(BIG.root(size)).toEqual(mth(LEAVES.slice(0, size)));
      expect(MerkleTree.fromLeafHashes(LEAVES.slice(0, size)).root()).toEqual(mth(LEAVES.slice(0, size)));
      expect(byEntry.root(size)).toEqual(mth(entryLeaves.slice(0, size)));
      expect(appended.root()).toEqual(BIG.root(size));
      if (size < 64) appended.append(LEAVES[size] as Buffer);
    }
  });

  it('gives the reference inclusion proof for every leaf of every size, and each verifies', () => {
    for (let size = 1; size <= 64; size++) {
      const root = BIG.root(size);
      for (let index = 0; index < size; index++) {
        const proof = BIG.inclusionProof(index, size);
        expect(hex(proof)).toEqual(hex(path(index, LEAVES.slice(0, size))));
        expect(verifyInclusion(LEAVES[index] as Buffer, index, size, proof, root)).toBe(true);
      }
    }
  });

  it('gives the reference consistency proof for every pair of sizes, and each verifies', () => {
    for (let newSize = 1; newSize <= 64; newSize++) {
      const newRoot = BIG.root(newSize);
      for (let oldSize = 0; oldSize <= newSize; oldSize++) {
        const proof = BIG.consistencyProof(oldSize, newSize);
        const expected = oldSize === 0 || oldSize === newSize ? [] : subproof(oldSize, LEAVES.slice(0, newSize), true);
        expect(hex(proof)).toEqual(hex(expected));
        expect(verifyConsistency(oldSize, newSize, BIG.root(oldSize), newRoot, proof)).toBe(true);
      }
    }
  });

  it('hands out copies: changing a proof or root does not change the tree', () => {
    const before = BIG.root();
    BIG.inclusionProof(3).forEach((node) => node.fill(0));
    BIG.consistencyProof(5).forEach((node) => node.fill(0));
    BIG.root(3).fill(0);
    BIG.root(0).fill(0);
    expect(BIG.root()).toEqual(before);
    expect(emptyRoot().toString('hex')).toBe(CT_EMPTY_ROOT);
  });

  it('keeps growing correctly after a bulk build', () => {
    const tree = MerkleTree.fromLeafHashes(LEAVES.slice(0, 37));
    for (const leaf of LEAVES.slice(37)) tree.append(leaf);
    expect(tree.root()).toEqual(BIG.root());
    expect(hex(tree.inclusionProof(40, 50))).toEqual(hex(BIG.inclusionProof(40, 50)));
  });

  it('refuses sizes and indices outside the tree', () => {
    const tree = MerkleTree.fromLeafHashes(LEAVES.slice(0, 5));
    expect(() => tree.root(6)).toThrow(RangeError);
    expect(() => tree.root(-1)).toThrow(RangeError);
    expect(() => tree.root(1.5)).toThrow(RangeError);
    expect(() => tree.inclusionProof(5)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 0)).toThrow(RangeError);
    expect(() => tree.inclusionProof(-1)).toThrow(RangeError);
    expect(() => tree.inclusionProof(Number.NaN)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 6)).toThrow(RangeError);
    expect(() => tree.consistencyProof(3, 2)).toThrow(RangeError);
    expect(() => tree.consistencyProof(3, 6)).toThrow(RangeError);
  });
});

describe('verifyInclusion rejects', () => {
  const size = 21;
  const index = 12;
  const root = BIG.root(size);
  const leaf = LEAVES[index] as Buffer;
  const proof = BIG.inclusionProof(index, size);

  it('a proof for the wrong leaf, index, size or root', () => {
    expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
    expect(verifyInclusion(LEAVES[index + 1] as Buffer, index, size, proof, root)).toBe(false);
    for (const wrongIndex of [index - 1, index + 1, index ^ 2, 0, size - 1]) expect(verifyInclusion(leaf, wrongIndex, size, proof, root)).toBe(false);
    for (const wrongSize of [size * 2, Math.floor(size / 2), 16, 64]) expect(verifyInclusion(leaf, index, wrongSize, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, proof, flip(root, 31))).toBe(false);
    expect(verifyInclusion(leaf, index, size, proof, BIG.root(size + 1))).toBe(false);
  });

  it('(but a proof fixes the shape of the path, not the exact size: the signed root pins that)', () => {
    // Leaf 12's path is the same in trees of 21 and 22 leaves, so the same hashes verify; only
    // the root differs, and a checkpoint signs the root together with its size.
    expect(verifyInclusion(leaf, index, size + 1, proof, root)).toBe(true);
    expect(verifyInclusion(leaf, index, size + 1, proof, BIG.root(size + 1))).toBe(false);
  });

  it('a tampered proof: any node changed, one added, one dropped, or reordered', () => {
    proof.forEach((_, i) => {
      const tampered = [...proof];
      tampered[i] = flip(proof[i] as Buffer, i);
      expect(verifyInclusion(leaf, index, size, tampered, root)).toBe(false);
    });
    expect(verifyInclusion(leaf, index, size, [...proof, root], root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, [root, ...proof], root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, proof.slice(0, -1), root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, [...proof].reverse(), root)).toBe(false);
    expect(verifyInclusion(leaf, index, size, [], root)).toBe(false);
  });

  it('malformed input, without throwing', () => {
    const bad: [unknown, unknown, unknown, unknown, unknown][] = [
      [leaf, size, size, proof, root],
      [leaf, -1, size, proof, root],
      [leaf, 1.5, size, proof, root],
      [leaf, Number.NaN, size, proof, root],
      [leaf, index, Number.POSITIVE_INFINITY, proof, root],
      [leaf, index, 2 ** 60, proof, root],
      [leaf, 0, 0, [], emptyRoot()],
      [leaf, '12', size, proof, root],
      [leaf.subarray(1), index, size, proof, root],
      [leaf, index, size, proof, root.subarray(0, 31)],
      [leaf, index, size, [...proof.slice(0, -1), Buffer.alloc(33)], root],
      [leaf, index, size, [...proof.slice(0, -1), null], root],
      [leaf, index, size, [...proof.slice(0, -1), 'ab'.repeat(32)], root],
      [leaf, index, size, null, root],
      [leaf, index, size, 'proof', root],
      [null, index, size, proof, root],
      [leaf.toString('hex'), index, size, proof, root.toString('hex')],
    ];
    for (const args of bad) expect(verifyInclusion(...(args as Parameters<typeof verifyInclusion>))).toBe(false);
    expect(verifyInclusion(LEAVES[0] as Buffer, 0, 1, [], LEAVES[0] as Buffer)).toBe(true);
  });
});

describe('verifyConsistency rejects', () => {
  const [oldSize, newSize] = [11, 29];
  const oldRoot = BIG.root(oldSize);
  const newRoot = BIG.root(newSize);
  const proof = BIG.consistencyProof(oldSize, newSize);

  it('wrong sizes, wrong or swapped roots', () => {
    expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)).toBe(true);
    for (const wrongOld of [oldSize - 1, oldSize + 1, oldSize ^ 2]) expect(verifyConsistency(wrongOld, newSize, oldRoot, newRoot, proof)).toBe(false);
    for (const wrongNew of [newSize * 2, Math.floor(newSize / 2), 12]) expect(verifyConsistency(oldSize, wrongNew, oldRoot, newRoot, proof)).toBe(false);
    expect(verifyConsistency(oldSize, newSize, flip(oldRoot), newRoot, proof)).toBe(false);
    expect(verifyConsistency(oldSize, newSize, oldRoot, flip(newRoot), proof)).toBe(false);
    expect(verifyConsistency(oldSize, newSize, newRoot, oldRoot, proof)).toBe(false);
  });

  it('a tampered proof: any node changed, one added, one dropped, or none', () => {
    proof.forEach((_, i) => {
      const tampered = [...proof];
      tampered[i] = flip(proof[i] as Buffer, 7);
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, tampered)).toBe(false);
    });
    expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [...proof, proof.at(-1) as Buffer])).toBe(false);
    expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [oldRoot, ...proof])).toBe(false);
    expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof.slice(0, -1))).toBe(false);
    expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [])).toBe(false);
  });

  it('a rewritten history: the old root of a different log', () => {
    const forked = MerkleTree.fromLeafHashes([...LEAVES.slice(0, 5), leafHash(Buffer.from('forged')), ...LEAVES.slice(6, newSize)]);
    expect(verifyConsistency(oldSize, newSize, forked.root(oldSize), newRoot, proof)).toBe(false);
    expect(verifyConsistency(oldSize, newSize, oldRoot, forked.root(), forked.consistencyProof(oldSize))).toBe(false);
  });

  it('the trivial cases unless they really are trivial', () => {
    expect(verifyConsistency(7, 7, BIG.root(7), BIG.root(7), [])).toBe(true);
    expect(verifyConsistency(7, 7, BIG.root(7), BIG.root(8), [])).toBe(false);
    expect(verifyConsistency(7, 7, BIG.root(7), BIG.root(7), [BIG.root(7)])).toBe(false);
    expect(verifyConsistency(0, 9, emptyRoot(), BIG.root(9), [])).toBe(true);
    expect(verifyConsistency(0, 9, BIG.root(1), BIG.root(9), [])).toBe(false);
    expect(verifyConsistency(0, 9, emptyRoot(), BIG.root(9), [BIG.root(9)])).toBe(false);
    expect(verifyConsistency(0, 0, emptyRoot(), emptyRoot(), [])).toBe(true);
  });

  it('malformed input, without throwing', () => {
    const bad: [unknown, unknown, unknown, unknown, unknown][] = [
      [newSize, oldSize, newRoot, oldRoot, proof],
      [-1, newSize, oldRoot, newRoot, proof],
      [oldSize, 2 ** 60, oldRoot, newRoot, proof],
      [oldSize, Number.NaN, oldRoot, newRoot, proof],
      [oldSize + 0.5, newSize, oldRoot, newRoot, proof],
      [oldSize, newSize, oldRoot.subarray(1), newRoot, proof],
      [oldSize, newSize, oldRoot, Buffer.concat([newRoot, Buffer.of(0)]), proof],
      [oldSize, newSize, oldRoot, newRoot, [...proof, undefined]],
      [oldSize, newSize, oldRoot, newRoot, [...proof.slice(1), Buffer.alloc(0)]],
      [oldSize, newSize, oldRoot, newRoot, proofToHex(proof)],
      [oldSize, newSize, oldRoot, newRoot, undefined],
      [String(oldSize), newSize, oldRoot, newRoot, proof],
    ];
    for (const args of bad) expect(verifyConsistency(...(args as Parameters<typeof verifyConsistency>))).toBe(false);
  });
});

describe('proof hex helpers', () => {
  it('round-trip a proof through JSON', () => {
    const proof = BIG.inclusionProof(9, 40);
    const json = JSON.parse(JSON.stringify(proofToHex(proof))) as unknown;
    expect(proofFromHex(json)).toEqual(proof);
    expect(hashFromHex(BIG.root().toString('hex').toUpperCase())).toEqual(BIG.root());
  });

  it('read nothing from malformed hex (rather than a silently shortened hash)', () => {
    const good = randomBytes(32).toString('hex');
    for (const bad of [null, 'x', [good, 'zz' + good.slice(2)], [good.slice(1)], [good + '00'], [7], { 0: good }]) expect(proofFromHex(bad)).toBeNull();
    expect(proofFromHex([])).toEqual([]);
    expect(hashFromHex(good.slice(0, 62) + 'g0')).toBeNull();
  });
});
