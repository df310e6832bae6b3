import { describe, expect, it } from 'vitest';
import { GovernanceConfigError } from '../../../src/core/errors.js';
import { Saga, type CompensationRegistry } from '../../../src/execution/saga/index.js';
import { sagaKernel } from './saga-kernel.js';

// A saga registers itself with the kill switch's compensation registry while it runs. The
// registry here has the kill switch's contract (register → unregister; a kill takes the agent's
// compensations, newest first, and runs each once); the kill switch itself is merged separately.

class Registry implements CompensationRegistry {
  readonly byAgent = new Map<string, { name: string; compensate: (signal: AbortSignal) => Promise<void> }[]>();
  register(agentId: string, name: string, compensate: (signal: AbortSignal) => Promise<void>): () => void {
    const entry = { name, compensate };
    this.byAgent.set(agentId, [...(this.byAgent.get(agentId) ?? []), entry]);
    return () => this.byAgent.set(agentId, (this.byAgent.get(agentId) ?? []).filter((e) => e !== entry));
  }
  async kill(agentId: string): Promise<{ name: string; outcome: string }[]> {
    const list = (this.byAgent.get(agentId) ?? []).reverse();
    this.byAgent.delete(agentId);
    const results = [];
    for (const { name, compensate } of list) {
      results.push(await compensate(new AbortController().signal).then(() => ({ name, outcome: 'done' }), (e: unknown) => ({ name, outcome: `failed: ${(e as Error).message}` })));
    }
    return results;
  }
}

describe('Saga and the kill switch', () => {
  it("killing the agent compensates its running sagas (not a completed one, not another agent's) and ends them", async () => {
    const { kernel } = sagaKernel();
    const registry = new Registry();
    const undone: string[] = [];
    const step = (id: string) => ({ tool: 'shop.a', run: () => id, compensate: (r: string) => void undone.push(r) });
    const first = new Saga({ kernel, name: 'first', agent: 'shop-bot', compensations: registry });
    const done = new Saga({ kernel, name: 'done', agent: 'shop-bot', compensations: registry });
    const second = new Saga({ kernel, name: 'second', agent: 'shop-bot', compensations: registry });
    const other = new Saga({ kernel, name: 'other', agent: 'other-bot', compensations: registry });
    await first.step('a', step('first-a'));
    await done.step('a', step('done-a'));
    await done.complete();
    await second.step('a', step('second-a'));
    await second.step('b', step('second-b'));
    await other.step('a', step('other-a'));
    expect(registry.byAgent.get('shop-bot')?.map((e) => e.name)).toEqual([`saga first (${first.id})`, `saga second (${second.id})`]);

    const results = await registry.kill('shop-bot');
    expect(results.map((r) => r.outcome)).toEqual(['done', 'done']);
    expect(undone).toEqual(['second-b', 'second-a', 'first-a']);
    expect(second.report()).toMatchObject({ status: 'compensated', reason: 'agent shop-bot killed' });
    expect(await second.step('c', step('second-c')).catch((e: unknown) => e)).toMatchObject({ code: 'ERR_AGT_SAGA_ABORTED' });
    expect(other.report().status).toBe('running');
    expect(registry.byAgent.get('other-bot')).toHaveLength(1);
  });

  it('a saga that could not undo every step fails its kill compensation, so the kill does not report it done', async () => {
    const { kernel } = sagaKernel();
    const registry = new Registry();
    const saga = new Saga({ kernel, name: 'stuck', agent: 'shop-bot', compensations: registry, retries: 0 });
    await saga.step('a', { tool: 'shop.a', run: () => 1, compensate: () => Promise.reject(new Error('refund API down')) });
    const [result] = await registry.kill('shop-bot');
    expect(result?.outcome).toMatch(/^failed: saga 'stuck' .* could not undo every step: compensations: a failed/);
  });

  it('a saga compensated for another reason leaves the registry (a later kill does not run it again)', async () => {
    const { kernel } = sagaKernel();
    const registry = new Registry();
    let runs = 0;
    const saga = new Saga({ kernel, name: 'gone', agent: 'shop-bot', compensations: registry });
    await saga.step('a', { tool: 'shop.a', run: () => 1, compensate: () => void runs++ });
    await saga.compensate('cancelled');
    expect(registry.byAgent.get('shop-bot')).toEqual([]);
    expect(await registry.kill('shop-bot')).toEqual([]);
    expect(runs).toBe(1);
  });

  it('a registry needs the agent it is for, and a register method', () => {
    const { kernel } = sagaKernel();
    expect(() => new Saga({ kernel, name: 'x', compensations: new Registry() })).toThrow(GovernanceConfigError);
    expect(() => new Saga({ kernel, name: 'x', compensations: new Registry() })).toThrow(/needs options\.agent/);
    expect(() => new Saga({ kernel, name: 'x', agent: 'a', compensations: {} as CompensationRegistry })).toThrow(/register\(agentId, name, compensate\)/);
  });
});
