import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { generateAgentKey, type AgentKey } from '../identity/agent-key.js';
import { isFailure } from '../identity/did-key.js';
import { readAgentKeyFile, writeAgentKeyFile } from '../identity/key-file.js';
import { DEFAULT_CONFIG_FILE } from '../config/load-deployment.js';
import { UsageError } from './errors.js';

/**
 * `agt init`'s deployment: `agt.config.yaml` in zero-trust mode, trusting a fresh issuer key
 * (`keys/issuer.jwk`, 0600, created exclusively: an existing key is reused, never overwritten).
 * An existing deployment file is kept as it is: it may name keys and stores already in use.
 */

/** The project-relative path of the issuer's private key. */
export const ISSUER_KEY_FILE = 'keys/issuer.jwk';

/** What {@link writeDeployment} did. */
export interface DeploymentWritten {
  readonly config: string;
  readonly configWritten: boolean;
  readonly issuerKey: string;
  readonly issuerKeyWritten: boolean;
  /** The issuer's did:key (null when an existing config was kept and no key file is there). */
  readonly issuerDid: string | null;
}

/** Writes the deployment file and issuer key into `dir` where they are missing. */
export function writeDeployment(dir: string): DeploymentWritten {
  const config = join(dir, DEFAULT_CONFIG_FILE);
  const keyPath = join(dir, ISSUER_KEY_FILE);
  if (existsSync(config)) {
    const key = existsSync(keyPath) ? readAgentKeyFile(keyPath) : null;
    return { config, configWritten: false, issuerKey: keyPath, issuerKeyWritten: false, issuerDid: key && !isFailure(key) ? key.did : null };
  }
  const { key, written } = issuerKey(keyPath);
  const text = deploymentText(key.did, audienceFor(dir));
  try {
    writeFileSync(config, text, { flag: 'wx' });
  } catch (error) {
    throw new UsageError(`cannot write ${config} (${(error as NodeJS.ErrnoException).code ?? 'I/O error'})`);
  }
  return { config, configWritten: true, issuerKey: keyPath, issuerKeyWritten: written, issuerDid: key.did };
}

function issuerKey(path: string): { key: AgentKey; written: boolean } {
  if (existsSync(path)) {
    const existing = readAgentKeyFile(path);
    if (isFailure(existing)) throw new UsageError(`${existing.message}; or move it away and run agt init again for a fresh issuer key`);
    return { key: existing, written: false };
  }
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const key = generateAgentKey();
  const written = writeAgentKeyFile(path, key);
  if (isFailure(written)) throw new UsageError(written.message);
  return { key, written: true };
}

/** `agt://<project folder name>`, in the characters an audience is safe to carry. */
function audienceFor(dir: string): string {
  const name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '');
  return `agt://${name || 'project'}`;
}

function deploymentText(issuerDid: string, audience: string): string {
  return `# The deployment: where things are (docs/configuration.md). What is allowed lives in policies/.
version: 1
policy: policies/
audit: { store: .agt/audit.db }
state: { path: .agt/state.db }     # replay cache and revocations, shared by every process here
identity:
  mode: zero-trust                 # every action must carry a proof; agents are what credentials say
  audience: ${audience}
  freshness: 60s
  clock_skew: 5s
  session: { ttl: 5m }
  issuers:
    - did: ${issuerDid}   # ${ISSUER_KEY_FILE}: the private key, never shared
`;
}
