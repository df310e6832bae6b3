/**
 * What may reach a wasm evaluation, bounded before it starts. OPA's wasm parses the whole input
 * into its own values before the policy runs, at about a microsecond per JSON value on this
 * class of machine (measured: a 1 MiB request of 500,000 numbers takes 0.5 to 0.9 s to parse;
 * 100,000 small objects about 0.1 s), so the number of values, not the bytes, is what costs.
 * A request with more values than the deadline leaves time to parse is refused up front, with
 * a reason that says so, instead of being started, stopped at the deadline, and costing the
 * pool a worker.
 */

/**
 * JSON values (objects, arrays and scalars; keys not counted) an input may hold per millisecond of
 * `timeout_ms`: 2.5 us each, room for parsing at the slowest rate measured on a loaded machine
 * (about 1.7 us per value) with the rest of the deadline left for the policy.
 */
export const INPUT_VALUES_PER_MS = 400;

/** The number of JSON values in `input`, counting at most `limit + 1` (enough to say it is over). */
export function countJsonValues(input: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [input];
  while (stack.length > 0 && count <= limit) {
    const value = stack.pop();
    count++;
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) stack.push(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const key in value) stack.push((value as Record<string, unknown>)[key]);
    }
  }
  return count;
}
