import { UsageError } from './errors.js';

/**
 * Durations on the command line (`--ttl 1h`): a whole number and a unit, `s`, `m`, `h` or `d`.
 * A bare number is refused: seconds or minutes is exactly the mistake a unit prevents.
 */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** The longest lifetime the CLI signs: a year. Longer-lived credentials are revocation debt. */
export const MAX_DURATION_SECONDS = 366 * 86_400;

/** `value` (e.g. `10m`) in seconds; a usage error naming `option` and the accepted forms otherwise. */
export function parseDurationSeconds(value: string, option: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(value.trim());
  const fix = `give ${option} a whole number and a unit: 30s, 10m, 1h or 7d`;
  if (!match) throw new UsageError(`${option} '${clip(value)}' is not a duration; ${fix}`);
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  if (seconds <= 0) throw new UsageError(`${option} must be longer than zero; ${fix}`);
  if (seconds > MAX_DURATION_SECONDS) throw new UsageError(`${option} is longer than a year; issue shorter-lived credentials and renew them`);
  return seconds;
}

/** Seconds as the largest whole unit that states them exactly (`600` → `10m`), for messages. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

function clip(text: string): string {
  return text.length <= 32 ? text : `${text.slice(0, 31)}…`;
}

/** Seconds rounded DOWN to a whole number of minutes when at least one (`3591` → `59m`): the most a `--ttl` may ask for. */
export function formatDurationAtMost(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m` : `${seconds}s`;
}
