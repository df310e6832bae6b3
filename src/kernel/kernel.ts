import { uuidv7 } from '../core/ids.js';
import { isAllowingVerdict, type Decision, type GovernanceRequest, type Verdict } from '../core/types.js';
import { AuditLog } from '../audit/audit-log.js';
import type { PolicyEvaluator } from '../policy/evaluator.js';

/**
 * The decision pipeline for one request: evaluate (request bounds, document checks, rules,
 * limits) and audit. Later pillars (identity, standing, rings, screening) slot in before
 * evaluation. Nothing here throws: every failure is a deny decision.
 */
export class Kernel {
  constructor(
    readonly evaluator: PolicyEvaluator,
    /** Where decisions are recorded; null to not record (tests, dry runs). */
    readonly audit: AuditLog | null,
  ) {}

  /** Decides and records. If the audit log cannot take the entry, the decision is a deny. */
  decide(request: GovernanceRequest): Decision {
    return this.record(request, this.evaluator.evaluate(request));
  }

  /**
   * {@link decide} for policies with remote engines (OPA over HTTP): waits for their answers.
   * Never rejects; a remote failure is a deny decision, recorded like any other.
   */
  async decideAsync(request: GovernanceRequest): Promise<Decision> {
    return this.record(request, await this.evaluator.evaluateAsync(request));
  }

  /**
   * {@link decide}, or {@link decideAsync} when the policy has remote engines: synchronous
   * whenever it can be, so local policies keep the synchronous hot path.
   */
  decideWhenReady(request: GovernanceRequest): Decision | Promise<Decision> {
    return this.evaluator.needsAsync ? this.decideAsync(request) : this.decide(request);
  }

  /** Records a decision made elsewhere (e.g. an approval's outcome); a failure to record denies. */
  record(request: GovernanceRequest, decision: Decision): Decision {
    if (!this.audit) return decision;
    try {
      this.audit.append({ request, decision });
      return decision;
    } catch (error) {
      // Invariant: nothing unaudited goes ahead.
      return derive(decision, 'deny', `runtime_error:audit: the audit log rejected the entry: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  /**
   * The decision once its audit entry is durable: unchanged, or a deny if the store failed to
   * commit it. Synchronous (no await) when the store has nothing waiting.
   */
  confirm(decision: Decision): Decision | Promise<Decision> {
    const pending = this.audit?.durable();
    if (!pending) return decision;
    return pending.then(
      () => decision,
      (error: unknown) => derive(decision, 'deny', `runtime_error:audit: the audit store could not commit the entry: ${(error as Error)?.message ?? String(error)}`),
    );
  }
}

/** A follow-up decision (approval outcome, audit failure) that keeps the original's rule and policy. */
export function derive(decision: Decision, verdict: Verdict, reason: string): Decision {
  return {
    ...decision,
    verdict,
    allowed: isAllowingVerdict(verdict),
    reason,
    message: reason,
    transform: verdict === 'transform' ? decision.transform : null,
    decisionId: uuidv7(),
    diagnostics: { matchedRules: decision.diagnostics.matchedRules, errors: decision.diagnostics.errors },
  };
}

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
