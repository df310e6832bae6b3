/**
 * The kill switch: stops an agent now. It marks the agent killed (every further call is denied),
 * aborts its governed calls in flight, rejects its approvals waiting for a human, runs its
 * compensations with a timeout, and reports whether all of that happened. One switch may serve
 * several kernels (a Governance shares one): calls and approvals of every kernel attached to it
 * are stopped together.
 */
import { GovernanceConfigError } from '../core/errors.js';
import { Compensations, runCompensations, type CompensationResult } from './compensations.js';
import { InFlightCalls } from './in-flight.js';

/** How a kill proceeds. */
export interface KillOptions {
  /** Why the agent is killed: recorded, and the reason its calls and approvals are refused with. Default `killed`. */
  reason?: string;
  /** Who asked for the kill (an operator, a monitor): recorded. Default `unspecified`. */
  by?: string;
  /** How long in-flight calls get to settle once aborted. Default 2000 ms. */
  graceMs?: number;
  /** How long each compensation may run. Default 10000 ms. */
  compensationTimeoutMs?: number;
}

/** A governed call that had not settled when the kill gave up waiting for it. */
export interface StillRunning {
  callId?: string;
  tool: string;
  /** When the call's tool started (ISO 8601). */
  since: string;
}

/** What a kill did, and what it could not do. */
export interface KillReport {
  agentId: string;
  reason: string;
  by: string;
  /**
   * True only when every in-flight call settled within the grace time, every pending approval
   * was rejected and every compensation finished; otherwise the fields below say what is left.
   */
  terminated: boolean;
  /** In-flight calls aborted. */
  aborted: number;
  /** Pending approvals settled as denied. */
  approvalsRejected: number;
  /** Pending approvals that could not be rejected (each still needs a human's "no"). */
  approvalsFailed: number;
  compensations: CompensationResult[];
  /**
   * Calls still running after the grace time: their tools ignored the AbortSignal and cannot be
   * stopped in-process. Their results are discarded when they come (the caller was already
   * refused with `lifecycle:terminated`).
   */
  stillRunning: StillRunning[];
}

/** Something holding approvals for humans (a kernel): rejects the ones of a killed agent. */
export interface ApprovalHolder {
  rejectApprovalsOf(agentId: string, reason: string): Promise<{ rejected: number; failed: number }>;
}

/** How long in-flight calls get to settle once aborted, unless {@link KillOptions.graceMs} says. */
export const DEFAULT_KILL_GRACE_MS = 2_000;
/** How long each compensation may run, unless {@link KillOptions.compensationTimeoutMs} says. */
export const DEFAULT_COMPENSATION_TIMEOUT_MS = 10_000;
/** Longest grace or compensation timeout a kill accepts: a kill must end. */
export const MAX_KILL_WAIT_MS = 10 * 60 * 1_000;

/** The kill switch of one or more kernels: in-flight calls, compensations and killed agents. */
export class KillSwitch {
  /** Governed calls running now, by agent. */
  readonly inFlight = new InFlightCalls();
  /** What undoes an agent's work when it is killed (sagas register here). */
  readonly compensations = new Compensations();
  readonly #killed = new Set<string>();
  readonly #holders = new Set<ApprovalHolder>();
  readonly #running = new Map<string, Promise<KillReport>>();

  /** Lets a kill reject the approvals `holder` keeps (each kernel attaches itself). */
  attach(holder: ApprovalHolder): void {
    this.#holders.add(holder);
  }

  /**
   * Whether `agentId` was killed: its calls are denied. This in-memory set stands in for the
   * lifecycle store (`state/`, shared by every process), which replaces this one function.
   */
  isKilled(agentId: string): boolean {
    return this.#killed.has(agentId);
  }

  /**
   * Kills `agentId` (see the module's description). Concurrent kills of one agent share one run
   * and one report; `onReport` (the audit record) is called once per run, with the report.
   * Throws GovernanceConfigError for a bad agent id or option, before anything is done.
   */
  kill(agentId: string, options: KillOptions = {}, onReport?: (report: KillReport) => void): Promise<KillReport> {
    const settings = killSettings(agentId, options);
    const running = this.#running.get(agentId);
    if (running) return running;
    const run = this.#kill(agentId, settings)
      .then((report) => {
        onReport?.(report);
        return report;
      })
      .finally(() => this.#running.delete(agentId));
    this.#running.set(agentId, run);
    return run;
  }

  async #kill(agentId: string, settings: Required<KillOptions>): Promise<KillReport> {
    // First: no new call of this agent starts, whatever happens below.
    this.#killed.add(agentId);
    const calls = this.inFlight.of(agentId).filter((call) => !call.terminated);
    for (const call of calls) call.terminate(settings.reason);
    let approvalsRejected = 0;
    let approvalsFailed = 0;
    for (const holder of this.#holders) {
      const answer = await holder.rejectApprovalsOf(agentId, settings.reason).catch(() => ({ rejected: 0, failed: 1 }));
      approvalsRejected += answer.rejected;
      approvalsFailed += answer.failed;
    }
    await settledWithin(this.inFlight.of(agentId), settings.graceMs);
    const compensations = await runCompensations(this.compensations.take(agentId), settings.compensationTimeoutMs);
    const stillRunning = this.inFlight.of(agentId).map((call) => ({ ...(call.callId !== undefined ? { callId: call.callId } : {}), tool: call.tool, since: new Date(call.since).toISOString() }));
    const terminated = stillRunning.length === 0 && approvalsFailed === 0 && compensations.every((c) => c.outcome === 'done');
    return { agentId, reason: settings.reason, by: settings.by, terminated, aborted: calls.length, approvalsRejected, approvalsFailed, compensations, stillRunning };
  }
}

/** Waits until every call has settled, or `ms` have passed. */
async function settledWithin(calls: ReturnType<InFlightCalls['of']>, ms: number): Promise<void> {
  if (calls.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.all(calls.map((call) => call.settled())), timeout]);
  clearTimeout(timer);
}

/** The kill's arguments checked, defaults filled in. */
function killSettings(agentId: string, options: KillOptions): Required<KillOptions> {
  if (typeof agentId !== 'string' || agentId.trim() === '') throw new GovernanceConfigError(`kill(agentId): agentId must be the agent's id (a non-empty string); got ${typeof agentId === 'string' ? JSON.stringify(agentId) : typeof agentId}`);
  if (options === null || typeof options !== 'object') throw new GovernanceConfigError('kill(agentId, options): options must be an object { reason?, by?, graceMs?, compensationTimeoutMs? }');
  const reason = options.reason ?? 'killed';
  const by = options.by ?? 'unspecified';
  if (typeof reason !== 'string' || reason === '') throw new GovernanceConfigError('kill(): options.reason must be a non-empty string (it is recorded and told to refused calls)');
  if (typeof by !== 'string' || by === '') throw new GovernanceConfigError('kill(): options.by must be a non-empty string (who asked for the kill; it is recorded)');
  return { reason, by, graceMs: waitOption('graceMs', options.graceMs, DEFAULT_KILL_GRACE_MS), compensationTimeoutMs: waitOption('compensationTimeoutMs', options.compensationTimeoutMs, DEFAULT_COMPENSATION_TIMEOUT_MS) };
}

function waitOption(field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_KILL_WAIT_MS) {
    throw new GovernanceConfigError(`kill(): options.${field} must be a number of milliseconds from 0 to ${MAX_KILL_WAIT_MS}; got ${typeof value === 'number' ? String(value) : typeof value}`);
  }
  return value;
}
