import { describe, expect, it } from 'vitest';
import { Saga, SagaError } from '../../../src/execution/saga/index.js';
import { rejection, sagaKernel, sagaTrail } from './saga-kernel.js';

// The behaviour of a saga, on a real kernel and policy: steps are governed calls, and when one
// fails or is denied, the completed ones are undone in reverse order.

/** Three steps that note what they did and what was undone, in order. */
function shop(log: string[], failAt?: string) {
  const step = (name: string, tool = `shop.${name}`) => ({
    tool,
    args: { item: 'A1' },
    run: (args: Readonly<Record<string, unknown>>) => {
      if (name === failAt) throw new TypeError(`${name} is out of order`);
      log.push(`run ${name}`);
      return { id: `${name}-1`, item: args.item };
    },
    compensate: (result: { id: string }) => {
      log.push(`undo ${result.id}`);
    },
  });
  return step;
}

describe('Saga: a governed multi-step task', () => {
  it('happy path: every step runs through the kernel, complete() drops the compensations', async () => {
    const { kernel, audit } = sagaKernel();
    const log: string[] = [];
    const step = shop(log);
    const saga = new Saga({ kernel, name: 'order', agent: 'shop-bot' });
    expect(await saga.step('reserve', step('reserve'))).toEqual({ id: 'reserve-1', item: 'A1' });
    await saga.step('charge', step('charge'));
    await saga.step('ship', step('ship'));
    const report = await saga.complete();
    expect(log).toEqual(['run reserve', 'run charge', 'run ship']);
    expect(report).toMatchObject({ saga: 'order', status: 'completed', reason: null, compensations: [], unrecorded: 0 });
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['reserve:done', 'charge:done', 'ship:done']);
    // The kernel decided each step (pre_tool allow), named by its tool.
    expect(audit.entries().filter((e) => e.stage === 'pre_tool' && e.verdict === 'allow' && e.tool?.startsWith('shop.')).map((e) => e.tool)).toEqual(['shop.reserve', 'shop.charge', 'shop.ship']);
    expect(await saga.compensate('too late')).toMatchObject({ status: 'completed' }); // nothing to undo after completion
    expect(await saga.complete()).toMatchObject({ status: 'completed' }); // idempotent
    expect(log).toHaveLength(3);
  });

  it('a failure in step 3 compensates step 2, then step 1, and step() throws after that', async () => {
    const { kernel } = sagaKernel();
    const log: string[] = [];
    const step = shop(log, 'ship');
    const saga = new Saga({ kernel, name: 'order' });
    await saga.step('reserve', step('reserve'));
    await saga.step('charge', step('charge'));
    const error = await rejection(saga.step('ship', step('ship')));
    expect(error).toBeInstanceOf(SagaError);
    expect(error).toMatchObject({ code: 'ERR_AGT_SAGA_STEP_FAILED', step: 'ship' });
    expect(error.message).toMatch(/step 'ship' failed: TypeError: ship is out of order; compensations: charge done, reserve done/);
    expect(log).toEqual(['run reserve', 'run charge', 'undo charge-1', 'undo reserve-1']);
    expect(error.report.status).toBe('compensated');
    expect(error.report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['reserve:done', 'charge:done', 'ship:failed']);
    expect(error.report.compensations.map((c) => [c.step, c.outcome, c.attempts])).toEqual([['charge', 'done', 1], ['reserve', 'done', 1]]);
    // Closed: no further step, no completion.
    expect(await rejection(saga.step('again', step('again')))).toMatchObject({ code: 'ERR_AGT_SAGA_CLOSED' });
    expect(await rejection(saga.complete())).toMatchObject({ code: 'ERR_AGT_SAGA_CLOSED' });
    expect(log).toHaveLength(4);
  });

  it('a step the policy denies never runs; it is a recorded refusal and the earlier steps are undone', async () => {
    const { kernel, audit } = sagaKernel();
    const log: string[] = [];
    const step = shop(log);
    const saga = new Saga({ kernel, name: 'cleanup' });
    await saga.step('snapshot', step('snapshot'));
    await saga.step('archive', step('archive'));
    const error = await rejection(saga.step('drop', step('drop', 'db.drop')));
    expect(error).toMatchObject({ code: 'ERR_AGT_SAGA_STEP_DENIED', step: 'drop' });
    expect(error.decision).toMatchObject({ verdict: 'deny', rule: 'no-drops' });
    expect(log).toEqual(['run snapshot', 'run archive', 'undo archive-1', 'undo snapshot-1']);
    const refusal = audit.entries().find((e) => e.tool === 'db.drop');
    expect(refusal).toMatchObject({ stage: 'pre_tool', verdict: 'deny', rule: 'no-drops', decisionId: error.decision?.decisionId });
  });

  it('a step whose output the policy withholds (post_tool) did run: it is undone with the others', async () => {
    const { kernel } = sagaKernel();
    const undone: string[] = [];
    const saga = new Saga({ kernel, name: 'notify' });
    await saga.step('reserve', { tool: 'shop.reserve', run: () => 'r1', compensate: (r) => void undone.push(r) });
    const error = await rejection(saga.step('mail', { tool: 'mail.send', args: { to: 'ada@example.com' }, run: () => 'sent receipt for card 4242', compensate: (r) => void undone.push(`recall: ${r}`) }));
    expect(error).toMatchObject({ code: 'ERR_AGT_SAGA_STEP_DENIED', step: 'mail' });
    expect(error.decision).toMatchObject({ stage: 'post_tool', rule: 'no-card-numbers-out' });
    expect(undone).toEqual(['recall: sent receipt for card 4242', 'r1']);
    expect(error.report.status).toBe('compensated');
  });

  it('a compensation that throws once is retried with backoff and succeeds on the 2nd attempt', async () => {
    const { kernel, audit } = sagaKernel();
    let attempts = 0;
    const at: number[] = [];
    const saga = new Saga({ kernel, name: 'flaky', retries: 3, retryDelayMs: 20 });
    await saga.step('reserve', {
      tool: 'shop.reserve',
      run: () => 'hold-1',
      compensate: (_r, ctx) => {
        at.push(Date.now());
        attempts++;
        expect(ctx.attempt).toBe(attempts);
        if (attempts === 1) throw new Error('the stock service is busy');
      },
    });
    const report = await saga.compensate('the customer cancelled');
    expect(report).toMatchObject({ status: 'compensated', reason: 'the customer cancelled' });
    expect(report.compensations).toEqual([expect.objectContaining({ step: 'reserve', outcome: 'done', attempts: 2 })]);
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(15);
    expect(sagaTrail(audit)).toContain('saga.compensation.attempt_failed saga.flaky.compensate.reserve');
    expect(sagaTrail(audit)).toContain('saga.compensation.done saga.flaky.compensate.reserve');
  });

  it('backoff doubles and is bounded by retries: a compensation that always throws is compensation_failed, the others still run', async () => {
    const { kernel, audit } = sagaKernel();
    const at: number[] = [];
    const undone: string[] = [];
    const saga = new Saga({ kernel, name: 'broken', retries: 3, retryDelayMs: 10 });
    await saga.step('a', { tool: 'shop.a', run: () => 'a', compensate: (r) => void undone.push(r) });
    await saga.step('b', {
      tool: 'shop.b',
      run: () => 'b',
      compensate: () => {
        at.push(Date.now());
        throw new RangeError('refund API says no: token=sk_live_secret');
      },
    });
    await saga.step('c', { tool: 'shop.c', run: () => 'c', compensate: (r) => void undone.push(r) });
    const report = await saga.compensate('abandoned cart');
    expect(report.status).toBe('compensation_failed');
    expect(report.compensations.map((c) => [c.step, c.outcome, c.attempts])).toEqual([['c', 'done', 1], ['b', 'failed', 4], ['a', 'done', 1]]);
    expect(report.compensations[1]?.error).toMatch(/refund API says no/);
    expect(undone).toEqual(['c', 'a']);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(8);
    expect(gaps[2]).toBeGreaterThanOrEqual(35); // 10, 20, 40 ms
    const failedEntry = audit.entries().find((e) => e.actionType === 'saga.compensation.failed');
    expect(failedEntry?.reason).toMatch(/compensation of step 'b' failed \(threw RangeError\) after 4 attempt\(s\)/);
    // The error's text stays out of the log (it may carry secrets); the report has it.
    expect(JSON.stringify(audit.entries())).not.toContain('sk_live_secret');
  });

  it('a compensation that hangs times out (its signal aborts), is not retried, and the rest still run', async () => {
    const { kernel, audit } = sagaKernel();
    const undone: string[] = [];
    let hungSignal: AbortSignal | undefined;
    let calls = 0;
    const saga = new Saga({ kernel, name: 'hang', compensationTimeoutMs: 50, retries: 3, retryDelayMs: 1 });
    await saga.step('a', { tool: 'shop.a', run: () => 'a', compensate: (r) => void undone.push(r) });
    await saga.step('b', {
      tool: 'shop.b',
      run: () => 'b',
      compensate: (_r, ctx) => {
        calls++;
        hungSignal = ctx.signal;
        return new Promise(() => undefined); // ignores its signal and never settles
      },
    });
    const started = Date.now();
    const report = await saga.compensate('timeout test');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(report.status).toBe('compensation_failed');
    expect(report.compensations.map((c) => [c.step, c.outcome, c.attempts])).toEqual([['b', 'timed_out', 1], ['a', 'done', 1]]);
    expect(calls).toBe(1);
    expect(hungSignal?.aborted).toBe(true);
    expect(undone).toEqual(['a']);
    expect(sagaTrail(audit)).toContain('saga.compensation.timed_out saga.hang.compensate.b');
  });

  it('an abort mid-saga: the running step gets the abort, no further step starts, the completed ones are undone', async () => {
    const { kernel } = sagaKernel();
    const controller = new AbortController();
    const log: string[] = [];
    const saga = new Saga({ kernel, name: 'abortable', signal: controller.signal });
    await saga.step('a', { tool: 'shop.a', run: () => 'a', compensate: (r) => void log.push(`undo ${r}`) });
    const slow = saga.step('b', {
      tool: 'shop.b',
      run: (_args, ctx) =>
        new Promise<string>((resolve, reject) => {
          setTimeout(() => resolve('b'), 5_000);
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped: ' + String((ctx.signal.reason as Error).message))));
        }),
      compensate: (r) => void log.push(`undo ${r}`),
    });
    setTimeout(() => controller.abort(new Error('operator pressed stop')), 20);
    const error = await rejection(slow);
    expect(error).toMatchObject({ code: 'ERR_AGT_SAGA_ABORTED', step: 'b' });
    expect(error.report).toMatchObject({ status: 'compensated', reason: 'aborted: operator pressed stop' });
    expect(error.report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['a:done', 'b:failed']);
    expect(log).toEqual(['undo a']);
    let ran = false;
    const next = await rejection(saga.step('c', { tool: 'shop.c', run: () => void (ran = true) }));
    expect(next).toMatchObject({ code: 'ERR_AGT_SAGA_ABORTED' });
    expect(ran).toBe(false);
  });

  it('a step that finishes despite the abort (ignoring its signal) within the grace period is undone too', async () => {
    const { kernel } = sagaKernel();
    const controller = new AbortController();
    const log: string[] = [];
    const saga = new Saga({ kernel, name: 'stubborn', signal: controller.signal, compensationTimeoutMs: 1_000 });
    await saga.step('a', { tool: 'shop.a', run: () => 'a', compensate: (r) => void log.push(`undo ${r}`) });
    const b = saga.step('b', { tool: 'shop.b', run: () => new Promise<string>((resolve) => setTimeout(() => resolve('b'), 60)), compensate: (r) => void log.push(`undo ${r}`) });
    setTimeout(() => controller.abort(), 10);
    const error = await rejection(b);
    expect(error.code).toBe('ERR_AGT_SAGA_ABORTED');
    expect(log).toEqual(['undo b', 'undo a']);
    expect(error.report.status).toBe('compensated');
  });

  it('a step still running past the grace period is abandoned (compensation_failed), and undone when it finally finishes', async () => {
    const { kernel, audit } = sagaKernel();
    const log: string[] = [];
    const saga = new Saga({ kernel, name: 'late', compensationTimeoutMs: 30 });
    await saga.step('a', { tool: 'shop.a', run: () => 'a', compensate: (r) => void log.push(`undo ${r}`) });
    const b = saga.step('b', { tool: 'shop.b', run: () => new Promise<string>((resolve) => setTimeout(() => resolve('b'), 150)), compensate: (r) => void log.push(`undo ${r}`) });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const report = await saga.compensate('killed');
    expect(report.status).toBe('compensation_failed');
    expect(report.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['a:done', 'b:abandoned']);
    expect(log).toEqual(['undo a']);
    expect(await rejection(b)).toMatchObject({ code: 'ERR_AGT_SAGA_ABORTED' });
    expect(log).toEqual(['undo a', 'undo b']);
    expect(saga.report()).toMatchObject({ status: 'compensated' });
    expect(sagaTrail(audit)).toEqual(expect.arrayContaining(['saga.step.abandoned saga.late.step.b', 'saga.step.done saga.late.step.b', 'saga.compensation.done saga.late.compensate.b']));
  });

  it('compensate() called concurrently (and again later) runs each compensation once; every caller gets the same report', async () => {
    const { kernel } = sagaKernel();
    let runs = 0;
    const saga = new Saga({ kernel, name: 'once' });
    await saga.step('a', { tool: 'shop.a', run: () => 'a', compensate: () => new Promise<void>((resolve) => setTimeout(() => resolve(void runs++), 20)) });
    const reports = await Promise.all([saga.compensate('kill switch'), saga.compensate('operator'), saga.compensate('signal')]);
    expect(runs).toBe(1);
    expect(new Set(reports).size).toBe(1);
    expect(reports[0]).toMatchObject({ status: 'compensated', reason: 'kill switch' });
    expect(await saga.compensate('again')).toBe(reports[0]);
    expect(runs).toBe(1);
  });

  it('a failing step and a kill racing each other: compensations still run exactly once', async () => {
    const { kernel } = sagaKernel();
    let runs = 0;
    const saga = new Saga({ kernel, name: 'race' });
    await saga.step('a', { tool: 'shop.a', run: () => 'a', compensate: () => void runs++ });
    const failing = saga.step('b', { tool: 'shop.b', run: () => Promise.reject(new Error('boom')) });
    const killed = saga.compensate('kill');
    const [error, report] = await Promise.all([rejection(failing), killed]);
    expect(runs).toBe(1);
    expect(error.report.compensations).toHaveLength(1);
    expect(report.compensations).toHaveLength(1);
  });

  it('a compensation that re-enters its own saga (a step, compensate()) is bounded by its timeout, and the rest still run', async () => {
    const { kernel } = sagaKernel();
    const undone: string[] = [];
    let ran = false;
    const saga: Saga = new Saga({ kernel, name: 'reentrant', compensationTimeoutMs: 50 });
    await saga.step('a', { tool: 'shop.a', run: () => 'a', compensate: (r) => void undone.push(r) });
    await saga.step('b', { tool: 'shop.b', run: () => 'b', compensate: async () => {
      await saga.compensate('again');
      await saga.step('c', { tool: 'shop.c', run: () => void (ran = true) });
    } });
    const report = await saga.compensate('re-entrancy');
    expect(report.compensations.map((c) => [c.step, c.outcome])).toEqual([['b', 'timed_out'], ['a', 'done']]);
    expect(undone).toEqual(['a']);
    expect(ran).toBe(false);
  });

  it('a saga whose signal has already aborted runs no step', async () => {
    const { kernel } = sagaKernel();
    let ran = false;
    const saga = new Saga({ kernel, name: 'dead-on-arrival', signal: AbortSignal.abort(new Error('shutting down')) });
    const error = await rejection(saga.step('a', { tool: 'shop.a', run: () => void (ran = true) }));
    expect(error).toMatchObject({ code: 'ERR_AGT_SAGA_ABORTED' });
    expect(error.report).toMatchObject({ status: 'compensated', reason: 'aborted: shutting down' });
    expect(ran).toBe(false);
  });

  it('steps without a compensation (reads) are skipped when undoing; compensations get the result, the checked args and a reason', async () => {
    const { kernel } = sagaKernel();
    const seen: unknown[] = [];
    const saga = new Saga({ kernel, name: 'reads' });
    const args = { sku: 'A1' };
    await saga.step('look', { tool: 'shop.look', run: () => 'stock: 3' });
    await saga.step('hold', { tool: 'shop.hold', args, run: () => ({ hold: 7 }), compensate: (r, ctx) => void seen.push(r, ctx.args, ctx.reason, ctx.step, ctx.saga, ctx.sagaId) });
    args.sku = 'B2'; // the kernel copied the arguments when it decided
    const report = await saga.compensate('why not');
    expect(seen).toEqual([{ hold: 7 }, { sku: 'A1' }, 'why not', 'hold', 'reads', saga.id]);
    expect(report.compensations.map((c) => c.step)).toEqual(['hold']);
  });
});
