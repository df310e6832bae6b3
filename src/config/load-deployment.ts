import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DeploymentConfigError } from './config-error.js';
import { readDeploymentFile, validateDeploymentData } from './read-config.js';
import { baseDirOf, DEFAULT_DEPLOYMENT, resolveDeployment, type DeploymentConfig } from './resolve-config.js';
import type { DeploymentFile } from './schema.js';

/** Where a deployment comes from: a file path, or a config object of the file's shape. */
export type DeploymentSource = string | DeploymentFile;

/** The file name looked for in the working directory. */
export const DEFAULT_CONFIG_FILE = 'agt.config.yaml';

/**
 * The deployment file in effect when none is named: `$AGT_CONFIG` (which must exist: a named
 * file that is missing is an error, never a silent fallback), else `./agt.config.yaml` when
 * present, else null (no file: today's behaviour).
 */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const named = env.AGT_CONFIG;
  if (named !== undefined && named !== '') {
    if (!existsSync(named)) throw new DeploymentConfigError([{ severity: 'error', code: 'no-such-file', file: named, message: 'AGT_CONFIG names a deployment file that does not exist', hint: 'correct AGT_CONFIG, or unset it' }]);
    return resolve(named);
  }
  return existsSync(DEFAULT_CONFIG_FILE) ? resolve(DEFAULT_CONFIG_FILE) : null;
}

/** Loads and resolves a deployment. Throws DeploymentConfigError with every located problem. */
export function loadDeployment(source?: DeploymentSource, baseDir?: string): DeploymentConfig {
  if (source === undefined) {
    const path = defaultConfigPath();
    return path === null ? DEFAULT_DEPLOYMENT : loadDeploymentFile(path, path === resolve(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : path);
  }
  if (typeof source === 'string') return loadDeploymentFile(source);
  return resolveDeployment(validateDeploymentData(source, '<config object>'), resolve(baseDir ?? '.'), null);
}

/** Loads the file at `path` (named `label` in messages); its relative paths start at its directory. */
export function loadDeploymentFile(path: string, label = path): DeploymentConfig {
  return resolveDeployment(readDeploymentFile(path, label), baseDirOf(path), resolve(path));
}
