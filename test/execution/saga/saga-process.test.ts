import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { SqliteAuditSink } from '../../../src/audit/sqlite-sink.js';
import { Saga, unfinishedSagas } from '../../../src/execution/saga/index.js';
import { Kernel } from '../../../src/kernel/kernel.js';
import { POLICY, rejection } from './saga-kernel.js';

// Across processes, with real SQLite files: a saga killed with -9 leaves a trail that says what to
// undo, and a store locked by another process stops the saga (fail closed) without stopping its
// compensations.

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function store(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agt-saga-'));
  dirs.push(dir);
  return join(dir, 'audit.db');
}

/** Starts a fixture and resolves once it prints `line`. */
function started(fixture: string, args: string[], line: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(FIXTURES, fixture), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(line)) resolve(child);
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`${fixture} exited (${String(code)}) before '${line}': ${err}`)));
  });
}

describe('Saga across processes', () => {
  it('kill -9 mid-step: the chain verifies and unfinishedSagas() names the steps to undo and the one that was running', async () => {
    const path = store();
    const child = await started('saga-child.mjs', [path], 'in ship');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const audit = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    expect(audit.verify().ok).toBe(true);
    const unfinished = unfinishedSagas(audit.entries());
    expect(unfinished).toEqual([expect.objectContaining({ saga: 'order', agent: 'shop-bot', done: ['reserve', 'charge'], running: ['ship'] })]);
    audit.close();
  });

  it('unfinishedSagas() ignores finished sagas and an agent tool call named like a saga entry', async () => {
    const audit = new AuditLog();
    const kernel = new Kernel({ policy: POLICY, audit, agent: 'shop-bot' });
    const done = new Saga({ kernel, name: 'order' });
    await done.step('a', { tool: 'shop.a', run: () => 1, compensate: () => undefined });
    await done.complete();
    const undone = new Saga({ kernel, name: 'order2' });
    await undone.step('a', { tool: 'shop.a', run: () => 1, compensate: () => undefined });
    await undone.compensate('test');
    const open = new Saga({ kernel, name: 'order3' });
    await open.step('a', { tool: 'shop.a', run: () => 1, compensate: () => undefined });
    // An agent's own call dressed as a saga's end entry does not close the open saga.
    await kernel.handle({ tool: 'saga.order3.end', args: { action: 'saga.completed' } }, () => 1);
    expect(unfinishedSagas(audit.entries()).map((s) => [s.saga, s.id, s.done])).toEqual([['order3', open.id, ['a']]]);
  });

  it('a store locked by another process: the next step is denied (never runs), the earlier steps are still undone', async () => {
    const path = store();
    const audit = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    const kernel = new Kernel({ policy: POLICY, audit, agent: 'shop-bot' });
    const undone: string[] = [];
    let shipped = false;
    const saga = new Saga({ kernel, name: 'locked' });
    await saga.step('reserve', { tool: 'stock.reserve', run: () => 'hold-1', compensate: (r) => void undone.push(r) });
    await started('sqlite-locker.mjs', [path], 'locked');
    const error = await rejection(saga.step('ship', { tool: 'shipping.create', run: () => void (shipped = true) }));
    expect(error.code).toBe('ERR_AGT_SAGA_STEP_DENIED');
    expect(error.message).toMatch(/audit log did not take the step's entry/);
    expect(shipped).toBe(false);
    expect(undone).toEqual(['hold-1']);
    expect(error.report).toMatchObject({ status: 'compensated' });
    expect(error.report.unrecorded).toBeGreaterThan(0);
    audit.close();
  }, 30_000);
});
