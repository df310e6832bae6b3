import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { SqliteAuditSink } from '../../src/audit/sqlite-sink.js';
import { openStoreReadOnly, verifySqliteStore } from '../../src/audit/sqlite-verify.js';

const WRITER = fileURLToPath(new URL('../fixtures/durable-writer.mjs', import.meta.url));

/** Runs the writer until it has acknowledged at least `atLeast` entries, then kills it with SIGKILL. */
function killMidStream(path: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acknowledged = 0;
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^ack (\d+)$/.exec(line);
        if (match) acknowledged = Math.max(acknowledged, Number(match[1]));
      }
      if (acknowledged >= atLeast && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (code ${code}, signal ${signal})`));
      else resolve(acknowledged);
    });
  });
}

describe('durability under kill -9', () => {
  it('loses no acknowledged entry when the writing process is killed mid-stream, and the chain continues', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agt-kill-')), 'audit.db');
    const acknowledged = await killMidStream(path, 5000);
    expect(acknowledged).toBeGreaterThanOrEqual(5000);

    const db = openStoreReadOnly(path);
    const stored = db.prepare('SELECT count(*) FROM entries').pluck().get() as number;
    const result = verifySqliteStore(db);
    db.close();
    expect(stored).toBeGreaterThanOrEqual(acknowledged);
    expect(result).toMatchObject({ ok: true, entries: stored, firstBadSeq: null });
    expect(result.checkpoints).toBeGreaterThan(0);

    // A new process picks the chain up where the killed one left it.
    const log = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    expect(log.length).toBe(stored);
    log.append({
      request: { tool_name: 'db', action: { type: 'read' } },
      decision: { verdict: 'allow', allowed: true, stage: 'pre_tool', rule: null, policy: null, reason: 'after restart', policyRevision: 'r', decisionId: 'd' } as never,
    });
    expect(log.verify()).toMatchObject({ ok: true, entries: stored + 1 });
    log.close();
  });
});
