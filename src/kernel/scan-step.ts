import { failedDecision } from '../core/failed-decision.js';
import type { Decision, NormalizedRequest } from '../core/types.js';
import { DEFAULT_SCAN_DENY, scanDenialReason } from '../execution/scan-threshold.js';
import type { SubmissionScan } from '../execution/submission-scan.js';
import type { PolicyEvaluator } from '../policy/index.js';

/**
 * The scan step, beside the tool-requirements step: a call that carries a scan of submitted code
 * (the sandbox tool puts one in `context.scan` before it asks the kernel) is denied when a
 * finding reaches the tool's `sandbox.scan.deny` threshold, `critical` when no policy says. It
 * lives in the kernel, not in the sandbox tool, so the refusal is a decision like any other:
 * recorded in the audit log, seen by onDeny, and never reached by a tool that runs anyway.
 */

const SEVERITY_KEYS = ['critical', 'high', 'medium', 'low'] as const;

/** The denial for a pre_tool call whose scanned code reaches its tool's threshold, or undefined. Never throws. */
export function checkScanFindings(request: Readonly<NormalizedRequest>, evaluator: PolicyEvaluator): Decision | undefined {
  const tool = request.tool_name;
  if (request.stage !== 'pre_tool' || tool === null || !Object.hasOwn(request.context, 'scan')) return undefined;
  const scan = request.context.scan;
  // Fail closed: something under `scan` that is not a scan cannot be read as "no findings".
  if (!isScan(scan)) {
    return denial('scan:malformed: context.scan is not a scan of submitted code ({ critical, high, medium, low, findings, unscanned, overBudget }): the arguments could not be copied for the scanner (pass plain data), or something else set `scan` in the context (rename it)', evaluator.revision, request.stage);
  }
  const reason = scanDenialReason(scan, evaluator.requirementsFor(tool).scanDeny ?? DEFAULT_SCAN_DENY);
  return reason === undefined ? undefined : denial(reason, evaluator.revision, request.stage);
}

function isScan(value: unknown): value is SubmissionScan {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const scan = value as Record<string, unknown>;
  return SEVERITY_KEYS.every((key) => Number.isInteger(scan[key]) && (scan[key] as number) >= 0) && Array.isArray(scan.findings) && scan.findings.every(isFinding) && Array.isArray(scan.unscanned) && typeof scan.overBudget === 'boolean';
}

function isFinding(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (SEVERITY_KEYS as readonly unknown[]).includes((value as { severity?: unknown }).severity);
}

function denial(reason: string, revision: string, stage: Decision['stage']): Decision {
  const decision = failedDecision('guard', reason, stage, revision);
  decision.reason = decision.message = reason;
  decision.diagnostics = { matchedRules: [], errors: [], step: 'scan' };
  return decision;
}
