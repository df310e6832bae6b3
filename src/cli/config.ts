import type { Command } from 'commander';
import { createGovernance, type Governance } from '../config/governance.js';
import { DEFAULT_CONFIG_FILE } from '../config/load-deployment.js';

/**
 * The deployment file for CLI commands: the program-level `--config <path>` (default
 * `./agt.config.yaml` when present, or `$AGT_CONFIG`). A bad file is a DeploymentConfigError,
 * which `agt` prints as located lines and exits 2 with, never a stack trace.
 */

/** Registers `--config <path>` on the program; subcommands read it with {@link configFlagOf}. */
export function registerConfigOption(program: Command): void {
  program.option('--config <path>', `deployment file (default: ./${DEFAULT_CONFIG_FILE} when present, or $AGT_CONFIG)`);
}

/** The `--config` value a command was run with (given before or after the subcommand), if any. */
export function configFlagOf(command: Command): string | undefined {
  const value: unknown = command.optsWithGlobals().config;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The Governance a CLI command works with: the file named by `--config`, else the deployment
 * file in effect, else the defaults (no identity, memory stores: `governance.config.file` is then
 * null, and a command that needs durable state should say so). Throws DeploymentConfigError.
 */
export function governanceFor(flag: string | undefined): Governance {
  return createGovernance(flag);
}
