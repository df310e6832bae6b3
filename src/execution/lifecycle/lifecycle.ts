import type { AuditLog } from '../../audit/audit-log.js';
import { describeError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { ApprovalHandler } from '../../kernel/approvals.js';
import { MemoryLifecycleStore, type LifecycleStore, type LifecycleTransition, type StandingRecord } from '../../state/lifecycle-store.js';
import { NEEDS_HUMAN, type AgentState, type LifecycleCommand } from './agent-state.js';
import { askForTransition, recordTransition } from './transition-record.js';

/** How often a process that shares a SQLite store looks for other processes' transitions. */
export const DEFAULT_POLL_INTERVAL_MS = 20;
/** A call made when the last look is older than this looks first (a busy event loop starves timers). */
export const DEFAULT_STALE_AFTER_MS = 50;

/** How a {@link Lifecycle} stores, records and polls. */
export interface LifecycleOptions {
  /** Where states live; default this process's memory. Give a SqliteLifecycleStore to share them. */
  readonly store?: LifecycleStore;
  /** True: an agent never registered may not act (`lifecycle:unregistered`). Default false: an unseen agent is active. */
  readonly requireRegistration?: boolean;
  /**
   * Where every transition is recorded (who, from, to, reason): the ones made here, and the ones
   * another process made, when this one first sees them.
   */
  readonly audit?: AuditLog | null;
  /** Asked before a programmatic resume, release or activation; without one such calls are refused. */
  readonly approvals?: ApprovalHandler;
  readonly clock?: Clock;
  /** Default {@link DEFAULT_POLL_INTERVAL_MS}. */
  readonly pollIntervalMs?: number;
  /** Default {@link DEFAULT_STALE_AFTER_MS}. */
  readonly staleAfterMs?: number;
}

/** What a transition asks for beyond the agent and command. */
export interface TransitionRequest {
  readonly reason?: string;
  /** Who asks; default `api`. */
  readonly by?: string;
  /** The human who approved a resume, release or activation (required for those). */
  readonly approvedBy?: string;
  /**
   * Set only by the agt CLI, where a person typed the command: that is the human act, so the
   * approval handler is not asked. A program must not set it.
   */
  readonly operatorAct?: boolean;
}

/**
 * A transition done, or refused with why: `already` (the agent is already there: nothing to do),
 * `illegal` (not from this state), `needs_human`, `store` (could not be written).
 */
export type TransitionResult = LifecycleTransition | { readonly ok: false; readonly code: 'already' | 'illegal' | 'needs_human' | 'store'; readonly message: string };

/** A transition as listeners see it: also whether it happened in this process or was seen from another. */
export interface TransitionEvent extends LifecycleTransition {
  readonly origin: 'this-process' | 'another-process';
}

/** Where an agent stands for the standing guard: may act, or the state (or store failure) that stops it. */
export type Standing =
  | { readonly kind: 'active' }
  | { readonly kind: 'stopped'; readonly state: Exclude<AgentState, 'active'> | 'unregistered'; readonly record: StandingRecord | null }
  | { readonly kind: 'failed'; readonly message: string };

const ACTIVE: Standing = Object.freeze({ kind: 'active' });

/**
 * The lifecycle of a deployment's agents: their states, the legal moves between them, and a
 * cached view the standing guard reads on every call for the price of a Map lookup. The cache
 * is kept current by the generation the store stamps on every transition: a transition made
 * here updates it at once; one made by another process (`agt agent kill`) is seen by a timer
 * every {@link DEFAULT_POLL_INTERVAL_MS} ms, or by the next call when the timer has not run for
 * {@link DEFAULT_STALE_AFTER_MS} ms. A store that cannot be read makes every standing answer
 * `failed` (the guard denies) until it can.
 */
export class Lifecycle {
  readonly #store: LifecycleStore;
  readonly #unseenIsActive: boolean;
  readonly #audit: AuditLog | null;
  readonly #approvals: ApprovalHandler | undefined;
  readonly #clock: Clock;
  readonly #staleAfterMs: number;
  readonly #shared: boolean;
  readonly #listeners = new Set<(event: TransitionEvent) => void>();
  #agents = new Map<string, StandingRecord>();
  #generation = 0;
  #failure: string | null = null;
  #loaded = false;
  #checkedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: LifecycleOptions = {}) {
    this.#store = options.store ?? new MemoryLifecycleStore();
    this.#shared = options.store !== undefined && !(options.store instanceof MemoryLifecycleStore);
    this.#unseenIsActive = options.requireRegistration !== true;
    this.#audit = options.audit ?? null;
    this.#approvals = options.approvals;
    this.#clock = options.clock ?? systemClock;
    this.#staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.#reload();
    if (this.#shared) {
      this.#timer = setInterval(() => this.#poll(), options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
      this.#timer.unref(); // the poll never keeps a process alive
    }
  }

  /**
   * Where `agentId` stands now: the hot path of the standing guard. A Map lookup, plus (for a
   * shared store whose timer has not run lately) one look at the store's generation.
   */
  standing(agentId: string): Standing {
    if (this.#shared && performance.now() - this.#checkedAt > this.#staleAfterMs) this.#poll();
    if (this.#failure !== null) return { kind: 'failed', message: this.#failure };
    const record = this.#agents.get(agentId);
    if (record === undefined) return this.#unseenIsActive ? ACTIVE : { kind: 'stopped', state: 'unregistered', record: null };
    return record.state === 'active' ? ACTIVE : { kind: 'stopped', state: record.state, record };
  }

  /** The recorded state of `agentId` (undefined: never recorded), as of the last look at the store. */
  stateOf(agentId: string): StandingRecord | undefined {
    return this.#agents.get(agentId);
  }

  /** Every recorded agent, as of the last look at the store. */
  list(): ReadonlyMap<string, StandingRecord> {
    return new Map(this.#agents);
  }

  /** Why the store cannot be used now (every standing answer is then `failed`), or null. */
  get failure(): string | null {
    return this.#failure;
  }

  /** Whether an agent never recorded may act (false when the deployment requires registration). */
  get unseenIsActive(): boolean {
    return this.#unseenIsActive;
  }

  /**
   * Calls `listener` for every transition: made here, or seen from another process by the poll
   * (the kill switch aborts in-flight calls on `terminated`). Returns the unsubscribe function.
   * A listener that throws is ignored: it cannot stop the others, nor the transition.
   */
  onTransition(listener: (event: TransitionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** `kill`: terminated, final. Every further call of the agent is denied. */
  kill(agentId: string, request: TransitionRequest = {}): Promise<TransitionResult> {
    return this.transition(agentId, 'kill', request);
  }
  /** `suspend`: every call denied until a human resumes it. */
  suspend(agentId: string, request: TransitionRequest = {}): Promise<TransitionResult> {
    return this.transition(agentId, 'suspend', request);
  }
  /** `resume` a suspended agent: needs `approvedBy` (and the approval handler's yes). */
  resume(agentId: string, request: TransitionRequest = {}): Promise<TransitionResult> {
    return this.transition(agentId, 'resume', request);
  }
  /** `quarantine`: only the policy's quarantine allow-list runs until a human releases it. */
  quarantine(agentId: string, request: TransitionRequest = {}): Promise<TransitionResult> {
    return this.transition(agentId, 'quarantine', request);
  }
  /** `release` a quarantined agent: needs `approvedBy` (and the approval handler's yes). */
  release(agentId: string, request: TransitionRequest = {}): Promise<TransitionResult> {
    return this.transition(agentId, 'release', request);
  }

  /**
   * Moves `agentId` by `command`, durably, and records it in the audit log. A resume, release or
   * activation needs a human: `approvedBy`, and then the approval handler's 'approved' (an
   * operator at the CLI is that human: `operatorAct`). Never rejects.
   */
  async transition(agentId: string, command: LifecycleCommand, request: TransitionRequest = {}): Promise<TransitionResult> {
    if (typeof agentId !== 'string' || agentId === '') return { ok: false, code: 'illegal', message: 'an agent id is a non-empty string' };
    const reason = typeof request.reason === 'string' && request.reason !== '' ? request.reason : 'no reason given';
    const by = typeof request.by === 'string' && request.by !== '' ? request.by : 'api';
    let approvedBy: string | null = null;
    if (NEEDS_HUMAN.has(command)) {
      if (typeof request.approvedBy !== 'string' || request.approvedBy.trim() === '') {
        return { ok: false, code: 'needs_human', message: `${command} of agent ${agentId} needs a human: pass approvedBy (an operator runs agt agent ${command} ${agentId})` };
      }
      approvedBy = request.approvedBy;
      if (request.operatorAct !== true) {
        const answer = await askForTransition(this.#approvals, agentId, command, reason, approvedBy);
        if (!answer.approved) return { ok: false, code: 'needs_human', message: `${command} of agent ${agentId} was not approved: ${answer.reason}` };
      }
    }
    let result;
    try {
      result = this.#store.apply(agentId, command, { reason, by, approvedBy, at: this.#clock() }, this.#unseenIsActive);
    } catch (error) {
      return { ok: false, code: 'store', message: `the lifecycle store could not record ${command} of agent ${agentId}: ${describeError(error)}` };
    }
    if (!result.ok) return { ok: false, code: result.already ? 'already' : 'illegal', message: result.message };
    recordTransition(this.#audit, result);
    this.#catchUp(result.generation);
    return result;
  }

  /** Stops the poll and closes the store. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#store.close();
  }

  /** Looks at the store: its health, then whether its generation moved. Never throws. */
  #poll(): void {
    if (this.#closed) return;
    this.#checkedAt = performance.now();
    try {
      const unhealthy = this.#store.health();
      if (unhealthy !== null) {
        this.#failure = unhealthy;
        return;
      }
      if (!this.#loaded) {
        this.#reload(); // never read (it could not be opened): read it whole, no history replayed
        return;
      }
      // Readable again after a failure: everything since the last generation seen is caught up (and heard).
      this.#failure = null;
      if (this.#store.generation() !== this.#generation) this.#catchUp();
    } catch (error) {
      this.#failure = storeFailure(error);
    }
  }

  /** Applies the transitions after the cached generation, emitting each (`own` is this process's). */
  #catchUp(own?: number): void {
    try {
      for (const event of this.#store.since(this.#generation)) {
        this.#agents.set(event.agentId, { state: event.to, since: event.at, reason: event.reason, by: event.by });
        this.#generation = event.generation;
        const origin = event.generation === own ? 'this-process' : 'another-process';
        // Another process's move (the CLI writes none: an audit store has one appender) goes into
        // this process's log as it is seen, before this process acts on it.
        if (origin === 'another-process') recordTransition(this.#audit, event, 'seen from another process');
        this.#emit({ ...event, origin });
      }
    } catch (error) {
      this.#failure = storeFailure(error);
    }
  }

  #reload(): void {
    try {
      this.#failure = this.#store.health();
      if (this.#failure === null) {
        const snapshot = this.#store.read();
        this.#agents = new Map(snapshot.agents);
        this.#generation = snapshot.generation;
        this.#loaded = true;
      }
    } catch (error) {
      this.#failure = storeFailure(error);
    }
    this.#checkedAt = performance.now();
  }

  #emit(event: TransitionEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: the transition happened, and the others still hear of it.
      }
    }
  }
}

function storeFailure(error: unknown): string {
  const message = describeError(error).split('\n')[0] ?? 'unknown error';
  if (/SQLITE_BUSY|database is locked/i.test(message)) return `the lifecycle store is locked by another process (${message}); agents' states cannot be read`;
  if (/SQLITE_CORRUPT|SQLITE_NOTADB|malformed|not a database/i.test(message)) return `the lifecycle store is corrupt (${message}); restore it from a backup`;
  return `the lifecycle store cannot be read: ${message}`;
}
