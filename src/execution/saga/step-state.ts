// A saga's steps as it keeps them while they run, and how a step's call is read once it ends.
import { describeError } from '../../core/errors.js';
import type { Outcome } from '../../kernel/action.js';
import type { SagaStep } from './options.js';
import type { SagaStepStatus } from './report.js';

/** A step as the saga keeps it: its report fields, and what its compensation needs. */
export interface StepState {
  name: string;
  tool: string;
  status: SagaStepStatus;
  decisionId: string | null;
  error?: string;
  /** Set once the step's run returned: the value its compensation receives, and the arguments it ran with. */
  ran?: { result: unknown; args: Readonly<Record<string, unknown>> };
  compensate: SagaStep['compensate'];
}

/** A step's call as it ended: the kernel's outcome, or (never expected) what handle() threw. */
export type StepOutcome = Outcome | { kind: 'threw'; error: unknown };

/** The step running now: how to abort it, and a promise that settles once it has ended and been classified. */
export interface RunningStep {
  step: StepState;
  controller: AbortController;
  settled: Promise<void>;
  settle: () => void;
}

/** How a step's call ended, for the saga: a step whose run returned took effect, whatever came after. */
export function classify(outcome: StepOutcome): SagaStepStatus {
  if (outcome.kind === 'output') return 'done';
  if (outcome.kind === 'refused') return 'denied'; // if it ran (output withheld), `ran` is set and it is undone
  return 'failed';
}

/** Why a step did not succeed, as its caller may read it (the policy's refusal, or the error it let through). */
export function errorText(outcome: StepOutcome): string {
  switch (outcome.kind) {
    case 'refused':
      return outcome.refusal.message;
    case 'failed':
      return `${outcome.error.name}: ${outcome.error.message}`;
    case 'threw':
      return describeError(outcome.error);
    default:
      return `unexpected outcome '${outcome.kind}' from the kernel`;
  }
}

/** Whether `promise` settles within `ms`. */
export async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
