import type { Lifecycle } from './lifecycle/lifecycle.js';
import type { KillReport, KillSwitch } from './kill-switch.js';

/** The lifecycles each kill switch already listens to. */
const joined = new WeakMap<KillSwitch, WeakSet<Lifecycle>>();

/**
 * Joins the two halves of a kill: the lifecycle (the state every process shares, which denies
 * the agent's next call) and the kill switch (what this process has running for the agent).
 * When the lifecycle sees an agent terminated, by a kill in this process or by `agt agent kill`
 * in another, this process aborts the agent's calls in flight, rejects its pending approvals and
 * runs its compensations. Each kill switch is joined to a lifecycle once, however many kernels
 * share the pair (a Governance's, or `govern()` tools given one lifecycle); the first to join
 * records the kills it sees.
 */
export function stopInFlightOnKill(lifecycle: Lifecycle, killSwitch: KillSwitch, onReport: (report: KillReport) => void): void {
  const lifecycles = joined.get(killSwitch) ?? new WeakSet<Lifecycle>();
  if (lifecycles.has(lifecycle)) return;
  lifecycles.add(lifecycle);
  joined.set(killSwitch, lifecycles);
  lifecycle.onTransition((event) => {
    if (event.to !== 'terminated') return;
    // A kill already running in this process (Kernel.kill) is joined, not repeated.
    void killSwitch.kill(event.agentId, { reason: event.reason || 'terminated', by: event.by || 'another process' }, onReport).catch(() => undefined);
  });
}

/**
 * A kill made in this process: this process's calls in flight are stopped with the caller's
 * options (a bad id or option throws at once, before anything is done), and the terminated state
 * is written to the lifecycle, so every process denies the agent's next call and the kill
 * survives a restart. A lifecycle that cannot record it does not stop the in-process kill; the
 * report then says the kill is not complete.
 */
export function killEverywhere(lifecycle: Lifecycle | null, agentId: string, options: { reason?: string; by?: string }, kill: () => Promise<KillReport>): Promise<KillReport> {
  const killing = kill();
  if (!lifecycle) return killing;
  const persisted = lifecycle.kill(agentId, { ...(options.reason !== undefined ? { reason: options.reason } : {}), ...(options.by !== undefined ? { by: options.by } : {}) });
  return Promise.all([killing, persisted]).then(([report, written]) => {
    if (!written.ok && written.code !== 'already') report.terminated = false;
    return report;
  });
}
