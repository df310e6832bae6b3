import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createGovernance, type Governance } from '../../src/config/governance.js';
import type { AgentKey } from '../../src/identity/agent-key.js';
import { issueCredential, type CredentialGrant } from '../../src/identity/credential.js';
import { isFailure } from '../../src/identity/did-key.js';

/**
 * A real deployment for tests: a folder with `policies/<name>.yaml` and a zero-trust
 * `agt.config.yaml` trusting one issuer, its state in `.agt/state.db` (SQLite), its audit in
 * memory. Two Governance instances on one file behave as two processes of one machine.
 */
export interface TestDeployment {
  readonly dir: string;
  /** The agt.config.yaml. */
  readonly path: string;
}

/** Writes the deployment; `identityExtra` is YAML appended under `identity:` (indented two spaces). */
export function writeDeployment(options: { issuer: AgentKey; audience: string; policy: string; identityExtra?: string }): TestDeployment {
  const dir = mkdtempSync(join(tmpdir(), 'agt-deployment-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'policy.yaml'), options.policy);
  const path = join(dir, 'agt.config.yaml');
  writeFileSync(path, `version: 1\npolicy: policies/\naudit: { store: memory }\nstate: { path: .agt/state.db }\nidentity:\n  mode: zero-trust\n  audience: ${options.audience}\n${options.identityExtra ?? ''}  issuers:\n    - did: ${options.issuer.did}\n`);
  return { dir, path };
}

/** A credential from `issuer` for `agent`: ring 2, tools `crm.*`, trust 600, one hour, unless `grant` says otherwise. */
export async function credentialFor(issuer: AgentKey, agent: AgentKey, grant: Partial<CredentialGrant> = {}): Promise<string> {
  const issued = await issueCredential(issuer, { subject: agent.did, ring: 2, roles: [], tools: ['crm.*'], trust: 600, ttlSeconds: 3600, ...grant });
  if (isFailure(issued)) throw new Error(issued.message);
  return issued.token;
}

/** Opens Governance instances that are closed after each test. Call once at module level. */
export function governances(): (source: NonNullable<Parameters<typeof createGovernance>[0]>) => Governance {
  const open: Governance[] = [];
  afterEach(() => {
    for (const g of open.splice(0)) g.close();
  });
  return (source) => {
    const g = createGovernance(source);
    open.push(g);
    return g;
  };
}
