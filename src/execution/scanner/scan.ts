import { atLeast, SEVERITIES, type Finding, type ScanLanguage, type ScanReport, type Severity } from './finding.js';
import { scanJavaScript } from './javascript/scan-javascript.js';
import { scanPython } from './python/scan-python.js';
import { scanShell } from './shell/scan-shell.js';
import { MAX_NESTING, tooDeep } from './nesting.js';
import { finding } from './rules.js';
import { applyIgnoreComments } from './ignore-comments.js';
import { collectSources, type SourceText } from './source-files.js';

/** Options for {@link scanPaths} and {@link scanSource}. */
export interface ScanOptions {
  /** Drop findings below this severity. Default: `low` (everything). */
  minSeverity?: Severity;
  /**
   * Honour `agt-scan-ignore <rule-id>: why` comments (suppressed findings go to
   * `report.suppressed`). Default false: code from elsewhere (an agent's) must not be able to
   * silence the scanner; `agt scan code` turns it on for the operator's own tree.
   */
  ignoreComments?: boolean;
}

/** Scans one language's source text. */
type LanguageScanner = (file: string, text: string) => Finding[] | Promise<Finding[]>;

const SCANNERS: Record<ScanLanguage, LanguageScanner> = {
  javascript: scanJavaScript,
  typescript: scanJavaScript,
  python: scanPython,
  shell: scanShell,
};

/**
 * Scans files and directories: every JavaScript, TypeScript, Python and shell file is parsed and
 * checked against the rules. Throws only for a path that does not exist; unreadable, binary and
 * oversized files are notes in the report, code that does not parse is a `parse-error` finding.
 */
export async function scanPaths(paths: readonly string[], options: ScanOptions = {}): Promise<ScanReport> {
  const { sources, notes } = collectSources(paths);
  const report: ScanReport = { files: [], findings: [], notes, lines: 0, ...(options.ignoreComments === true ? { suppressed: [] } : {}) };
  for (const source of sources) {
    report.files.push(source.file);
    report.lines += countLines(source.text);
    const found = await scanSource(source, { ...options, ignoreComments: false });
    if (options.ignoreComments !== true) report.findings.push(...found);
    else {
      const { kept, suppressed } = applyIgnoreComments(source.text, found);
      report.findings.push(...kept);
      report.suppressed?.push(...suppressed);
    }
  }
  report.findings.sort(byLocation);
  return report;
}

/** Scans one source held in memory (the sandbox scans submitted code this way). */
export async function scanSource(source: SourceText, options: ScanOptions = {}): Promise<Finding[]> {
  const minimum = options.minSeverity ?? 'low';
  if (!SEVERITIES.includes(minimum)) throw new Error(`minSeverity: '${String(minimum)}' is not one of ${SEVERITIES.join(', ')}`);
  const found = (await parseAndCheck(source)).filter((f) => atLeast(f.severity, minimum));
  return options.ignoreComments === true ? applyIgnoreComments(source.text, found).kept : found;
}

/**
 * Runs the language's scanner. Input a parser cannot take (nesting past {@link MAX_NESTING},
 * or a parser that fails anyway) becomes a `parse-error` finding: unread code is reported as
 * unreviewed, never passed and never a crash.
 */
async function parseAndCheck(source: SourceText): Promise<Finding[]> {
  const deep = tooDeep(source.text);
  if (deep) return [finding('parse-error', source.file, deep, `not parsed: brackets nest deeper than ${MAX_NESTING} levels`)];
  try {
    return await SCANNERS[source.language](source.file, source.text);
  } catch (error) {
    const reason = error instanceof RangeError ? 'nested too deeply to walk' : `the ${source.language} parser failed (${(error as Error).message})`;
    return [finding('parse-error', source.file, { line: 1, column: 1, endLine: 1, endColumn: 1 }, `not scanned: ${reason}`)];
  }
}

function countLines(text: string): number {
  let lines = 1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

function byLocation(a: Finding, b: Finding): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}
