/** A mistake in how a command was called: printed as one line, exit code 2, never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A check ran and found problems (lint errors, a failed verification). The command has already
 * printed what it found; `agt` only turns this into exit code 1.
 */
export class CheckFailed extends Error {
  override name = 'CheckFailed';
}

/** Exit codes, documented in `agt --help`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;
