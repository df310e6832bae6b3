import type { SandboxProfile } from './profile.js';

/** The interpreters the sandbox knows how to start for a `code` request. */
export type SandboxLanguage = 'python' | 'node' | 'bash';

/**
 * What an agent asks the sandbox to run: either `code` in a `language`, or a `command` (argv,
 * never a shell string, so nothing is interpolated on the host).
 */
export interface SandboxRequest {
  language?: SandboxLanguage;
  code?: string;
  command?: readonly string[];
  /** Files written into the work dir before the run: relative path → content. */
  files?: Readonly<Record<string, string | Uint8Array>>;
  /** The only environment variables the process sees, besides PATH, HOME, TMPDIR and LANG. */
  env?: Readonly<Record<string, string>>;
  /** Wall-clock limit; the profile's default when absent, never more than its maximum. */
  timeoutMs?: number;
  /** A built-in profile's name (`ring3`, `ring2`, `ring1`) or a profile object; default `ring3`. */
  profile?: string | SandboxProfile;
  /** Bind this host directory as the work dir instead of a fresh private one (operators' `--workdir`). */
  workdir?: string;
  /** Bytes written to the process's standard input, then closed. */
  stdin?: string;
}

/**
 * Whether cgroup memory and pids limits were applied to a run (and if not, why). For a run, the
 * limits and whether the kernel's OOM killer ended one of its processes; for `cgroupSupport()`,
 * only where the groups would be made.
 */
export type CgroupStatus =
  | { applied: true; path: string; memoryBytes?: number; pids?: number; oomKilled?: boolean }
  | { applied: false; reason: string };

/** How a sandboxed run ended. */
export interface SandboxResult {
  outcome: 'ran';
  /** The process's exit status; null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it (`SIGKILL` after a timeout, `SIGXCPU` at the CPU limit), or null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** True when the stream passed the profile's cap and the rest was discarded. */
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** True when the wall-clock timeout killed the process group. */
  timedOut: boolean;
  durationMs: number;
  profile: string;
  cgroup: CgroupStatus;
}

/** Why the sandbox refused to start a run: nothing was executed. */
export interface SandboxRefusal {
  outcome: 'refused';
  /** A stable code: `sandbox:unavailable`, `sandbox:bad_request`, `sandbox:bad_profile`, `sandbox:setup_failed`. */
  code: string;
  reason: string;
  /** What to do about it. */
  fix: string;
}

/** The sandbox never throws for bad input or a missing bubblewrap: it refuses, and says why. */
export type SandboxOutcome = SandboxResult | SandboxRefusal;
