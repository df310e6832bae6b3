import { basename } from 'node:path';
import { SEVERITIES, type Finding, type ScanLanguage, type Severity } from './scanner/finding.js';
import { scanSource } from './scanner/scan.js';
import { languageOf } from './scanner/source-files.js';
import type { SandboxLanguage, SandboxRequest } from './sandbox/types.js';

/**
 * The scan of what an agent submits to the sandbox (its code, the inline code of its command,
 * and the files it sends), done before anything starts. The summary is plain JSON: the sandbox
 * tool hands it to the kernel as `context.scan`, where the scan step applies the policy's
 * thresholds and CEL conditions can read it (`context.scan.high > 0`).
 */

/** One finding as a policy and an agent read it: the rule, where, and what to do instead. */
export interface SubmissionFinding {
  rule: string;
  severity: Severity;
  file: string;
  line: number;
  message: string;
  fix: string;
}

/** What the scanner found in one submission: counts per severity, the findings, and what it could not read. */
export interface SubmissionScan {
  critical: number;
  high: number;
  medium: number;
  low: number;
  /** The findings, most severe first; at most {@link MAX_LISTED_FINDINGS} (the counts are complete). */
  findings: SubmissionFinding[];
  /** Files given that were not scanned (binary, no language by name, `#!` line or how the command runs them, or past the budget). */
  unscanned: string[];
  /** True when code was left unscanned because the submission is over {@link MAX_SCANNED_BYTES}: the scan step then denies. */
  overBudget: boolean;
}

/**
 * Source text scanned per submission. The scan runs on the host, before the sandbox, so it is
 * bounded: about a second of parsing at the slowest grammar (shell, ~1 MB/s). Code past it is
 * not scanned, and a scan that could not read everything denies (unless the policy says `deny: none`).
 */
export const MAX_SCANNED_BYTES = 1024 * 1024;

/** Findings listed in a summary: it travels in every decision's context, so it stays small. */
export const MAX_LISTED_FINDINGS = 20;

/** The file the sandbox writes `code` to, per language (as run.ts names it), and the scanner's language for it. */
const CODE_FILES: Record<SandboxLanguage, { file: string; language: ScanLanguage }> = {
  python: { file: 'main.py', language: 'python' },
  node: { file: 'main.mjs', language: 'javascript' },
  bash: { file: 'main.sh', language: 'shell' },
};

/** Interpreters a command may start, the scanner's language for their code, and the flags that take inline code. */
const INTERPRETERS: readonly { names: RegExp; language: ScanLanguage; inline: ReadonlySet<string> }[] = [
  { names: /^(?:ba|da|z|k)?sh$/, language: 'shell', inline: new Set(['-c']) },
  { names: /^python[0-9.]*$/, language: 'python', inline: new Set(['-c']) },
  { names: /^node(?:js)?$/, language: 'javascript', inline: new Set(['-e', '--eval', '-p', '--print']) },
];

type Submission = Pick<SandboxRequest, 'language' | 'code' | 'command' | 'files'>;

/**
 * Scans a submission. Never throws: code that does not parse is a `parse-error` finding, and a
 * field of the wrong type is left to the sandbox's own request check (which refuses it).
 */
export async function scanSubmission(submission: Submission): Promise<SubmissionScan> {
  const sources: { file: string; language: ScanLanguage; text: string }[] = [];
  const unscanned: string[] = [];
  const { language, code, command, files } = submission;
  const codeFile = typeof language === 'string' && Object.hasOwn(CODE_FILES, language) ? CODE_FILES[language] : undefined;
  if (codeFile && typeof code === 'string') sources.push({ ...codeFile, text: code });
  // A command's interpreter decides how its inline code and the script it names are read,
  // whatever the script's extension: `python3 notes.txt` is Python.
  const started = Array.isArray(command) ? commandCode(command as readonly unknown[]) : { inline: [], script: undefined };
  sources.push(...started.inline);
  if (files !== null && typeof files === 'object') {
    for (const [file, content] of Object.entries(files)) {
      const text = typeof content === 'string' ? content : content instanceof Uint8Array && !content.includes(0) ? new TextDecoder().decode(content) : undefined;
      const asScript = started.script?.file === file.replace(/^\.\//, '') ? started.script.language : undefined;
      const fileLanguage = text === undefined ? undefined : (asScript ?? languageOf(file, text));
      if (text === undefined || fileLanguage === undefined) unscanned.push(file);
      else sources.push({ file, language: fileLanguage, text });
    }
  }
  const found: Finding[] = [];
  let budget = MAX_SCANNED_BYTES;
  let overBudget = false;
  for (const source of sources) {
    const bytes = Buffer.byteLength(source.text);
    if (bytes > budget) {
      overBudget = true;
      unscanned.push(source.file);
      continue;
    }
    budget -= bytes;
    found.push(...(await scanSource(source)));
  }
  return summarize(found, unscanned, overBudget);
}

/** The inline code of a command (`bash -c '...'`, `python3 -c`, `node -e`) and the script file it runs, if any. */
function commandCode(argv: readonly unknown[]): { inline: { file: string; language: ScanLanguage; text: string }[]; script: { file: string; language: ScanLanguage } | undefined } {
  const program = typeof argv[0] === 'string' ? basename(argv[0]) : '';
  const interpreter = INTERPRETERS.find((candidate) => candidate.names.test(program));
  if (!interpreter) return { inline: [], script: undefined };
  const inline: { file: string; language: ScanLanguage; text: string }[] = [];
  for (let at = 1; at < argv.length; at++) {
    const arg = argv[at];
    if (typeof arg !== 'string') continue;
    if (interpreter.inline.has(arg) && typeof argv[at + 1] === 'string') {
      inline.push({ file: `command[${at + 1}]`, language: interpreter.language, text: argv[at + 1] as string });
      return { inline, script: undefined };
    }
    if (!arg.startsWith('-')) return { inline, script: { file: arg.replace(/^(?:\/work\/|\.\/)/, ''), language: interpreter.language } };
  }
  return { inline, script: undefined };
}

function summarize(found: readonly Finding[], unscanned: string[], overBudget: boolean): SubmissionScan {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const finding of found) counts[finding.severity]++;
  const rank = (severity: Severity): number => SEVERITIES.indexOf(severity);
  const ordered = [...found].sort((a, b) => rank(b.severity) - rank(a.severity) || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  const findings = ordered.slice(0, MAX_LISTED_FINDINGS).map((f) => ({ rule: f.ruleId, severity: f.severity, file: f.file, line: f.line, message: f.message, fix: f.fix }));
  return { ...counts, findings, unscanned, overBudget };
}
