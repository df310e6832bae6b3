/**
 * What the static code scanner reports: findings (a rule matched at a place) and notes (a file
 * it could not or would not read). Plain data, so text, JSON and SARIF are views of one report.
 */

/** How bad a finding is, least to most. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Severities in increasing order, for `--min-severity` and sorting. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** The languages the scanner parses. */
export type ScanLanguage = 'javascript' | 'typescript' | 'python' | 'shell';

/** A 1-based line and column range in a source file. */
export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** One rule matched at one place. */
export interface Finding extends SourceRange {
  ruleId: string;
  severity: Severity;
  /** OWASP Top 10 for Agentic Applications tag, e.g. `ASI05`. */
  asi: string;
  file: string;
  /** What was found here, naming the call or value. */
  message: string;
  /** What to do instead. */
  fix: string;
}

/** Why a file was not scanned (or only partly). */
export type ScanNoteKind = 'binary' | 'unreadable' | 'unsupported' | 'too_large';

/** A file the scanner skipped, with the reason. Skips are reported, never silent. */
export interface ScanNote {
  file: string;
  kind: ScanNoteKind;
  message: string;
}

/** The result of scanning a set of paths. */
export interface ScanReport {
  /** Every file that was parsed (skipped files are in `notes`). */
  files: string[];
  findings: Finding[];
  notes: ScanNote[];
  /** Source lines parsed, for throughput figures. */
  lines: number;
  /** Findings an `agt-scan-ignore <rule-id>: why` comment suppressed (only when ignore comments are honoured). */
  suppressed?: Finding[];
}

/** True when `severity` is at least `minimum`. */
export function atLeast(severity: Severity, minimum: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(minimum);
}
