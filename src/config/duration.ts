/**
 * Durations in the deployment file: `250ms`, `60s`, `5m`, `1h`, or a whole number of
 * milliseconds. One unit per value (no `1h30m`): a value is read at a glance, and `90m` says it.
 */

const DURATION = /^([0-9]{1,12})(ms|s|m|h)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** What to write instead of a value that is not a duration. */
export const DURATION_HINT = 'write a duration such as 60s, 5m or 1h, or a whole number of milliseconds';

/** Milliseconds for a duration value, or null when `value` is not one. */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = DURATION.exec(value.trim());
  if (!match) return null;
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  return Number.isSafeInteger(ms) ? ms : null;
}
