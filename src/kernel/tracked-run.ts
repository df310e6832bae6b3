/**
 * Runs a cleared tool as a call in flight: listed under its agent while it runs, given an
 * AbortSignal that a kill aborts, and answered as `terminated` the moment its agent is killed
 * (without waiting for a tool that ignores the signal; that tool stays listed until it ends, and
 * whatever it returns then is dropped).
 */
import type { InFlightCall, InFlightCalls } from '../execution/in-flight.js';
import type { RunTool, ToolRunContext } from './action.js';

/** How a tracked run ended. */
export type TrackedRun = { kind: 'returned'; value: unknown } | { kind: 'threw'; thrown: unknown } | { kind: 'terminated' };

const TERMINATED: TrackedRun = Object.freeze({ kind: 'terminated' });

/** The call to track: whose it is, and what the registry shows for it. */
export interface TrackedCall {
  agentId: string;
  tool: string;
  callId: string | undefined;
}

/**
 * Runs `run(args, context)` as `call`. `outside` is the framework's own AbortSignal (e.g. the
 * AI SDK's `abortSignal`): the tool's signal aborts on either. An abort from outside is the
 * framework's business (the tool's error is decided like any other); only a kill makes the run
 * `terminated`. Never rejects.
 */
export function runTracked(calls: InFlightCalls, call: TrackedCall, args: Readonly<Record<string, unknown>>, run: RunTool, outside?: AbortSignal): Promise<TrackedRun> {
  const inFlight = calls.start(call.agentId, call.tool, call.callId);
  const context = new RunContext(inFlight, outside);
  let result: unknown;
  try {
    result = run(args, context);
  } catch (thrown) {
    calls.finish(inFlight);
    return Promise.resolve(inFlight.terminated ? TERMINATED : { kind: 'threw', thrown });
  }
  if (!(result instanceof Promise) && !isThenable(result)) {
    calls.finish(inFlight);
    return Promise.resolve(inFlight.terminated ? TERMINATED : { kind: 'returned', value: result });
  }
  return new Promise<TrackedRun>((resolve) => {
    if (inFlight.terminated) resolve(TERMINATED);
    inFlight.onTerminate = () => resolve(TERMINATED);
    const settle = (ran: TrackedRun): void => {
      calls.finish(inFlight);
      resolve(inFlight.terminated ? TERMINATED : ran);
    };
    (result instanceof Promise ? result : Promise.resolve(result)).then(
      (value: unknown) => settle({ kind: 'returned', value }),
      (thrown: unknown) => settle({ kind: 'threw', thrown }),
    );
  });
}

/**
 * The context a tool receives. A class, not an object literal with a getter: V8 builds such a
 * literal through the runtime, which cost more than the rest of the tracking together.
 */
class RunContext implements ToolRunContext {
  // Truly private: the tool holds this object, and must not reach the registry's entry through it.
  readonly #inFlight: InFlightCall;
  readonly #outside: AbortSignal | undefined;
  #combined: AbortSignal | undefined;

  constructor(inFlight: InFlightCall, outside: AbortSignal | undefined) {
    this.#inFlight = inFlight;
    this.#outside = outside;
  }

  /** The call's signal (made on first read), combined with the framework's when there is one. */
  get signal(): AbortSignal {
    if (!this.#outside) return this.#inFlight.signal;
    this.#combined ??= AbortSignal.any([this.#inFlight.signal, this.#outside]);
    return this.#combined;
  }
}

/** A non-promise thenable; a `then` getter that throws makes it a plain value. */
function isThenable(value: unknown): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}
