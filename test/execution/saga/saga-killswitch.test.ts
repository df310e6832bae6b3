import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { Saga } from '../../../src/execution/saga/index.js';
import { Kernel } from '../../../src/kernel/kernel.js';
import { POLICY, rejection } from './saga-kernel.js';

// With the real kill switch (ex-killswitch): killing the agent aborts its running step through
// the kernel's signal, runs the saga's compensations through the registry, and reports
// terminated only once they are done.

describe('Saga and the real kill switch', () => {
  it('kill(): the running step is aborted, the completed steps are undone, the kill is terminated', async () => {
    const audit = new AuditLog();
    const kernel = new Kernel({ policy: POLICY, audit, agent: 'shop-bot' });
    const undone: string[] = [];
    // No `compensations` option: a saga for an agent registers with its kernel's kill switch.
    const saga = new Saga({ kernel, name: 'order', agent: 'shop-bot' });
    await saga.step('reserve', { tool: 'stock.reserve', run: () => 'hold-1', compensate: (r) => void undone.push(r) });
    let aborted = false;
    const ship = saga.step('ship', {
      tool: 'shipping.create',
      run: (_args, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('shipping cancelled'));
          });
        }),
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const report = await kernel.kill('shop-bot', { reason: 'runaway', by: 'ops' });
    expect(aborted).toBe(true);
    expect(undone).toEqual(['hold-1']);
    expect(report.terminated).toBe(true);
    expect(report.compensations).toEqual([expect.objectContaining({ outcome: 'done' })]);
    expect(await rejection(ship)).toMatchObject({ code: 'ERR_AGT_SAGA_ABORTED' });
    const next = new Saga({ kernel, name: 'after', agent: 'shop-bot' });
    expect(await rejection(next.step('a', { tool: 'stock.reserve', run: () => 1 }))).toMatchObject({ code: 'ERR_AGT_SAGA_STEP_DENIED' });
    expect(audit.verify().ok).toBe(true);
  });

  it('compensations: false opts out: a kill aborts the running step and undoes nothing', async () => {
    const kernel = new Kernel({ policy: POLICY, audit: false, agent: 'shop-bot' });
    const undone: string[] = [];
    const saga = new Saga({ kernel, name: 'order', agent: 'shop-bot', compensations: false });
    await saga.step('reserve', { tool: 'stock.reserve', run: () => 'hold-1', compensate: (r) => void undone.push(r) });
    const report = await kernel.kill('shop-bot');
    expect(report.compensations).toEqual([]);
    expect(undone).toEqual([]);
  });

  it('a saga that cannot undo a step makes the kill not terminated', async () => {
    const kernel = new Kernel({ policy: POLICY, audit: new AuditLog(), agent: 'shop-bot' });
    const saga = new Saga({ kernel, name: 'stuck', agent: 'shop-bot', retries: 0, compensations: kernel.killSwitch.compensations });
    await saga.step('a', { tool: 'stock.reserve', run: () => 1, compensate: () => Promise.reject(new Error('refund API down')) });
    const report = await kernel.kill('shop-bot', { reason: 'runaway', by: 'ops' });
    expect(report.terminated).toBe(false);
    expect(report.compensations).toEqual([expect.objectContaining({ outcome: 'failed' })]);
  });
});
