import type { Command } from 'commander';
import type { ScanReport, Severity } from '../execution/scanner/index.js';
import { EXIT, ReportedFailure, UsageError } from './errors.js';
import { paint, useColor, type Color } from './output.js';

interface ScanCodeOptions {
  format: string;
  minSeverity: string;
}

const FORMATS = ['text', 'json', 'sarif'] as const;
const SEVERITY_COLOR: Record<Severity, Color> = { low: 'dim', medium: 'yellow', high: 'red', critical: 'red' };

/** `agt scan code`: the static code scanner over files and directories. */
export function registerScanCode(scan: Command, version: string): void {
  scan
    .command('code')
    .description('parse JavaScript/TypeScript, Python and shell code and report risky calls, secrets and ungoverned tools')
    .argument('<paths...>', 'files or directories (searched recursively; node_modules, .git and virtualenvs inside them skipped)')
    .option('--format <format>', 'text, json or sarif (SARIF 2.1.0 for code-scanning UIs)', 'text')
    .option('--min-severity <severity>', 'report only findings at or above: low, medium, high or critical', 'low')
    .addHelpText(
      'after',
      `
Each finding has a rule id, a severity, an OWASP ASI tag and a fix. Code that does not
parse is a parse-error finding; binary, oversized and unreadable files are listed as skipped.
A comment \`agt-scan-ignore <rule-id>: why\` on the finding's line (or alone on the line
above) suppresses it; the reason is required, and suppressed findings are counted.

Exit codes: 0 no findings at or above --min-severity; 1 findings; 2 a path does not exist
or a flag is wrong.

Examples:
  agt scan code src/
  agt scan code agent.py tools/ --min-severity high
  agt scan code . --format sarif > results.sarif`,
    )
    .action(async (paths: string[], options: ScanCodeOptions) => {
      const { scanPaths, toSarif, SEVERITIES } = await import('../execution/scanner/index.js');
      if (!(FORMATS as readonly string[]).includes(options.format)) {
        throw new UsageError(`--format: '${options.format}' is not one of ${FORMATS.join(', ')}`);
      }
      if (!(SEVERITIES as readonly string[]).includes(options.minSeverity)) {
        throw new UsageError(`--min-severity: '${options.minSeverity}' is not one of ${SEVERITIES.join(', ')}`);
      }
      let report: ScanReport;
      try {
        report = await scanPaths(paths, { minSeverity: options.minSeverity as Severity, ignoreComments: true });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const out =
        options.format === 'json' ? JSON.stringify(report, null, 2) + '\n'
        : options.format === 'sarif' ? JSON.stringify(toSarif(report, version), null, 2) + '\n'
        : formatText(report, useColor(process.stdout));
      process.stdout.write(out);
      if (report.findings.length > 0) throw new ReportedFailure(EXIT.failed);
    });
}

/** One line per finding with its fix below, skipped files, then a summary. */
function formatText(report: ScanReport, color: boolean): string {
  const lines: string[] = [];
  for (const found of report.findings) {
    const severity = paint(found.severity.padEnd(8), SEVERITY_COLOR[found.severity], color);
    lines.push(`${found.file}:${found.line}:${found.column}  ${severity} ${found.ruleId} (${found.asi})  ${found.message}`);
    lines.push(paint(`    fix: ${found.fix}`, 'dim', color));
  }
  for (const note of report.notes) lines.push(paint(`${note.file}: ${note.message}`, 'dim', color));
  const files = `${report.files.length} file${report.files.length === 1 ? '' : 's'} (${report.lines} lines) scanned`;
  const suppressed = report.suppressed?.length ?? 0;
  const ignored = suppressed === 0 ? '' : ` (${suppressed} suppressed by agt-scan-ignore comments; --format json lists them)`;
  lines.push((report.findings.length === 0 ? `${files}: no findings` : `${files}: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}`) + ignored);
  return lines.join('\n') + '\n';
}
