import { SEVERITIES, type Severity } from './scanner/finding.js';
import { MAX_SCANNED_BYTES, type SubmissionFinding, type SubmissionScan } from './submission-scan.js';
import type { ScanThreshold } from '../policy/document/tool-requirements.js';

/**
 * What a policy's scan thresholds make of a submission's scan: which findings deny the call and
 * which come back with its outcome. Shared by the kernel's scan step (sandboxTool) and
 * `execution.sandbox.run`, so both refuse with the same words.
 */

export type { ScanThreshold };

/** With no policy written: a critical finding denies, and high ones come back with the outcome. */
export const DEFAULT_SCAN_DENY: ScanThreshold = 'critical';
/** See {@link DEFAULT_SCAN_DENY}. */
export const DEFAULT_SCAN_WARN: ScanThreshold = 'high';

/** Findings shown in a refusal's reason (the full list is in the decision's context). */
const IN_REASON = 3;

/** True when `severity` is at or above `threshold` (`none`: never). */
export function reaches(severity: Severity, threshold: ScanThreshold): boolean {
  return threshold !== 'none' && SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/** How many of the scan's findings (all of them, not only the listed ones) are at or above `threshold`. */
export function countReaching(scan: SubmissionScan, threshold: ScanThreshold): number {
  return SEVERITIES.filter((severity) => reaches(severity, threshold)).reduce((sum, severity) => sum + scan[severity], 0);
}

/** The listed findings at or above `threshold`. */
export function findingsReaching(scan: SubmissionScan, threshold: ScanThreshold): SubmissionFinding[] {
  return scan.findings.filter((finding) => reaches(finding.severity, threshold));
}

/**
 * The refusal's reason when the scan has a finding at or above `deny`, else undefined. It reads
 * `scan:<worst severity>: ...` and names each finding's rule, place and fix, so the agent (and
 * the operator reading the audit log) knows what to change.
 */
export function scanDenialReason(scan: SubmissionScan, deny: ScanThreshold): string | undefined {
  if (scan.overBudget && deny !== 'none') {
    return `scan:over_budget: the submitted code is over the ${MAX_SCANNED_BYTES}-byte scan budget, so ${scan.unscanned.join(', ')} could not be reviewed; send less code per call (the rest as data files), or a deployment that accepts unreviewed code sets sandbox.scan.deny: none`;
  }
  const count = countReaching(scan, deny);
  if (count === 0) return undefined;
  const worst = [...SEVERITIES].reverse().find((severity) => scan[severity] > 0) as Severity;
  const shown = findingsReaching(scan, deny).slice(0, IN_REASON);
  const listed = shown.map((f) => `${f.rule} at ${f.file}:${f.line} (${f.message}; fix: ${f.fix})`).join('; ');
  const more = count > shown.length ? `; and ${count - shown.length} more` : '';
  return `scan:${worst}: the submitted code has ${count} finding${count === 1 ? '' : 's'} at or above ${deny}, which this tool's policy denies: ${listed}${more}`;
}
