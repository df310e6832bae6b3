import { constants as osConstants } from 'node:os';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { BUILTIN_PROFILES, DEFAULT_PROFILE, sandbox, type SandboxOutcome } from '../execution/sandbox/index.js';

/** Exit status of a refused run: distinct from the command's own statuses and from agt's usage errors. */
export const SANDBOX_REFUSED_EXIT = 3;
/** Exit status of a run the wall-clock timeout killed, as timeout(1) reports it. */
export const SANDBOX_TIMEOUT_EXIT = 124;

interface SandboxRunOptions {
  profile: string;
  timeout?: number;
  workdir?: string;
  json?: boolean;
}

const HELP = `
Runs the command exactly as the sandbox runs one for a tool: every namespace unshared (no
network unless the profile allows it), a read-only system, a private work dir (or --workdir,
bound read-write and used as the sandbox user), a cleared environment and the profile's limits.

Profiles: ${Object.entries(BUILTIN_PROFILES).map(([name, p]) => `${name} (${p.network ? 'network' : 'no network'}, ${p.limits.cpuSeconds} s CPU, timeout ${p.defaultTimeoutMs} ms)`).join('; ')}.

Exit codes: the command's own status; 128+N when signal N ended it; 124 when the timeout killed
it; 3 when the sandbox refused to run it (no bubblewrap, a bad profile or request), with the reason.

Examples:
  agt sandbox run -- python3 -c 'print(1)'
  agt sandbox run --profile ring2 --timeout 5000 -- bash -c 'ls /etc'
  agt sandbox run --workdir ./scratch -- python3 job.py`;

/** `agt sandbox run`: try a sandbox profile by hand. */
export function registerSandboxRun(sandboxCommand: Command): void {
  sandboxCommand
    .command('run')
    .description('run a command in the sandbox, as a governed tool would')
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('--profile <name>', `sandbox profile: ${Object.keys(BUILTIN_PROFILES).join(', ')}`, DEFAULT_PROFILE)
    .option('--timeout <ms>', 'wall-clock limit in milliseconds (default: the profile\'s)', parseMilliseconds)
    .option('--workdir <dir>', 'bind this directory as the work dir instead of a fresh private one')
    .option('--json', 'print the whole result as JSON instead of replaying the output')
    .addHelpText('after', HELP)
    .action(async (command: string[], options: SandboxRunOptions) => {
      const outcome = await sandbox.run({ command, profile: options.profile, timeoutMs: options.timeout, workdir: options.workdir });
      if (options.json) process.stdout.write(JSON.stringify(outcome, null, 2) + '\n');
      else report(outcome);
      process.exitCode = exitCode(outcome);
    });
}

function report(outcome: SandboxOutcome): void {
  if (outcome.outcome === 'refused') {
    process.stderr.write(`agt sandbox: refused (${outcome.code}): ${outcome.reason}\n  fix: ${outcome.fix}\n`);
    return;
  }
  process.stdout.write(outcome.stdout);
  process.stderr.write(outcome.stderr);
  if (outcome.stdoutTruncated || outcome.stderrTruncated) process.stderr.write('agt sandbox: output was cut at the profile\'s cap\n');
  if (outcome.timedOut) process.stderr.write(`agt sandbox: killed after the ${outcome.durationMs} ms timeout\n`);
  else if (outcome.signal) process.stderr.write(`agt sandbox: ended by ${outcome.signal}\n`);
}

function exitCode(outcome: SandboxOutcome): number {
  if (outcome.outcome === 'refused') return SANDBOX_REFUSED_EXIT;
  if (outcome.timedOut) return SANDBOX_TIMEOUT_EXIT;
  if (outcome.signal) return 128 + (osConstants.signals[outcome.signal as NodeJS.Signals] ?? 0);
  return outcome.exitCode ?? 1;
}

function parseMilliseconds(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(ms) || ms <= 0) throw new InvalidArgumentError(`'${value}' is not a whole number of milliseconds; e.g. --timeout 5000`);
  return ms;
}
