/** Sagas: governed multi-step tasks whose completed steps are undone, in reverse, when one fails. */
export { Saga } from './saga.js';
export { SagaError, type SagaErrorCode } from './saga-error.js';
export { SAGA_NAME, DEFAULT_SAGA_RETRIES, DEFAULT_SAGA_RETRY_DELAY_MS, DEFAULT_SAGA_COMPENSATION_TIMEOUT_MS } from './options.js';
export type { SagaOptions, SagaStep, StepContext, CompensationContext, SagaKernel, CompensationRegistry, StepToProve } from './options.js';
export type { SagaReport, SagaStatus, SagaStepReport, SagaStepStatus, CompensationReport, CompensationOutcome } from './report.js';
export { unfinishedSagas, type UnfinishedSaga } from './unfinished.js';
