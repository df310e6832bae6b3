/**
 * The AbortSignal of the governed call a tool is running in, for tools wrapped by govern():
 * govern() never adds an argument to a tool (a positional tool with optional parameters would
 * receive it in the wrong place), so the signal travels in async context instead.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ToolRunContext } from './action.js';

const runContext = new AsyncLocalStorage<ToolRunContext>();

/**
 * The AbortSignal of the governed call running now: call it inside a tool wrapped by govern()
 * (anywhere in its async flow) and pass it on to what may take long. It aborts when the agent
 * is killed. Undefined outside a governed call.
 *
 * @example
 * const fetchPage = govern(async ({ url }: { url: string }) => (await fetch(url, { signal: currentSignal() })).text(), { policy });
 */
export function currentSignal(): AbortSignal | undefined {
  return runContext.getStore()?.signal;
}

/** Runs `fn` (a governed tool) with `context` as what {@link currentSignal} reads. */
export function withToolContext<T>(context: ToolRunContext, fn: () => T): T {
  return runContext.run(context, fn);
}
