/**
 * `agent-governance-toolkit/execution`: the sandbox for code and commands an agent asks to run
 * (bubblewrap, no Docker), the static code scanner, and the governed sandbox tool.
 */
import { runScanned } from '../execution/scanned-run.js';

/**
 * The execution API as one object: `execution.sandbox.run({ language: 'python', code, files, env,
 * timeoutMs })` scans the submission, then runs it in the sandbox (see {@link runScanned}).
 */
export const execution = { sandbox: { run: runScanned } } as const;

export { runScanned } from '../execution/scanned-run.js';
export type { ScannedOutcome, ScannedRunOptions } from '../execution/scanned-run.js';
export { runSandboxed, sandboxAvailability, BUILTIN_PROFILES, DEFAULT_PROFILE } from '../execution/sandbox/index.js';
export type { SandboxRunOptions, SandboxAvailability, ResourceLimits, SandboxProfile } from '../execution/sandbox/index.js';
export type { CgroupStatus, SandboxLanguage, SandboxOutcome, SandboxRefusal, SandboxRequest, SandboxResult } from '../execution/sandbox/index.js';
export { sandboxTool } from '../kernel/sandbox-tool.js';
export type { SandboxToolArgs, SandboxToolControl, SandboxToolOptions, SandboxToolOutcome } from '../kernel/sandbox-tool.js';
export { scanSubmission, MAX_LISTED_FINDINGS, MAX_SCANNED_BYTES } from '../execution/submission-scan.js';
export type { SubmissionFinding, SubmissionScan } from '../execution/submission-scan.js';
export { DEFAULT_SCAN_DENY, DEFAULT_SCAN_WARN } from '../execution/scan-threshold.js';
export type { ScanThreshold } from '../execution/scan-threshold.js';
export { scanPaths, scanSource, toSarif, RULES, listRules, SEVERITIES } from '../execution/scanner/index.js';
export type { Finding, RuleId, ScanLanguage, ScanNote, ScanOptions, ScanReport, ScanRule, Severity, SourceRange, SourceText } from '../execution/scanner/index.js';
