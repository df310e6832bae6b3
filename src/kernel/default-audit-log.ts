import { AuditLog } from '../audit/audit-log.js';

let sharedLog: AuditLog | undefined;

/** Entries after which the default log warns (once) that it only lives in memory. */
export const DEFAULT_LOG_WARNING_AT = 100_000;

/**
 * The process-wide in-memory audit log governed tools write to unless given another. It is meant
 * for scripts and tests: it grows with every decision and ends with the process, so it warns
 * once, at {@link DEFAULT_LOG_WARNING_AT} entries, that a durable sink should be configured.
 */
export function defaultAuditLog(): AuditLog {
  sharedLog ??= new AuditLog({ onLength: { at: DEFAULT_LOG_WARNING_AT, call: warnDefaultLogGrowing } });
  return sharedLog;
}

function warnDefaultLogGrowing(length: number): void {
  process.emitWarning(
    `the default in-memory audit log holds ${length} entries and grows with every decision; pass govern({ audit }) an AuditLog with a durable sink (e.g. JsonlAuditSink)`,
    { code: 'AGT_DEFAULT_AUDIT_LOG' },
  );
}
