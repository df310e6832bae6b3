import { checkTransition, TARGET_STATE, type AgentState, type IllegalTransition, type LifecycleCommand } from '../execution/lifecycle/agent-state.js';

/**
 * Where agents' lifecycle states live. Every transition is one atomic step that checks the
 * current state, writes the new one and appends an event numbered by a generation that only
 * grows: a reader that knows the generation it last saw learns exactly what changed since, so
 * the standing guard keeps a cache and asks the store only "has the generation moved?". The
 * memory store serves one process; the SQLite store (./sqlite-lifecycle-store.ts) every process
 * on the machine.
 */
export interface LifecycleStore {
  /** The generation of the newest transition (0 before any). Throws when the store cannot be read. */
  generation(): number;
  /** Every agent with a recorded state, and the generation they are as of. Throws when the store cannot be read. */
  read(): LifecycleSnapshot;
  /** The transitions after `generation`, oldest first. Throws when the store cannot be read. */
  since(generation: number): LifecycleTransition[];
  /**
   * Moves `agentId` by `command` in one atomic, durable step, if legal from its current state
   * (an agent never recorded counts as `active` when `unseenIsActive`). Returns the transition
   * written, or why it is illegal. Throws when the store cannot be written.
   */
  apply(agentId: string, command: LifecycleCommand, note: TransitionNote, unseenIsActive: boolean): LifecycleTransition | IllegalTransition;
  /**
   * Null while the store is usable; otherwise why not (deleted, replaced, read-only, locked,
   * corrupt). Cheap enough to ask every few milliseconds.
   */
  health(): string | null;
  /** Releases the store (a file handle). */
  close(): void;
}

/** Who moved an agent, and why. */
export interface TransitionNote {
  readonly reason: string;
  /** Who asked (an operator, a program). */
  readonly by: string;
  /** The human who approved a transition that needs one (resume, release, activate); null otherwise. */
  readonly approvedBy: string | null;
  /** Epoch ms. */
  readonly at: number;
}

/** An agent's recorded state. */
export interface StandingRecord {
  readonly state: AgentState;
  /** Epoch ms of the transition that put it there. */
  readonly since: number;
  readonly reason: string;
  readonly by: string;
}

/** Every recorded agent as of one generation. */
export interface LifecycleSnapshot {
  readonly generation: number;
  readonly agents: ReadonlyMap<string, StandingRecord>;
}

/** One transition, as recorded. */
export interface LifecycleTransition extends TransitionNote {
  readonly ok: true;
  readonly agentId: string;
  /** Null when the agent was never recorded before (registration, or an unseen agent acted on). */
  readonly from: AgentState | null;
  readonly to: AgentState;
  readonly command: LifecycleCommand;
  readonly generation: number;
}

/**
 * A store that could not be opened (a corrupt or unwritable file): it answers every read with
 * the reason, so the standing guard denies every call instead of the process failing to start.
 */
export class BrokenLifecycleStore implements LifecycleStore {
  constructor(private readonly reason: string) {}
  generation(): number {
    throw new Error(this.reason);
  }
  read(): LifecycleSnapshot {
    throw new Error(this.reason);
  }
  since(): LifecycleTransition[] {
    throw new Error(this.reason);
  }
  apply(): LifecycleTransition | IllegalTransition {
    throw new Error(this.reason);
  }
  health(): string | null {
    return this.reason;
  }
  close(): void {}
}

/** Transitions the memory store keeps for {@link LifecycleStore.since}; its one reader catches up at once. */
const MEMORY_EVENTS_KEPT = 1_000;

/** Lifecycle states in this process's memory. */
export class MemoryLifecycleStore implements LifecycleStore {
  readonly #agents = new Map<string, StandingRecord>();
  readonly #events: LifecycleTransition[] = [];
  #generation = 0;

  generation(): number {
    return this.#generation;
  }

  read(): LifecycleSnapshot {
    return { generation: this.#generation, agents: new Map(this.#agents) };
  }

  since(generation: number): LifecycleTransition[] {
    return this.#events.filter((event) => event.generation > generation);
  }

  apply(agentId: string, command: LifecycleCommand, note: TransitionNote, unseenIsActive: boolean): LifecycleTransition | IllegalTransition {
    const legal = checkTransition(agentId, this.#agents.get(agentId)?.state, command, unseenIsActive);
    if (!legal.ok) return legal;
    const to = TARGET_STATE[command];
    this.#agents.set(agentId, { state: to, since: note.at, reason: note.reason, by: note.by });
    const transition: LifecycleTransition = { ok: true, agentId, from: legal.from, to, command, generation: ++this.#generation, ...note };
    this.#events.push(transition);
    if (this.#events.length > MEMORY_EVENTS_KEPT) this.#events.shift();
    return transition;
  }

  health(): string | null {
    return null;
  }

  close(): void {}
}
