import { runSandboxed } from '../execution/sandbox/run.js';
import type { SandboxProfile } from '../execution/sandbox/profile.js';
import type { SandboxLanguage, SandboxOutcome } from '../execution/sandbox/types.js';
import { DEFAULT_SCAN_WARN, findingsReaching } from '../execution/scan-threshold.js';
import { scanSubmission, type SubmissionFinding, type SubmissionScan } from '../execution/submission-scan.js';
import { profileForTool } from '../execution/tool-profile.js';
import { govern, type GovernedTool, type GovernOptions } from './govern.js';

/**
 * What an agent may ask the sandbox tool for. The profile and the work dir are not among them:
 * they are the deployment's choice (the policy, the factory's options), never the agent's.
 */
export interface SandboxToolArgs {
  language?: SandboxLanguage;
  code?: string;
  command?: readonly string[];
  files?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  stdin?: string;
}

/** The sandbox's outcome, plus the scanner's findings at or above the policy's `warn` threshold (default high). */
export type SandboxToolOutcome = SandboxOutcome & { findings: SubmissionFinding[] };

/** `govern()`'s options, plus the sandbox profile every call of this tool runs under. */
export interface SandboxToolOptions extends Omit<GovernOptions, 'name' | 'callContext'> {
  /** Default `sandbox.run`: the tool name policies match (`tool_name == 'sandbox.run'`). */
  name?: string;
  /**
   * A built-in profile's name or a profile object, used when the policy's `tools:` entry names
   * none; without either, the tool's ring's profile, else `ring3`.
   */
  profile?: string | SandboxProfile;
}

/** What the kernel hands a tool besides its arguments: the signal that aborts the call (the kill switch). */
export interface SandboxToolControl {
  signal?: AbortSignal;
}

/**
 * A governed tool that runs an agent's code or command in the sandbox. Before the kernel
 * decides, the submitted code (its inline command code and files too) is scanned, and the scan
 * rides with the call as `context.scan`: the kernel's scan step denies a finding at or above the
 * policy's `sandbox.scan.deny` (default critical), and conditions can read it. Only an allowed
 * call reaches bubblewrap, under the profile the policy gives the tool. The tool resolves to the
 * sandbox's outcome, a refusal included, so the agent reads why nothing ran.
 */
export function sandboxTool(options: SandboxToolOptions): GovernedTool<(args: SandboxToolArgs) => Promise<SandboxToolOutcome>> {
  const { profile, name = 'sandbox.run', ...governOptions } = options;
  const scans = new WeakMap<object, SubmissionScan>();
  /** The plain copies this tool made of its calls' arguments: only those are scanned and run. */
  const copies = new WeakSet<object>();

  async function runInSandbox(args: SandboxToolArgs, control?: SandboxToolControl): Promise<SandboxOutcome> {
    // Only the fields an agent may set are passed on: a `profile` or `workdir` in the arguments is dropped.
    const { language, code, command, files, env, timeoutMs, stdin } = args ?? {};
    const chosen = profileForTool(governed.kernel.evaluator.requirementsFor(name), profile);
    return runSandboxed({ language, code, command, files, env, timeoutMs, stdin, profile: chosen }, control?.signal ? { signal: control.signal } : {});
  }

  const governed = govern(runInSandbox, {
    ...governOptions,
    name,
    // Scanned here, decided in the kernel: a copy that is not ours (see below) carries no scan, which the scan step refuses.
    callContext: async (args) => {
      const copy = typeof args === 'object' && args !== null ? args : undefined;
      if (copy === undefined || !copies.has(copy)) return { scan: null };
      const scan = await scanSubmission(copy as SandboxToolArgs);
      scans.set(copy, scan);
      return { scan };
    },
  });

  async function sandboxed(args: SandboxToolArgs): Promise<SandboxToolOutcome> {
    // One plain copy, read once: what is scanned is exactly what the kernel copies and the sandbox runs
    // (a getter cannot show the scanner one program and the sandbox another).
    const copy = plainCopy(args);
    if (copy !== undefined) copies.add(copy);
    const outcome = await governed((copy ?? args) as SandboxToolArgs);
    const scan = copy === undefined ? undefined : scans.get(copy);
    const warn = governed.kernel.evaluator.requirementsFor(name).scanWarn ?? DEFAULT_SCAN_WARN;
    return { ...outcome, findings: scan ? findingsReaching(scan, warn) : [] };
  }

  return Object.defineProperties(sandboxed, {
    name: { value: name },
    toolName: { value: governed.toolName },
    evaluator: { value: governed.evaluator },
    audit: { value: governed.audit },
    kernel: { value: governed.kernel },
  }) as unknown as GovernedTool<(args: SandboxToolArgs) => Promise<SandboxToolOutcome>>;
}

/** The agent-settable fields as plain data, each read once; undefined when they cannot be copied (the kernel then refuses the original). */
function plainCopy(args: unknown): object | undefined {
  if (typeof args !== 'object' || args === null) return undefined;
  try {
    const { language, code, command, files, env, timeoutMs, stdin } = args as Record<string, unknown>;
    const picked = Object.fromEntries(Object.entries({ language, code, command, files, env, timeoutMs, stdin }).filter(([, value]) => value !== undefined));
    return structuredClone(picked);
  } catch {
    return undefined;
  }
}
