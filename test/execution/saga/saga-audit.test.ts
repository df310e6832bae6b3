import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { SqliteAuditSink } from '../../../src/audit/sqlite-sink.js';
import { failedDecision } from '../../../src/core/failed-decision.js';
import { Saga } from '../../../src/execution/saga/index.js';
import type { Guard } from '../../../src/kernel/guards.js';
import { Kernel } from '../../../src/kernel/kernel.js';
import { POLICY, rejection } from './saga-kernel.js';

// Every step and every compensation is in the audit log with its outcome, in order, on a real
// SQLite store whose chain an independent reader (the `agt` CLI, another process) verifies.

const AGT = join(import.meta.dirname, '../../../dist/cli/agt.js');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function store(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agt-saga-'));
  dirs.push(dir);
  return join(dir, 'audit.db');
}

describe('Saga: the audit trail', () => {
  it('records each step (started, the kernel decision, done/failed) and each compensation attempt and outcome; the chain verifies from another process', async () => {
    const path = store();
    const audit = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    const kernel = new Kernel({ policy: POLICY, audit, agent: 'shop-bot' });
    const saga = new Saga({ kernel, name: 'order', agent: 'shop-bot', retries: 2, retryDelayMs: 1 });
    let chargeAttempts = 0;
    await saga.step('reserve', { tool: 'stock.reserve', args: { sku: 'A1' }, run: () => 'hold-1', compensate: () => undefined });
    await saga.step('charge', {
      tool: 'payments.charge',
      args: { cents: 900 },
      run: () => 'ch-1',
      compensate: () => {
        if (++chargeAttempts === 1) throw new Error('refund API busy');
      },
    });
    const error = await rejection(saga.step('ship', { tool: 'shipping.create', run: () => Promise.reject(new Error('no courier')) }));
    expect(error.code).toBe('ERR_AGT_SAGA_STEP_FAILED');
    expect(error.report.unrecorded).toBe(0);
    audit.close();

    const reopened = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    const entries = reopened.entries();
    const trail = entries.map((e) => `${e.stage} ${e.verdict} ${e.tool} ${e.actionType}`);
    expect(trail).toEqual([
      'pre_tool log saga.order.step.reserve saga.step.started',
      'pre_tool allow stock.reserve stock.reserve',
      'post_tool allow stock.reserve stock.reserve', // the policy has post_tool rules: results are decided too
      'post_tool log saga.order.step.reserve saga.step.done',
      'pre_tool log saga.order.step.charge saga.step.started',
      'pre_tool allow payments.charge payments.charge',
      'post_tool allow payments.charge payments.charge',
      'post_tool log saga.order.step.charge saga.step.done',
      'pre_tool log saga.order.step.ship saga.step.started',
      'pre_tool allow shipping.create shipping.create',
      'post_tool allow shipping.create shipping.create', // the kernel records what the tool threw
      'post_tool log saga.order.step.ship saga.step.failed',
      'post_tool log saga.order.compensate.charge saga.compensation.attempt_failed',
      'post_tool log saga.order.compensate.charge saga.compensation.done',
      'post_tool log saga.order.compensate.reserve saga.compensation.done',
      'post_tool log saga.order.end saga.compensated',
    ]);
    expect(entries.every((e) => e.agent === 'shop-bot')).toBe(true);
    // Each saga entry names the saga run, and a step's end names the kernel's decision on it.
    expect(entries.filter((e) => e.tool?.startsWith('saga.')).every((e) => e.reason.includes(saga.id))).toBe(true);
    // (the kernel's last decision on the step: here its result's, at post_tool)
    const chargeDecision = entries.find((e) => e.tool === 'payments.charge' && e.stage === 'post_tool');
    expect(entries.find((e) => e.actionType === 'saga.step.done' && e.tool === 'saga.order.step.charge')?.reason).toContain(`decision ${chargeDecision?.decisionId}`);
    expect(entries.at(-1)?.reason).toMatch(/compensated: compensations: charge done, reserve done; because step 'ship' failed: Error: no courier/);
    expect(reopened.verify()).toMatchObject({ ok: true, entries: 16 });
    reopened.close();

    const verified = spawnSync(process.execPath, [AGT, 'audit', 'verify', '--store', path, '--json'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, entries: 16 });
  });

  it('a broken audit store (its file removed under it) denies the next step and still undoes the earlier ones, saying what went unrecorded', async () => {
    const path = store();
    const audit = new AuditLog({ sink: new SqliteAuditSink({ path }) });
    const kernel = new Kernel({ policy: POLICY, audit, agent: 'shop-bot' });
    const undone: string[] = [];
    let shipped = false;
    const saga = new Saga({ kernel, name: 'fragile' });
    await saga.step('reserve', { tool: 'stock.reserve', run: () => 'hold-1', compensate: (r) => void undone.push(r) });
    rmSync(path);
    const error = await rejection(saga.step('ship', { tool: 'shipping.create', run: () => void (shipped = true) }));
    expect(error.code).toBe('ERR_AGT_SAGA_STEP_DENIED');
    expect(error.message).toMatch(/audit/);
    expect(shipped).toBe(false); // fail closed: nothing unaudited goes ahead
    expect(undone).toEqual(['hold-1']); // but what was done is undone
    expect(error.report.status).toBe('compensated');
    expect(error.report.unrecorded).toBeGreaterThan(0);
    audit.close();
  });

  it("compensations run and are recorded after the agent is killed: the agent's standing stops its steps, not their undoing", async () => {
    // A real guard in the kernel's pipeline stands in for the lifecycle's standing guard (built on
    // another branch): once the agent is killed, every call of its is denied.
    let killed = false;
    const standing: Guard = {
      name: 'standing',
      check: (ctx) => (killed && ctx.agentId === 'shop-bot' ? failedDecision('guard', 'standing: agent shop-bot is terminated', ctx.request.stage, POLICY.revision) : undefined),
    };
    const audit = new AuditLog();
    const kernel = new Kernel({ policy: POLICY, audit, agent: 'shop-bot', guards: [standing] });
    const undone: string[] = [];
    const saga = new Saga({ kernel, name: 'killed', agent: 'shop-bot' });
    await saga.step('reserve', { tool: 'stock.reserve', run: () => 'hold-1', compensate: (r) => void undone.push(r) });
    await saga.step('charge', { tool: 'payments.charge', run: () => 'ch-1', compensate: (r) => void undone.push(r) });
    killed = true;
    // What the kill switch does for a registered saga:
    const report = await saga.compensate('agent shop-bot killed');
    expect(undone).toEqual(['ch-1', 'hold-1']);
    expect(report).toMatchObject({ status: 'compensated', reason: 'agent shop-bot killed', unrecorded: 0 });
    expect(audit.entries().filter((e) => e.actionType === 'saga.compensation.done').map((e) => e.agent)).toEqual(['shop-bot', 'shop-bot']);
    // And a new saga for the killed agent gets no further than its first step.
    const next = new Saga({ kernel, name: 'after-kill', agent: 'shop-bot' });
    let ran = false;
    const error = await rejection(next.step('a', { tool: 'stock.reserve', run: () => void (ran = true) }));
    expect(error.code).toBe('ERR_AGT_SAGA_STEP_DENIED');
    expect(error.decision?.reason).toMatch(/terminated/);
    expect(ran).toBe(false);
    expect(audit.verify().ok).toBe(true);
  });
});
