#!/usr/bin/env node
// Benchmark: the audit Merkle tree at a million leaves.
//
//   npm run build && node bench/merkle.mjs [leaves]
//
// Prints the time to build the tree (bulk from entry hashes, and by appending one at a time),
// and p50/p99 of inclusionProof + verifyInclusion together, and of verifyConsistency alone, for
// random leaves and sizes. Each build is timed three times; the median is printed.
import { randomBytes } from 'node:crypto';
import { entryLeafHash, MerkleTree, verifyConsistency, verifyInclusion } from '../dist/audit/merkle.js';

const N = Number(process.argv[2] ?? 1_000_000);
const SAMPLES = 20_000;
const now = process.hrtime.bigint;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const hashes = Array.from({ length: N }, () => randomBytes(32).toString('hex'));

function timeBuild(build) {
  const runs = [];
  let tree;
  for (let i = 0; i < 3; i++) {
    const start = now();
    tree = build();
    runs.push(Number(now() - start) / 1e6);
  }
  return { tree, ms: median(runs) };
}

const bulk = timeBuild(() => MerkleTree.fromEntryHashes(hashes));
const appended = timeBuild(() => {
  const tree = new MerkleTree();
  for (const hash of hashes) tree.appendEntryHash(hash);
  return tree;
});
if (!bulk.tree.root().equals(appended.tree.root())) throw new Error('bulk and appended trees differ');

const tree = bulk.tree;
const root = tree.root();
let checksum = 0;

const inclusion = new Float64Array(SAMPLES);
for (let i = 0; i < SAMPLES; i++) {
  const index = Math.floor(Math.random() * N);
  const leaf = entryLeafHash(hashes[index]);
  const start = now();
  const ok = verifyInclusion(leaf, index, N, tree.inclusionProof(index), root);
  inclusion[i] = Number(now() - start) / 1e3;
  if (!ok) throw new Error(`inclusion of ${index} did not verify`);
  checksum += index;
}
inclusion.sort();

const consistency = new Float64Array(SAMPLES / 4);
for (let i = 0; i < consistency.length; i++) {
  const oldSize = 1 + Math.floor(Math.random() * (N - 1));
  const oldRoot = tree.root(oldSize);
  const proof = tree.consistencyProof(oldSize);
  const start = now();
  const ok = verifyConsistency(oldSize, N, oldRoot, root, proof);
  consistency[i] = Number(now() - start) / 1e3;
  if (!ok) throw new Error(`consistency from ${oldSize} did not verify`);
  checksum += oldSize;
}
consistency.sort();

console.log(`Merkle tree, ${N.toLocaleString('en')} leaves (Node ${process.version})`);
console.log(`  build, bulk (fromEntryHashes)     ${bulk.ms.toFixed(0)} ms`);
console.log(`  build, appendEntryHash each       ${appended.ms.toFixed(0)} ms`);
console.log(`  inclusionProof + verifyInclusion  p50 ${percentile(inclusion, 0.5).toFixed(1)} µs, p99 ${percentile(inclusion, 0.99).toFixed(1)} µs`);
console.log(`  verifyConsistency                 p50 ${percentile(consistency, 0.5).toFixed(1)} µs, p99 ${percentile(consistency, 0.99).toFixed(1)} µs`);
console.log(`  (checksum ${checksum})`);
