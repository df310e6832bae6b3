/**
 * What a saga tells its caller when it ends: which steps ran, and what became of each
 * compensation. A state as a discriminated string, as cockatiel does, so a caller can `switch`.
 */

/**
 * How a saga ended (or that it has not): `completed` (every step done, compensations dropped),
 * `compensated` (stopped, and every completed step undone), `compensation_failed` (stopped, and at
 * least one completed step could not be undone: an operator must look at `compensations`).
 */
export type SagaStatus = 'running' | 'completed' | 'compensated' | 'compensation_failed';

/**
 * One step as the saga saw it: `done` (ran; its compensation is registered), `failed` (its run
 * threw, so there is nothing of it to undo), `denied` (governance refused it: it never ran, or
 * its output was withheld after it ran, in which case it is undone like a done step),
 * `abandoned` (still running when the saga was compensated, past the grace period: it is undone
 * if and when it finishes).
 */
export type SagaStepStatus = 'running' | 'done' | 'failed' | 'denied' | 'abandoned';

/** One step of a {@link SagaReport}. */
export interface SagaStepReport {
  readonly name: string;
  /** The governed tool the step ran as. */
  readonly tool: string;
  readonly status: SagaStepStatus;
  /**
   * The kernel's last decision on the step's call (find it in the audit log by this id): the
   * post_tool decision on its result when the policy checks results, else the pre_tool one; null
   * when none was made.
   */
  readonly decisionId: string | null;
  /** Why the step failed or was denied, as the caller may read it. */
  readonly error?: string;
}

/**
 * What became of one compensation: `done`, `failed` (threw on every attempt), `timed_out` (did
 * not settle within the per-attempt timeout; not retried, because it may still be running and a
 * second run next to it could undo twice).
 */
export type CompensationOutcome = 'done' | 'failed' | 'timed_out';

/** One compensation of a {@link SagaReport}, in the order they ran (reverse step order). */
export interface CompensationReport {
  readonly step: string;
  readonly outcome: CompensationOutcome;
  /** Attempts made, the first included. */
  readonly attempts: number;
  /** The last attempt's error (full text: the audit log records only its name). */
  readonly error?: string;
  readonly durationMs: number;
}

/** Everything a saga did, as {@link Saga.report} and {@link SagaError.report} give it. */
export interface SagaReport {
  /** The saga's name, as in its audit entries (`saga.<name>.…`). */
  readonly saga: string;
  /** This run's id (UUIDv7), in every audit entry's reason. */
  readonly id: string;
  readonly status: SagaStatus;
  /** Why the saga was compensated (a step failed, a step was denied, aborted, killed); null otherwise. */
  readonly reason: string | null;
  readonly steps: readonly SagaStepReport[];
  readonly compensations: readonly CompensationReport[];
  /** Saga entries the audit log did not take (a locked or failing store); 0 when everything was recorded. */
  readonly unrecorded: number;
}

/** The compensations of a report in one line, for messages and audit reasons. */
export function describeReport(report: SagaReport): string {
  if (report.compensations.length === 0) return 'nothing to compensate';
  return `compensations: ${report.compensations.map((c) => `${c.step} ${c.outcome}`).join(', ')}`;
}
