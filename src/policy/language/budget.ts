/**
 * The evaluation budget of one decision: a count of cost units that every condition evaluated for
 * the request draws from. It is deterministic (units, not time): the same request against the
 * same policy revision spends the same units and gets the same decision on any machine.
 *
 * What costs (see metering.ts, which does the charging):
 * - each iteration of a comprehension (`all`, `exists`, `exists_one`, `map`, `filter`): one unit
 *   per syntax node of its body that runs per iteration;
 * - each operator or function given a list, a map or a string, wherever it appears: the size of
 *   what it was given (one unit per list element or map entry, counted deeply, one per 64
 *   characters of a string, and one per 2 characters of the text a regular expression scans).
 *
 * So a comprehension over request data pays for its length, a nested one for the product of the
 * lengths, and `x in args.items` inside a comprehension for the list it searches each time.
 */

/**
 * Units a decision may spend unless a policy sets `defaults.evaluation_budget`. Calibrated so
 * that spending all of it takes about 10 ms of evaluation on a 2-core x86 server (bench/worst-cel-rows.mjs).
 */
export const DEFAULT_EVALUATION_BUDGET = 1_000_000;

/** The largest budget a policy may set: 100 times the default (about a second of evaluation). */
export const MAX_EVALUATION_BUDGET = 100_000_000;

/** The units left to one decision's conditions; one per decision, shared by all its conditions. */
export class EvaluationBudget {
  /** Units not yet spent; negative once the budget is spent. */
  remaining: number;

  constructor(readonly units: number = DEFAULT_EVALUATION_BUDGET) {
    this.remaining = units;
  }

  /** True once the conditions asked for more than the budget holds. */
  get spent(): boolean {
    return this.remaining < 0;
  }
}

/**
 * Thrown by a condition's `test` when the decision's budget ran out while it was evaluated,
 * whatever the condition would have returned. The message names no request data.
 */
export class EvaluationBudgetSpent extends Error {
  override name = 'EvaluationBudgetSpent';
  constructor(readonly units: number) {
    super(budgetSpentMessage(units));
  }
}

/** What a spent budget is reported as: the budget, never the request's data. */
export function budgetSpentMessage(units: number): string {
  return `the conditions evaluated for this request needed more than the evaluation budget of ${units.toLocaleString('en-US')} units`;
}
