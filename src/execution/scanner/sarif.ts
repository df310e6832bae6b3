import { pathToFileURL } from 'node:url';
import { relative, isAbsolute } from 'node:path';
import type { Finding, ScanReport, Severity } from './finding.js';
import { listRules } from './rules.js';

/** SARIF 2.1.0 `level` for each severity (SARIF has no "critical"; `security-severity` keeps it). */
const LEVEL: Record<Severity, 'note' | 'warning' | 'error'> = { low: 'note', medium: 'warning', high: 'error', critical: 'error' };
/** GitHub code scanning reads `security-severity` (0-10) to rank security alerts. */
const SECURITY_SEVERITY: Record<Severity, string> = { low: '3.0', medium: '5.5', high: '8.0', critical: '9.5' };

/**
 * The report as a SARIF 2.1.0 log for code-scanning UIs: one run, every rule in the driver
 * (with its OWASP ASI tag and fix), one result per finding with a location relative to
 * `baseDirectory`, and skipped files as tool notifications.
 */
export function toSarif(report: ScanReport, toolVersion: string, baseDirectory = process.cwd()): object {
  const rules = listRules();
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id as string, index]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'agt scan code',
            version: toolVersion,
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: { text: rule.title },
              help: { text: rule.fix },
              defaultConfiguration: { level: LEVEL[rule.severity] },
              properties: { tags: ['security', rule.asi], 'security-severity': SECURITY_SEVERITY[rule.severity], severity: rule.severity },
            })),
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: pathToFileURL(baseDirectory).href + '/' } },
        // Findings an agt-scan-ignore comment suppressed stay in the log, marked as suppressed in source (code-scanning UIs hide them).
        results: [
          ...report.findings.map((found) => result(found, ruleIndex.get(found.ruleId) ?? -1, baseDirectory)),
          ...(report.suppressed ?? []).map((found) => ({ ...result(found, ruleIndex.get(found.ruleId) ?? -1, baseDirectory), suppressions: [{ kind: 'inSource' }] })),
        ],
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.notes.map((note) => ({
              level: 'note',
              message: { text: `${note.kind}: ${note.message}` },
              locations: [{ physicalLocation: { artifactLocation: artifact(note.file, baseDirectory) } }],
            })),
          },
        ],
      },
    ],
  };
}

function result(found: Finding, ruleIndex: number, baseDirectory: string): object {
  return {
    ruleId: found.ruleId,
    ruleIndex,
    level: LEVEL[found.severity],
    message: { text: `${found.message}. Fix: ${found.fix}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: artifact(found.file, baseDirectory),
          region: { startLine: found.line, startColumn: found.column, endLine: found.endLine, endColumn: found.endColumn },
        },
      },
    ],
    properties: { severity: found.severity, asi: found.asi },
  };
}

/** A file relative to the base (portable across checkouts), or an absolute file URI outside it. */
function artifact(file: string, baseDirectory: string): object {
  const path = relative(baseDirectory, file);
  if (path.startsWith('..') || isAbsolute(path)) return { uri: pathToFileURL(file).href };
  return { uri: path.split(/[\\/]/).map(encodeURIComponent).join('/'), uriBaseId: 'SRCROOT' };
}
