// docs/audit.md's witness example, runnable: `node examples/audit-witness.mjs` (after `npm ci`).
// A durable audit store that publishes every signed checkpoint to a witness file elsewhere, then
// a verification held to that witness: first of the honest store, then of one whose tail was cut
// off together with its checkpoints (which the store alone cannot see).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog, FileWitness, SqliteAuditSink, verifyWitnessedStore } from 'agent-governance-toolkit';
import { openStoreReadOnly } from 'agent-governance-toolkit/audit';

const dir = mkdtempSync(join(tmpdir(), 'agt-witness-example-'));
const store = join(dir, 'audit.db');
const witness = join(dir, 'elsewhere', 'audit-witness.jsonl'); // in real use: another volume, host or service

const audit = new AuditLog({
  sink: new SqliteAuditSink({ path: store, checkpointEvery: 100, witnesses: [new FileWitness(witness)] }),
});
const decision = { verdict: 'allow', allowed: true, stage: 'pre_tool', rule: null, policy: 'example', reason: 'ok', policyRevision: 'r1', decisionId: 'd1' };
for (let i = 0; i < 250; i++) audit.append({ request: { tool_name: 'search', args: { i } }, decision });
audit.close(); // seals the log with a final checkpoint, published to the witness

async function check(label) {
  const db = openStoreReadOnly(store);
  const result = await verifyWitnessedStore(db); // reads the witness the store records
  db.close();
  console.log(`${label}: ${result.ok ? `OK, complete up to checkpoint ${result.witnessed.size}` : `TAMPERED: ${result.reason}`}`);
}

await check('honest store');

// Someone with write access removes the last 50 entries and the checkpoints that covered them.
const db = new Database(store);
db.exec('DELETE FROM entries WHERE seq > 200; DELETE FROM checkpoints WHERE size > 200');
db.close();
await check('after truncation');
