/**
 * The governed calls running right now, with their agents: what a kill switch aborts and waits for.
 * The kernel adds a call when its tool starts and removes it when the tool's own promise settles
 * (not when the caller was answered: a tool that ignores its AbortSignal stays listed until it
 * really ends, so a kill can say it is still running).
 */

/** Why a call was aborted: the error its AbortSignal carries as `reason`. */
export class AgentTerminatedError extends Error {
  override name = 'AgentTerminatedError';
  constructor(readonly agentId: string, readonly why: string) {
    super(`agent '${agentId}' was killed: ${why}`);
  }
}

/** One governed call in flight. */
export class InFlightCall {
  readonly since = Date.now();
  #controller: AbortController | undefined;
  #terminated: AgentTerminatedError | undefined;
  #done = false;
  #waiters: Array<() => void> | undefined;
  /** Set by the runner: told at once when the call is terminated, so its caller is answered without waiting for the tool. */
  onTerminate: (() => void) | undefined;

  constructor(
    readonly agentId: string,
    readonly tool: string,
    readonly callId: string | undefined,
  ) {}

  /**
   * The call's AbortSignal, made on first read (most tools never read it, and an
   * AbortController per call is not free). Read after a kill, it is already aborted.
   */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#terminated) this.#controller.abort(this.#terminated);
    }
    return this.#controller.signal;
  }

  /** Terminated by a kill (its result, whenever it comes, is discarded). */
  get terminated(): AgentTerminatedError | undefined {
    return this.#terminated;
  }

  /** Whether the tool has settled (returned, thrown, or its promise settled). */
  get done(): boolean {
    return this.#done;
  }

  /** Aborts the call for a kill; a second kill changes nothing. */
  terminate(why: string): void {
    if (this.#terminated) return;
    this.#terminated = new AgentTerminatedError(this.agentId, why);
    this.#controller?.abort(this.#terminated);
    this.onTerminate?.();
  }

  /** Resolves when the tool has settled. */
  settled(): Promise<void> {
    if (this.#done) return Promise.resolve();
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  /** Marks the tool settled (called once by the registry). */
  finish(): void {
    this.#done = true;
    if (this.#waiters === undefined) return;
    for (const wake of this.#waiters) wake();
    this.#waiters = undefined;
  }
}

/**
 * The registry of governed calls in flight. One set for all agents (a kill, rare, filters it by
 * agent; a call, frequent, only adds and removes itself: no per-agent bookkeeping on the hot path).
 */
export class InFlightCalls {
  readonly #calls = new Set<InFlightCall>();

  /** Lists a call whose tool is about to start. */
  start(agentId: string, tool: string, callId: string | undefined): InFlightCall {
    const call = new InFlightCall(agentId, tool, callId);
    this.#calls.add(call);
    return call;
  }

  /** Removes a call whose tool has settled. */
  finish(call: InFlightCall): void {
    this.#calls.delete(call);
    call.finish();
  }

  /** The calls of `agentId` still running, oldest first. */
  of(agentId: string): InFlightCall[] {
    const calls: InFlightCall[] = [];
    for (const call of this.#calls) if (call.agentId === agentId) calls.push(call);
    return calls;
  }

  /** How many calls are in flight, all agents together (for tests and metrics). */
  get size(): number {
    return this.#calls.size;
  }
}
