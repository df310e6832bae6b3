import { describeError } from '../../core/errors.js';
import { MAX_RETRY_DELAY_MS } from './options.js';
import type { CompensationOutcome } from './report.js';

/** How one compensation is retried and timed. */
export interface RetryPlan {
  /** Retries after the first attempt. */
  retries: number;
  /** Delay before the first retry; doubled each time, capped at 30 s. */
  retryDelayMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

/** One attempt's end, for the saga to record as it happens. */
export interface AttemptEnd {
  attempt: number;
  outcome: 'done' | 'threw' | 'timed_out';
  error?: unknown;
}

/** What {@link runCompensation} settles to. Never rejects. */
export interface CompensationResult {
  outcome: CompensationOutcome;
  attempts: number;
  error?: string;
  /** The last error's name only (`TypeError`), for audit reasons: its text may hold secrets. */
  errorName?: string;
  durationMs: number;
}

/**
 * Runs one compensation until it succeeds, with bounded retries and exponential backoff, each
 * attempt under its own timeout (its AbortSignal aborts when the time is up). A timed-out attempt
 * is not retried: it may still be running, and a second run beside it could undo twice. Backoff
 * waits are not abortable on purpose: a compensation runs to its end even if the agent is killed.
 */
export async function runCompensation(
  attempt: (signal: AbortSignal, attempt: number) => unknown,
  plan: RetryPlan,
  onAttempt: (end: AttemptEnd) => void,
): Promise<CompensationResult> {
  const started = Date.now();
  let lastError: unknown;
  for (let n = 1; n <= plan.retries + 1; n++) {
    if (n > 1) await sleep(Math.min(plan.retryDelayMs * 2 ** (n - 2), MAX_RETRY_DELAY_MS));
    const end = await attemptWithin(attempt, n, plan.timeoutMs);
    onAttempt(end);
    if (end.outcome === 'done') return { outcome: 'done', attempts: n, durationMs: Date.now() - started };
    lastError = end.error;
    if (end.outcome === 'timed_out') return { outcome: 'timed_out', attempts: n, error: describeError(end.error), errorName: 'TimeoutError', durationMs: Date.now() - started };
  }
  return { outcome: 'failed', attempts: plan.retries + 1, error: describeError(lastError), errorName: errorNameOf(lastError), durationMs: Date.now() - started };
}

/** A thrown value's name only (an Error's own name when it is a plain word, else `Error`). */
export function errorNameOf(thrown: unknown): string {
  try {
    const name: unknown = thrown instanceof Error ? thrown.name : undefined;
    return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) ? name : 'Error';
  } catch {
    return 'Error';
  }
}

/** One attempt, raced against its timeout. A synchronous throw counts as the attempt throwing. */
async function attemptWithin(attempt: (signal: AbortSignal, attempt: number) => unknown, n: number, timeoutMs: number): Promise<AttemptEnd> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<AttemptEnd>((resolve) => {
    timer = setTimeout(() => {
      const error = new Error(`the compensation did not settle within ${timeoutMs} ms`);
      error.name = 'TimeoutError';
      controller.abort(error);
      resolve({ attempt: n, outcome: 'timed_out', error });
    }, timeoutMs);
  });
  const ran = Promise.resolve()
    .then(() => attempt(controller.signal, n))
    .then(
      (): AttemptEnd => ({ attempt: n, outcome: 'done' }),
      (error: unknown): AttemptEnd => ({ attempt: n, outcome: 'threw', error }),
    );
  try {
    return await Promise.race([ran, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
