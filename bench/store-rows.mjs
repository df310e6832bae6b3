// Bench rows for the durable audit store (issue 3): group-committed SQLite appends, verifying a
// 1,000,000-entry store, and Merkle inclusion proofs on it. No peer row: the peer has no durable
// store, Merkle tree or proofs. Called by run.mjs with its harness.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { AuditLog, PolicyEvaluator, SqliteAuditSink, verifySqliteStore } from '../dist/index.js';
import { MerkleTree, entryLeafHash, openStoreReadOnly, verifyInclusion } from '../dist/api/audit.js';

const BURST = 1000;
const MILLION = 1_000_000;

function fixture() {
  const evaluator = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: store-bench
default_action: allow
rules:
  - { name: no-drop, condition: "action.type == 'drop'", action: deny }
`);
  const request = { tool_name: 'db', action: { type: 'read' }, args: { table: 'users', rows: 5 }, agent: { id: 'bench' } };
  return { request, decision: evaluator.evaluate(request) };
}

/** Appends `n` entries in bursts, each burst committed (durable) before the next. */
async function fill(log, n, entry) {
  for (let done = 0; done < n; done += BURST) {
    for (let i = 0; i < Math.min(BURST, n - done); i++) log.append(entry);
    await log.durable();
  }
}

/** Per-burst samples as per-entry figures. */
function perEntry(summary, k) {
  return { ...summary, n: summary.n * k, opsPerSec: summary.opsPerSec * k, p50Ns: summary.p50Ns / k, p99Ns: summary.p99Ns / k };
}

export async function storeRows({ pair, progress, gc, rows }) {
  const dir = mkdtempSync(join(os.tmpdir(), 'agt-bench-store-'));
  try {
    const entry = fixture();

    progress('durable SQLite append, group commit ...');
    {
      const log = new AuditLog({ sink: new SqliteAuditSink({ path: join(dir, 'append.db') }) });
      const r = await pair({
        ours: async () => {
          for (let i = 0; i < BURST; i++) log.append(entry);
          await log.durable();
          return 1;
        },
        n: 120, warm: 10, rounds: 2, async: true,
      });
      log.close();
      rows.push({
        what: `durable SQLite append, group commit (bursts of ${BURST}, each committed; p50/p99 per entry)`,
        ours: perEntry(r.ours, BURST), peer: null, by: 'ops/s',
        target: '>= 50,000 entries/s',
        met: r.ours.opsPerSec * BURST >= 50_000,
      });
    }

    progress('building a 1,000,000-entry store (~15 s) ...');
    const path = join(dir, 'million.db');
    {
      const log = new AuditLog({ sink: new SqliteAuditSink({ path }) });
      await fill(log, MILLION, entry);
      log.close();
    }
    gc();

    progress('verify 1,000,000 entries ...');
    {
      const db = openStoreReadOnly(path);
      const r = await pair({
        ours: () => {
          const v = verifySqliteStore(db);
          if (!v.ok || v.entries !== MILLION) throw new Error(`verify failed: ${JSON.stringify(v)}`);
          return v.checkpoints;
        },
        n: 3, warm: 1, rounds: 1,
      });
      db.close();
      r.ours.opsPerSec *= MILLION; // entries/s
      rows.push({
        what: 'verify 1,000,000 entries in SQLite: chain, Merkle roots, 1,000 checkpoint signatures (ops/s = entries/s)',
        ours: r.ours, peer: null, by: 'p50',
        target: 'p50 <= 3 s',
        met: r.ours.p50Ns <= 3e9,
      });
    }
    gc();

    progress('inclusion proofs on the 1,000,000-entry log ...');
    {
      const db = openStoreReadOnly(path);
      const hashes = db.prepare('SELECT hash FROM entries ORDER BY seq').pluck().all();
      db.close();
      const tree = MerkleTree.fromEntryHashes(hashes);
      const root = tree.root();
      let index = 12345;
      const r = await pair({
        ours: () => {
          index = (index * 7919 + 104729) % MILLION; // spread over the tree
          const proof = tree.inclusionProof(index, MILLION);
          if (!verifyInclusion(entryLeafHash(hashes[index]), index, MILLION, proof, root)) throw new Error('proof did not verify');
          return proof.length;
        },
        n: 40_000, warm: 2000,
      });
      rows.push({
        what: 'inclusion proof, generate + verify, 1,000,000-entry log',
        ours: r.ours, peer: null, by: 'p50',
        target: 'p50 <= 50 us',
        met: r.ours.p50Ns <= 50_000,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
