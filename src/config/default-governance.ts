import { Governance } from './governance.js';
import { defaultConfigPath, loadDeploymentFile, DEFAULT_CONFIG_FILE } from './load-deployment.js';
import { resolve } from 'node:path';

/**
 * The Governance govern() and the adapters use when given neither a kernel nor a governance:
 * the deployment file in effect (`$AGT_CONFIG`, else `./agt.config.yaml`), loaded once per path
 * for the life of the process; null when there is no file, so nothing changes for code that
 * never wrote one.
 */

const loaded = new Map<string, Governance>();

/** The default deployment's Governance, or null without a deployment file. Throws DeploymentConfigError for a bad file. */
export function defaultGovernance(): Governance | null {
  const path = defaultConfigPath();
  if (path === null) return null;
  let governance = loaded.get(path);
  if (!governance) {
    governance = new Governance(loadDeploymentFile(path, path === resolve(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : path));
    loaded.set(path, governance);
  }
  return governance;
}
