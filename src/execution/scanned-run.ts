import { runSandboxed, type SandboxRunOptions } from './sandbox/run.js';
import type { SandboxOutcome, SandboxRequest } from './sandbox/types.js';
import { DEFAULT_SCAN_DENY, DEFAULT_SCAN_WARN, findingsReaching, reaches, scanDenialReason, type ScanThreshold } from './scan-threshold.js';
import { scanSubmission, type SubmissionFinding } from './submission-scan.js';

/**
 * `execution.sandbox.run`: the sandbox with the scanner in front of it, for code that calls the
 * sandbox directly (no policy, no kernel). The submission is scanned before launch and a finding
 * at or above `scan.deny` (default critical) is a refusal that lists the findings. A governed
 * tool (sandboxTool) does the same through the kernel, where the policy sets the thresholds.
 */

/** The sandbox's run options, plus what scanner findings do (the caller's choice: there is no policy here). */
export interface ScannedRunOptions extends SandboxRunOptions {
  scan?: {
    /** Findings at or above it refuse the run (`sandbox:scan_denied`); `none`: never. Default critical. */
    deny?: ScanThreshold;
    /** Findings at or above it come back in `findings`; default high. */
    warn?: ScanThreshold;
  };
}

/** The sandbox's outcome plus the findings at or above the warn threshold (and, on a scan refusal, those that refused it). */
export type ScannedOutcome = SandboxOutcome & { findings: SubmissionFinding[] };

/** Scans the request's code, inline command code and files, then runs it in the sandbox unless a finding refuses it. Never throws. */
export async function runScanned(request: SandboxRequest, options: ScannedRunOptions = {}): Promise<ScannedOutcome> {
  const { scan: thresholds, ...runOptions } = options;
  const deny = thresholds?.deny ?? DEFAULT_SCAN_DENY;
  const warn = thresholds?.warn ?? DEFAULT_SCAN_WARN;
  const copy = plainRequest(request);
  if (copy === undefined) {
    return { outcome: 'refused', code: 'sandbox:bad_request', reason: 'the request could not be copied as plain data (functions, symbols, proxies?)', fix: 'pass strings, arrays, plain objects and Uint8Array values only', findings: [] };
  }
  const scan = await scanSubmission(copy);
  const denied = scanDenialReason(scan, deny);
  if (denied !== undefined) {
    const findings = scan.findings.filter((found) => reaches(found.severity, deny) || reaches(found.severity, warn));
    return { outcome: 'refused', code: 'sandbox:scan_denied', reason: denied, fix: "change the code as each finding's fix says; a deployment that accepts the risk raises options.scan.deny", findings };
  }
  return { ...(await runSandboxed(copy, runOptions)), findings: findingsReaching(scan, warn) };
}

/** The request read once into plain data, so the scanner and the sandbox see the same program. */
function plainRequest(request: SandboxRequest): SandboxRequest | undefined {
  if (typeof request !== 'object' || request === null) return {} as SandboxRequest; // the sandbox's request check refuses it
  try {
    return structuredClone({ ...request });
  } catch {
    return undefined;
  }
}
