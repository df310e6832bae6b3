import { runSandboxed } from '../execution/sandbox/run.js';
import type { SandboxProfile } from '../execution/sandbox/profile.js';
import type { SandboxLanguage, SandboxOutcome } from '../execution/sandbox/types.js';
import { govern, type GovernedTool, type GovernOptions } from './govern.js';
import { currentSignal } from './tool-signal.js';

/**
 * What an agent may ask the sandbox tool for. The profile and the work dir are not among them:
 * they are the deployment's choice (the factory's options), never the agent's.
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

/** `govern()`'s options, plus the sandbox profile every call of this tool runs under. */
export interface SandboxToolOptions extends Omit<GovernOptions, 'name'> {
  /** Default `sandbox.run`: the tool name policies match (`tool_name == 'sandbox.run'`). */
  name?: string;
  /** A built-in profile's name or a profile object; default `ring3`. */
  profile?: string | SandboxProfile;
}

/**
 * A governed tool that runs an agent's code or command in the sandbox: the policy decides each
 * call first (its arguments are what the policy sees: `args.language`, `args.code`,
 * `args.command`), and only an allowed call reaches bubblewrap. The tool resolves to the sandbox's
 * outcome, a refusal included, so the agent reads why nothing ran.
 */
export function sandboxTool(options: SandboxToolOptions): GovernedTool<(args: SandboxToolArgs) => Promise<SandboxOutcome>> {
  const { profile, name = 'sandbox.run', ...governOptions } = options;
  async function runInSandbox(args: SandboxToolArgs): Promise<SandboxOutcome> {
    // Only the fields an agent may set are passed on: a `profile` or `workdir` in the arguments is dropped.
    const { language, code, command, files, env, timeoutMs, stdin } = args ?? {};
    // The call's signal: a kill SIGKILLs the sandbox's whole process group.
    const signal = currentSignal();
    return runSandboxed({ language, code, command, files, env, timeoutMs, stdin, profile }, signal ? { signal } : {});
  }
  return govern(runInSandbox, { ...governOptions, name });
}
