import type { Command } from 'commander';
import { formatIssue } from '../core/errors.js';
import type { PolicyTestCaseResult, PolicyTestFileResult, PolicyTestReport } from '../policy/index.js';
import { EXIT, ReportedFailure, UsageError } from './errors.js';
import { paint, useColor } from './output.js';

interface TestOptions {
  json?: boolean;
}

const HELP = `
Test files are YAML named <name>.test.yaml (or .yml, .json):

  policy: sql-agent.yaml       # optional: policy file or directory, relative to this file;
                               #   default <name>.yaml beside it if present, else its directory
  cases:
    - name: drop is denied     # unique within the file
      input:                   # the request, as agt policy eval takes it
        tool_name: sql
        args: { query: "DROP TABLE users" }
      repeat: 1                # optional: evaluate N times, check the last decision
      expect:
        verdict: deny          # allow | deny | warn | log | require_approval | transform
        rule: block-ddl        # optional; null = no rule decided (a default applied)
        # optional too: policy, reason_contains, rate_limited, approvers (each must be
        # listed), redact (each path must be redacted), condition_errors (see below)

The cases of a file run in order against one evaluator, so rate limits carry from case to case
(repeat a case to exhaust one). A case whose decision involved a condition that failed at run
time fails, unless it sets condition_errors: true. A file that cannot be loaded (the test file
or its policy) is reported with file:line:column and counts as one failure; the other files
still run.

Output: one line per case, grouped by file, then "N passed, M failed". Markers are ✓ and ✗ on a
terminal and ok and FAIL otherwise; colors only on a terminal and never with NO_COLOR.

Exit codes: 0 every case passed, 1 a case failed, 2 usage error or a file that could not be loaded.

Examples:
  agt policy test                       every *.test.yaml under the current directory
  agt policy test policies/
  agt policy test policies/sql-agent.test.yaml --json`;

/** `agt policy test`: run policy test files and report each case. */
export function registerPolicyTest(policy: Command): void {
  policy
    .command('test')
    .description('run policy test files (*.test.yaml) and report each case')
    .argument('[paths...]', 'test files, or directories searched recursively (default: .)')
    .option('--json', 'print one JSON document with the result of every file and case')
    .addHelpText('after', HELP)
    .action(async (paths: string[], options: TestOptions) => {
      const { runPolicyTests } = await import('../policy/index.js');
      const targets = paths.length > 0 ? paths : ['.'];
      const report = runPolicyTests(targets);
      if (report.files.length === 0) {
        throw new UsageError(`no policy test files (*.test.yaml) in ${targets.join(', ')}; \`agt init\` writes a starter policy and its test`);
      }
      for (const file of report.files) {
        for (const warning of file.warnings) process.stderr.write(formatIssue(warning) + '\n');
      }
      process.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report, process.stdout));
      if (report.unloadable > 0) throw new ReportedFailure(EXIT.usage);
      if (report.failed > 0) throw new ReportedFailure(EXIT.failed);
    });
}

/** The report as a test runner prints it: files, one line per case, then the summary. */
function formatReport(report: PolicyTestReport, stream: NodeJS.WriteStream): string {
  const color = useColor(stream);
  // Check marks read well on a terminal; logs and pipes get words a grep can find.
  const marks = stream.isTTY ? { pass: '✓', fail: '✗' } : { pass: 'ok  ', fail: 'FAIL' };
  const pass = paint(marks.pass, 'green', color);
  const fail = paint(marks.fail, 'red', color);
  const detail = (text: string) => `      ${paint(text, 'dim', color)}`;
  const lines: string[] = [];
  for (const file of report.files) {
    lines.push(file.policy === null ? file.file : `${file.file} ${paint(`(policy ${file.policy})`, 'dim', color)}`);
    if (file.errors.length > 0) {
      lines.push(`  ${fail} could not be loaded`);
      lines.push(...file.errors.map((issue) => `      ${formatIssue(issue)}`));
    }
    for (const result of file.cases) {
      if (result.passed) {
        lines.push(`  ${pass} ${result.name}`);
        continue;
      }
      const [first, ...rest] = result.failures;
      lines.push(`  ${fail} ${result.name}  ${first ?? ''}`);
      lines.push(...rest.map((failure) => `      ${failure}`));
      lines.push(detail(`${where(file, result)}decided: ${result.decision.reason}`));
    }
    lines.push('');
  }
  const summary = `${report.passed} passed, ${report.failed} failed`;
  lines.push(paint(summary, report.failed > 0 ? 'red' : 'green', color));
  return lines.join('\n') + '\n';
}

/** `at file:line:column, the last of N calls; ` for a failed case. */
function where(file: PolicyTestFileResult, result: PolicyTestCaseResult): string {
  const position = result.line === undefined ? file.file : `${file.file}:${result.line}:${result.column ?? 1}`;
  const calls = result.calls > 1 ? `, the last of ${result.calls} calls` : '';
  return `at ${position}${calls}; `;
}
