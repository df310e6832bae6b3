import { describe, expect, it } from 'vitest';
import { GovernanceConfigError } from '../../../src/core/errors.js';
import { Saga, type SagaOptions, type SagaStep } from '../../../src/execution/saga/index.js';
import { rejection, sagaKernel } from './saga-kernel.js';

// Bad input is a clear GovernanceConfigError naming the saga, the step and the field, before
// anything runs; never a TypeError from deep inside, never a step that runs anyway.

const ok: SagaStep = { tool: 'shop.a', run: () => 'a', compensate: () => undefined };

function configError(make: () => unknown): GovernanceConfigError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(GovernanceConfigError);
    return error as GovernanceConfigError;
  }
  throw new Error('expected a GovernanceConfigError');
}

describe('Saga: bad options', () => {
  const { kernel } = sagaKernel();
  it.each([
    [undefined, /needs an object/],
    [{ name: 'x' }, /options\.kernel must be a Kernel/],
    [{ kernel: { handle: () => undefined }, name: 'x' }, /options\.kernel must be a Kernel/],
    [{ kernel, name: '' }, /options\.name must be 1–64 ASCII/],
    [{ kernel, name: 'a.b' }, /options\.name/], // a dot would make saga.<name>.step.<step> ambiguous
    [{ kernel, name: 'оrder' }, /options\.name/], // Cyrillic 'о'
    [{ kernel, name: 'order\u200b' }, /options\.name/], // zero-width space
    [{ kernel, name: 'x'.repeat(65) }, /options\.name/],
    [{ kernel, name: 'x', retries: -1 }, /options\.retries must be a whole number from 0 to 10/],
    [{ kernel, name: 'x', retries: 1.5 }, /options\.retries/],
    [{ kernel, name: 'x', retries: Number.POSITIVE_INFINITY }, /options\.retries/],
    [{ kernel, name: 'x', retries: '3' }, /options\.retries/],
    [{ kernel, name: 'x', retryDelayMs: 1e9 }, /options\.retryDelayMs must be a whole number from 0 to 30000/],
    [{ kernel, name: 'x', compensationTimeoutMs: 0 }, /options\.compensationTimeoutMs must be a whole number from 1 to 600000/],
    [{ kernel, name: 'x', compensationTimeoutMs: Number.NaN }, /options\.compensationTimeoutMs/],
    [{ kernel, name: 'x', signal: { aborted: false } }, /options\.signal must be an AbortSignal/],
    [{ kernel, name: 'x', agent: { ring: 1 } }, /options\.agent must be an agent id/],
  ])('%o is refused: %s', (options, message) => {
    expect(configError(() => new Saga(options as unknown as SagaOptions)).message).toMatch(message);
  });
});

describe('Saga: bad steps', () => {
  it.each([
    ['a step name reused', 'reserve', ok, /a step named 'reserve' was already taken/],
    ['a look-alike by case', 'RESERVE', ok, /already taken \(names are compared ignoring case\)/],
    ['a look-alike by script', 'rеserve', ok, /step name must be 1–64 ASCII/], // Cyrillic 'е'
    ['a non-function compensate', 'undo', { ...ok, compensate: 'release()' }, /'compensate' must be a function/],
    ['a non-function run', 'go', { ...ok, run: null }, /'run' must be a function/],
    ['no tool', 'go', { ...ok, tool: '' }, /'tool' must name the governed tool/],
    ['array args', 'go', { ...ok, args: [1, 2] }, /'args' must be a JSON object/],
    ['no step at all', 'go', null, /the step must be an object/],
  ])('%s is a GovernanceConfigError, and nothing runs', async (_what, name, step, message) => {
    const { kernel, audit } = sagaKernel();
    const saga = new Saga({ kernel, name: 'checks' });
    await saga.step('reserve', ok);
    const before = audit.length;
    let ran = false;
    const guarded = step && typeof step === 'object' && typeof (step as SagaStep).run === 'function' ? { ...step, run: () => void (ran = true) } : step;
    const error = await rejection(saga.step(name, guarded as SagaStep));
    expect(error).toBeInstanceOf(GovernanceConfigError);
    expect(error.message).toMatch(message);
    expect(ran).toBe(false);
    expect(audit.length).toBe(before);
    // The saga is still usable: a mistake in one call does not end it.
    await saga.step('ship', ok);
    expect((await saga.complete()).status).toBe('completed');
  });

  it('a step started while another runs is refused (steps run one at a time, so they undo in reverse)', async () => {
    const { kernel } = sagaKernel();
    const saga = new Saga({ kernel, name: 'serial' });
    const first = saga.step('slow', { tool: 'shop.slow', run: () => new Promise((resolve) => setTimeout(() => resolve('s'), 20)) });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const error = await rejection(saga.step('fast', ok));
    expect(error).toBeInstanceOf(GovernanceConfigError);
    expect(error.message).toMatch(/step 'fast' was started while step 'slow' still runs; await each step/);
    expect(await rejection(saga.complete())).toBeInstanceOf(GovernanceConfigError);
    await first;
    expect((await saga.complete()).steps.map((s) => s.name)).toEqual(['slow']);
  });

  it('two steps started in the same tick: the second is refused before the first has even been recorded', async () => {
    const { kernel } = sagaKernel();
    const saga = new Saga({ kernel, name: 'same-tick' });
    let secondRan = false;
    const first = saga.step('a', ok);
    const second = saga.step('b', { ...ok, run: () => void (secondRan = true) });
    expect(await rejection(second)).toBeInstanceOf(GovernanceConfigError);
    await first;
    expect(secondRan).toBe(false);
    expect((await saga.complete()).steps.map((s) => s.name)).toEqual(['a']);
  });

  it('compensate() while a step is being recorded, before it runs: the step never runs', async () => {
    const { kernel } = sagaKernel();
    const saga = new Saga({ kernel, name: 'pre-run' });
    let ran = false;
    const step = saga.step('a', { ...ok, run: () => void (ran = true) });
    const report = await saga.compensate('stop now');
    expect(await rejection(step)).toMatchObject({ code: 'ERR_AGT_SAGA_ABORTED', step: 'a' });
    expect(ran).toBe(false);
    expect(report.steps).toEqual([expect.objectContaining({ name: 'a', status: 'failed', error: 'the saga was stopped before the step ran' })]);
  });

  it('a step after complete() is ERR_AGT_SAGA_CLOSED, and does not run', async () => {
    const { kernel } = sagaKernel();
    const saga = new Saga({ kernel, name: 'done' });
    await saga.complete();
    let ran = false;
    const error = await rejection(saga.step('late', { ...ok, run: () => void (ran = true) }));
    expect(error).toMatchObject({ code: 'ERR_AGT_SAGA_CLOSED', step: 'late' });
    expect(error.message).toMatch(/saga 'done' has completed: step 'late' does not run; start a new Saga/);
    expect(ran).toBe(false);
  });

  it('a tool name the kernel refuses (a look-alike of an allowed tool) is a denied step, not a crash', async () => {
    const { kernel } = sagaKernel();
    const saga = new Saga({ kernel, name: 'lookalike' });
    let ran = false;
    const error = await rejection(saga.step('drop', { tool: 'db.drоp', run: () => void (ran = true) })); // Cyrillic 'о'
    expect(error.code).toBe('ERR_AGT_SAGA_STEP_DENIED');
    expect(ran).toBe(false);
  });

  it('a compensation that is not a function of the right kind (returns a rejected thenable, throws a non-Error) is a failed compensation', async () => {
    const { kernel } = sagaKernel();
    const saga = new Saga({ kernel, name: 'odd', retries: 1, retryDelayMs: 0 });
    await saga.step('a', { tool: 'shop.a', run: () => 'a', compensate: () => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(Symbol('odd')) }) });
    await saga.step('b', {
      tool: 'shop.b',
      run: () => 'b',
      compensate: () => {
        throw Object.create(null) as Error;
      },
    });
    const report = await saga.compensate(42 as unknown as string);
    expect(report.reason).toBe('42');
    expect(report.compensations.map((c) => [c.step, c.outcome, c.attempts])).toEqual([['b', 'failed', 2], ['a', 'failed', 2]]);
  });
});
