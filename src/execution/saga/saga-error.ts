import { GovernanceError } from '../../core/errors.js';
import type { Decision } from '../../core/types.js';
import type { SagaReport } from './report.js';

/** The codes a {@link SagaError} carries; stable, so callers branch on them (never on the message). */
export type SagaErrorCode = 'ERR_AGT_SAGA_STEP_FAILED' | 'ERR_AGT_SAGA_STEP_DENIED' | 'ERR_AGT_SAGA_ABORTED' | 'ERR_AGT_SAGA_CLOSED';

/**
 * A saga stopped. Thrown by {@link Saga.step} once the compensations have run (never before), so
 * `report` is final: it says what was undone and what could not be. `ERR_AGT_SAGA_CLOSED` (a
 * step or completion asked of a saga that has already ended) carries the report as it stands.
 */
export class SagaError extends GovernanceError {
  override name = 'SagaError';
  declare readonly code: SagaErrorCode;
  constructor(
    code: SagaErrorCode,
    message: string,
    /** What the saga did, compensations included. */
    readonly report: SagaReport,
    /** The step that stopped the saga, or null when none did (aborted between steps, closed). */
    readonly step: string | null = null,
    /** The refusal that denied the step (`ERR_AGT_SAGA_STEP_DENIED`). */
    readonly decision: Decision | null = null,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
