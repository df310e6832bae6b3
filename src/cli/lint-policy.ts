import type { Command } from 'commander';
import type { LintFinding, LintReport } from '../policy/index.js';
import { EXIT, ReportedFailure } from './errors.js';
import { paint, useColor } from './output.js';

interface LintOptions {
  strict?: boolean;
  json?: boolean;
}

/** `agt lint-policy`: every problem in a set of policy files, with what to do about each. */
export function registerLintPolicy(program: Command): void {
  program
    .command('lint-policy')
    .description('check policy files for errors and likely mistakes, reporting every problem found')
    .argument('<paths...>', 'policy files or directories (searched recursively, *.test.yaml skipped)')
    .option('--strict', 'fail (exit 1) on warnings too')
    .option('--json', 'print one JSON document: { files, findings, errors, warnings }')
    .addHelpText(
      'after',
      `
Each finding has a location, a severity (error or warning), a stable code and a hint.
Errors are what loading refuses (schema, conditions, extends) and contradictions;
warnings are likely mistakes: rules that never apply or never decide, repeated rules,
optional fields read without has(), limits that cannot work as written.

Exit codes: 0 no errors (and, with --strict, no warnings); 1 problems found;
2 a path does not exist.

Examples:
  agt lint-policy policy.yaml
  agt lint-policy policies/ --strict
  agt lint-policy policies/ extra.yaml --json`,
    )
    .action(async (paths: string[], options: LintOptions) => {
      const { lintPolicies } = await import('../policy/index.js');
      const report = lintPolicies(paths);
      process.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report, useColor(process.stdout)));
      if (report.errors > 0 || (options.strict && report.warnings > 0)) throw new ReportedFailure(EXIT.failed);
    });
}

/** One line per finding, its hint indented below, then a summary line. */
function formatReport(report: LintReport, color: boolean): string {
  const lines = report.findings.flatMap((finding) => [formatFinding(finding, color), paint(`    hint: ${finding.hint}`, 'dim', color)]);
  lines.push(summary(report, color));
  return lines.join('\n') + '\n';
}

function formatFinding(finding: LintFinding, color: boolean): string {
  const severity = paint(finding.severity.padEnd(7), finding.severity === 'error' ? 'red' : 'yellow', color);
  const key = finding.key ? `${finding.key}: ` : '';
  return `${finding.file}:${finding.line}:${finding.column}  ${severity}  ${finding.code}  ${key}${finding.message}`;
}

function summary(report: LintReport, color: boolean): string {
  const files = plural(report.files.length, 'file');
  if (report.findings.length === 0) return `${files} linted: no problems found`;
  const counts = [
    paint(plural(report.errors, 'error'), report.errors > 0 ? 'red' : 'dim', color),
    paint(plural(report.warnings, 'warning'), report.warnings > 0 ? 'yellow' : 'dim', color),
  ];
  return `${files} linted: ${counts.join(', ')}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
