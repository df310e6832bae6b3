import type { Command } from 'commander';
import { DeploymentConfigError } from '../config/config-error.js';
import { defaultConfigPath, loadDeploymentFile } from '../config/load-deployment.js';
import { DEFAULT_DEPLOYMENT, DEFAULT_STATE_STORE, type DeploymentConfig } from '../config/resolve-config.js';
import { EXIT, ReportedFailure, UsageError } from './errors.js';
import { requireReadableFile } from './paths.js';

/**
 * The deployment an identity command runs in: `--config FILE` (on the command or the program),
 * else `$AGT_CONFIG`, else `./agt.config.yaml` when present, else the embedded defaults. A bad
 * file is every located problem on stderr (`error: agt.config.yaml:7: identity.audience: ...`),
 * exit 2, never a stack trace.
 */
export function deploymentOf(command: Command): DeploymentConfig {
  const flag = (command.optsWithGlobals() as { config?: unknown }).config;
  try {
    if (typeof flag === 'string') {
      requireReadableFile(flag, 'a deployment file', 'pass --config the path of an agt.config.yaml (`agt init` writes one)');
      return loadDeploymentFile(flag);
    }
    const path = defaultConfigPath();
    return path === null ? DEFAULT_DEPLOYMENT : loadDeploymentFile(path, path);
  } catch (error) {
    if (!(error instanceof DeploymentConfigError)) throw error;
    process.stderr.write(error.message.split('\n').map((line) => `error: ${line}`).join('\n') + '\n');
    throw new ReportedFailure(EXIT.usage);
  }
}

/** What the identity commands need from the deployment. */
export interface IdentityDeployment {
  /** `identity.audience`, when the deployment has an identity section. */
  readonly audience: string | undefined;
  /** The SQLite state store (replay cache, revocations) every process on the machine shares. */
  readonly statePath: string;
}

/** The embedded default state store when no deployment file names one. */
export const DEFAULT_STATE_PATH = DEFAULT_STATE_STORE;

/** The audience and state store `command` uses; a deployment that keeps state in memory cannot take a revocation from another process. */
export function identityDeployment(command: Command): IdentityDeployment {
  const deployment = deploymentOf(command);
  const audience = deployment.identity?.audience;
  if (deployment.file === null) return { audience, statePath: DEFAULT_STATE_PATH };
  if (deployment.state.kind === 'memory') {
    throw new UsageError(`${deployment.label} keeps state in memory, so no other process would see a revocation; set state: { path: .agt/state.db } in it`);
  }
  return { audience, statePath: deployment.state.path };
}
