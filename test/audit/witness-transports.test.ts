import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { HttpWitness } from '../../src/audit/http-witness.js';
import { SqliteAuditSink } from '../../src/audit/sqlite-sink.js';
import { StreamWitness } from '../../src/audit/stream-witness.js';
import { readWitness } from '../../src/audit/witness-read.js';
import { fill, tamper, tempDir, verifyWitnessed } from './witness-fixtures.js';

/** A witness service in a few lines: POST appends a statement, GET returns them all as JSON lines. */
let server: Server;
let base: string;
const held: string[] = [];
let refuse = false;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.method === 'POST') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        if (refuse) return void response.writeHead(503).end();
        held.push(JSON.stringify(JSON.parse(body)));
        response.writeHead(204).end();
      });
      return;
    }
    if (request.url === '/missing') return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(held.map((line) => line + '\n').join(''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('HttpWitness', () => {
  it('POSTs every checkpoint, and verification GETs them back: an honest store holds, a truncated one does not', async () => {
    const path = join(tempDir(), 'audit.db');
    const sink = new SqliteAuditSink({ path, checkpointEvery: 10, checkpointIntervalMs: 600_000, witnesses: [new HttpWitness(`${base}/log`)] });
    const log = new AuditLog({ sink });
    fill(log, 25);
    await log.durable();
    log.close();
    await sink.published();
    expect(held.map((line) => (JSON.parse(line) as { checkpoint: { size: number } }).checkpoint.size)).toEqual([10, 20, 25]);
    expect(await verifyWitnessed(path)).toMatchObject({ ok: true, witnessed: { size: 25, witnesses: [`${base}/log`] } });
    tamper(path, (db) => db.exec('DELETE FROM entries WHERE seq > 21; DELETE FROM checkpoints WHERE size > 21'));
    expect(await verifyWitnessed(path)).toMatchObject({ ok: false, firstBadSeq: 22, reason: expect.stringContaining('entries 22..25 are missing') });
  });

  it('a witness that refuses breaks the store, and one that cannot be read fails verification', async () => {
    refuse = true;
    try {
      const log = new AuditLog({ sink: new SqliteAuditSink({ path: join(tempDir(), 'audit.db'), checkpointEvery: 3, witnesses: [new HttpWitness(`${base}/log`)] }) });
      fill(log, 3);
      await expect(log.durable()).rejects.toThrow(/could not publish checkpoint 3 to witness http:.*answered 503/);
      expect(() => fill(log, 1)).toThrow(/answered 503/);
      log.close();
    } finally {
      refuse = false;
    }
    expect(await readWitness(`${base}/missing`)).toEqual({ location: `${base}/missing`, error: expect.stringMatching(/^answered 404/) });
    expect(await readWitness('http://127.0.0.1:1/')).toMatchObject({ error: expect.any(String) });
    expect(() => new HttpWitness('ftp://example.com/')).toThrow(/is not http:\/\/ or https:\/\//);
  });
});

describe('StreamWitness', () => {
  it('writes one JSON line per checkpoint, which a shipper can deliver to a file that verifies', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    const dir = tempDir();
    const path = join(dir, 'audit.db');
    const sink = new SqliteAuditSink({ path, checkpointEvery: 4, witnesses: [new StreamWitness(stream)] });
    const log = new AuditLog({ sink });
    fill(log, 9);
    log.close();
    await sink.published();
    const delivered = join(dir, 'shipped.jsonl');
    writeFileSync(delivered, chunks.join(''));
    expect(chunks.join('').trim().split('\n')).toHaveLength(3);
    expect(await verifyWitnessed(path, { witnesses: [delivered] })).toMatchObject({ ok: true, witnessed: { size: 9 } });
  });
});

describe('reading a witness file', () => {
  it('refuses a FIFO, a directory or a device with a reason instead of blocking or reading without end', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'witness.jsonl');
    execFileSync('mkfifo', [fifo]);
    for (const location of [fifo, dir, '/dev/zero']) {
      expect(await readWitness(location)).toMatchObject({ error: expect.stringMatching(/^is not a regular file/) });
    }
  });
});
