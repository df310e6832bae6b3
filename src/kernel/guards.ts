import type { Decision, NormalizedRequest } from '../core/types.js';

/**
 * What a guard sees: the request after the bounds step (frozen, normalized), the agent it is for,
 * and the policy's decision once the policy step has run (null before it).
 */
export interface GuardContext {
  readonly request: NormalizedRequest;
  readonly agentId: string;
  decision: Decision | null;
}

/**
 * One step of the kernel's pipeline. `check` returns nothing to let the request continue, or a
 * Decision that ends it (a denial, with a reason naming the guard). Synchronous unless its I/O
 * is real: a guard that returns a promise makes that request's pipeline wait for it.
 */
export interface Guard {
  /** A short name, used in reasons and diagnostics (`identity`, `standing`, `screening`...). */
  readonly name: string;
  check(context: GuardContext): Decision | undefined | Promise<Decision | undefined>;
}
