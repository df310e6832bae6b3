/** A mistake in how a command was called: printed as one line, exit code 2, never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * The command ran and has already reported what went wrong (a policy test failed, a file did
 * not load): exit with `exitCode` and print nothing more.
 */
export class ReportedFailure extends Error {
  override name = 'ReportedFailure';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Exit codes, documented in `agt --help`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

/** A check that failed (a chain that does not verify, a failing test): its message, exit code 1. */
export class CheckFailed extends Error {
  override name = 'CheckFailed';
}
