/**
 * The approvals the kernel is asking its approval handler for right now, by agent: a kill
 * answers them "denied" at once instead of letting a human's (possibly late) "yes" through, or
 * keeping the killed agent's caller waiting for minutes.
 */
import type { ApprovalOutcome } from './approvals.js';

/** An approval's outcome; `killed` when a kill answered it rather than the handler. */
export type WaitOutcome = ApprovalOutcome & { killed?: true };

interface Waiting {
  /** The held call's id, when the approval is also kept in HeldCalls (a kill settles those itself). */
  readonly callId: string | undefined;
  readonly cancel: (reason: string) => void;
}

/** Approval handler calls in progress, each cancellable by a kill of its agent. */
export class ApprovalWaits {
  readonly #byAgent = new Map<string, Set<Waiting>>();

  /** The handler's answer, or a denial as soon as `agentId` is killed, whichever comes first. */
  async wait(agentId: string, callId: string | undefined, asking: Promise<ApprovalOutcome>): Promise<WaitOutcome> {
    let cancel!: (reason: string) => void;
    const killed = new Promise<WaitOutcome>((resolve) => {
      cancel = (reason) => resolve({ approved: false, reason: `agent killed: ${reason}`, killed: true });
    });
    const waiting: Waiting = { callId, cancel };
    let set = this.#byAgent.get(agentId);
    if (!set) this.#byAgent.set(agentId, (set = new Set()));
    set.add(waiting);
    try {
      return await Promise.race([asking, killed]);
    } finally {
      set.delete(waiting);
      if (set.size === 0 && this.#byAgent.get(agentId) === set) this.#byAgent.delete(agentId);
    }
  }

  /**
   * Answers every approval `agentId` waits for with a denial. Returns how many were answered,
   * not counting those whose call id is in `counted` (already settled, and counted, elsewhere).
   */
  rejectAll(agentId: string, reason: string, counted: ReadonlySet<string>): number {
    let answered = 0;
    for (const waiting of this.#byAgent.get(agentId) ?? []) {
      waiting.cancel(reason);
      if (waiting.callId === undefined || !counted.has(waiting.callId)) answered++;
    }
    return answered;
  }
}
