import { describe, expect, it } from 'vitest';
import { Saga } from '../../src/execution/saga/index.js';
import { sagaKernel } from './saga/saga-kernel.js';

// The saga and the real kill switch together: a kill aborts the step running now (the kernel's
// run signal reaches it), and the saga, registered in the kill switch's compensations, undoes
// its completed steps in reverse as part of the kill.

describe('kill(): a running saga', () => {
  it('aborts the step in flight, compensates the completed ones in reverse, and reports the saga done', async () => {
    const { kernel } = sagaKernel();
    const undone: string[] = [];
    const saga = new Saga({ kernel, name: 'order', agent: 'shop-bot', compensations: kernel.killSwitch.compensations });
    await saga.step('reserve', { tool: 'shop.a', run: () => 'reserved', compensate: (r: string) => void undone.push(`un-${r}`) });
    await saga.step('charge', { tool: 'shop.b', run: () => 'charged', compensate: (r: string) => void undone.push(`un-${r}`) });
    let stepSignal: AbortSignal | undefined;
    const shipping = saga.step('ship', {
      tool: 'shop.c',
      run: (_args: unknown, { signal }: { signal: AbortSignal }) =>
        new Promise((_, reject) => {
          stepSignal = signal;
          signal.addEventListener('abort', () => reject(signal.reason as Error));
        }),
    });
    shipping.catch(() => undefined);
    const deadline = Date.now() + 2_000;
    while (stepSignal === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));

    const report = await kernel.kill('shop-bot', { reason: 'fraud', graceMs: 1_000 });
    expect(stepSignal?.aborted).toBe(true);
    expect(report).toMatchObject({ terminated: true, aborted: 1, compensations: [{ name: `saga order (${saga.id})`, outcome: 'done' }] });
    expect(undone).toEqual(['un-charged', 'un-reserved']);
    await expect(shipping).rejects.toBeDefined();
    expect(saga.report().status).toBe('compensated');
    expect(kernel.killSwitch.compensations.count('shop-bot')).toBe(0);
  });
});
