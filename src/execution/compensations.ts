/**
 * Compensations: work that undoes what an agent has done, registered while it works (a saga
 * registers one per step) and run when the agent is killed. Each runs with a timeout and an
 * AbortSignal that aborts at it; none can keep a kill waiting longer than that.
 */
import { describeError, GovernanceConfigError } from '../core/errors.js';

/** Undoes something; `signal` aborts when its time is up. */
export type Compensation = (signal: AbortSignal) => Promise<void> | void;

/** How one compensation ended. */
export interface CompensationResult {
  name: string;
  outcome: 'done' | 'failed' | 'timed_out';
  /** What it threw (`failed`), or how long it was given (`timed_out`). */
  error?: string;
}

interface Registered {
  readonly name: string;
  readonly compensate: Compensation;
}

/** Compensations by agent id, in the order they were registered. */
export class Compensations {
  readonly #byAgent = new Map<string, Registered[]>();

  /**
   * Registers `compensate` to run if `agentId` is killed. Returns the function that unregisters
   * it (call it once the work no longer needs undoing, e.g. when a saga completes).
   */
  register(agentId: string, name: string, compensate: Compensation): () => void {
    if (typeof agentId !== 'string' || agentId === '') throw new GovernanceConfigError('compensations.register(agentId, name, compensate): agentId must be a non-empty string (the agent whose kill runs it)');
    if (typeof name !== 'string' || name === '') throw new GovernanceConfigError(`compensations.register('${agentId}', name, compensate): name must be a non-empty string (it names the compensation in the kill report)`);
    if (typeof compensate !== 'function') throw new GovernanceConfigError(`compensations.register('${agentId}', '${name}', compensate): compensate must be a function (signal) => Promise<void>`);
    const entry: Registered = { name, compensate };
    const list = this.#byAgent.get(agentId) ?? [];
    list.push(entry);
    this.#byAgent.set(agentId, list);
    return () => {
      const current = this.#byAgent.get(agentId);
      const at = current?.indexOf(entry) ?? -1;
      if (!current || at < 0) return;
      current.splice(at, 1);
      if (current.length === 0) this.#byAgent.delete(agentId);
    };
  }

  /** Takes the compensations of `agentId` (each runs once), newest first: undo in reverse. */
  take(agentId: string): Registered[] {
    const list = this.#byAgent.get(agentId) ?? [];
    this.#byAgent.delete(agentId);
    return list.reverse();
  }

  /** How many compensations `agentId` has registered. */
  count(agentId: string): number {
    return this.#byAgent.get(agentId)?.length ?? 0;
  }
}

/**
 * Runs compensations one after the other (newest first, as {@link Compensations.take} orders
 * them: a later step may depend on an earlier one still being in place), each given at most
 * `timeoutMs`. Never throws.
 */
export async function runCompensations(list: readonly Registered[], timeoutMs: number): Promise<CompensationResult[]> {
  const results: CompensationResult[] = [];
  for (const { name, compensate } of list) results.push(await runOne(name, compensate, timeoutMs));
  return results;
}

async function runOne(name: string, compensate: Compensation, timeoutMs: number): Promise<CompensationResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed_out'>((resolve) => {
    timer = setTimeout(() => resolve('timed_out'), timeoutMs);
  });
  try {
    const answer = await Promise.race([Promise.resolve().then(() => compensate(controller.signal)), timeout]);
    if (answer === 'timed_out') {
      controller.abort(new Error(`compensation '${name}' timed out after ${timeoutMs} ms`));
      return { name, outcome: 'timed_out', error: `did not finish within ${timeoutMs} ms` };
    }
    return { name, outcome: 'done' };
  } catch (thrown) {
    return { name, outcome: 'failed', error: describeError(thrown) };
  } finally {
    clearTimeout(timer);
  }
}
