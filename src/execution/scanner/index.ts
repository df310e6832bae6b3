/**
 * The static code scanner: parses JavaScript/TypeScript, Python and shell, and reports findings
 * with a rule id, severity, OWASP ASI tag and fix. Text, JSON and SARIF 2.1.0 are views of one
 * {@link ScanReport}.
 */
export { SEVERITIES, atLeast } from './finding.js';
export type { Finding, ScanLanguage, ScanNote, ScanNoteKind, ScanReport, Severity, SourceRange } from './finding.js';
export { RULES, listRules } from './rules.js';
export type { RuleId, ScanRule } from './rules.js';
export { scanPaths, scanSource } from './scan.js';
export type { ScanOptions } from './scan.js';
export type { SourceText } from './source-files.js';
export { MAX_SOURCE_BYTES } from './source-files.js';
export { toSarif } from './sarif.js';
