import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MerkleFrontier } from '../../src/audit/merkle-frontier.js';
import { MerkleTree } from '../../src/audit/merkle.js';

const entryHash = (i: number) => createHash('sha256').update(`entry ${i}`).digest('hex');

describe('MerkleFrontier', () => {
  it('has the same root as the full tree at every size (what checkpoints sign)', () => {
    const frontier = new MerkleFrontier();
    const tree = new MerkleTree();
    expect(frontier.root()).toEqual(tree.root());
    for (let i = 0; i < 300; i++) {
      frontier.appendEntryHash(entryHash(i));
      tree.appendEntryHash(entryHash(i));
      expect(frontier.root().toString('hex')).toBe(tree.root().toString('hex'));
    }
  });

  it('saves and restores itself, and rejects text that is not a consistent frontier', () => {
    const frontier = new MerkleFrontier();
    for (let i = 0; i < 77; i++) frontier.appendEntryHash(entryHash(i));
    const restored = MerkleFrontier.parse(frontier.serialize());
    expect(restored?.size).toBe(77);
    restored?.appendEntryHash(entryHash(77));
    frontier.appendEntryHash(entryHash(77));
    expect(restored?.root()).toEqual(frontier.root());

    const saved = frontier.serialize();
    expect(MerkleFrontier.parse(saved.replace(/^78:/, '79:'))).toBeNull(); // sizes disagree
    expect(MerkleFrontier.parse(saved.replace(/,[^,]+$/, ''))).toBeNull(); // a subtree missing
    expect(MerkleFrontier.parse('0:')?.size).toBe(0);
    expect(MerkleFrontier.parse('garbage')).toBeNull();
    expect(MerkleFrontier.parse('2:0.' + 'ab'.repeat(32) + ',0.' + 'cd'.repeat(32))).toBeNull(); // heights must decrease
  });
});
