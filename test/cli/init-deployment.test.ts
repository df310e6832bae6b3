import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { governanceFor } from '../../src/cli/config.js';
import { readAgentKeyFile } from '../../src/identity/key-file.js';
import { isFailure } from '../../src/identity/did-key.js';

/** `agt init` writes a zero-trust deployment with a fresh issuer key; the CLI reads it through governanceFor. */

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const agt = (args: string[], cwd: string) => spawnSync(process.execPath, [AGT, ...args], { cwd, encoding: 'utf8' });
const scratch = () => mkdtempSync(join(tmpdir(), 'agt-init-deploy-'));

describe('agt init: the deployment', () => {
  it('writes agt.config.yaml in zero-trust mode trusting a fresh issuer key (0600) that loads as a Governance', () => {
    const root = scratch();
    const result = agt(['init', '--json'], root);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { written: string[]; issuer: string };
    expect(report.written).toEqual(expect.arrayContaining(['keys/issuer.jwk', 'agt.config.yaml']));
    const key = readAgentKeyFile(join(root, 'keys/issuer.jwk'));
    if (isFailure(key)) throw new Error(key.message);
    expect(statSync(join(root, 'keys/issuer.jwk')).mode & 0o777).toBe(0o600);
    expect(report.issuer).toBe(key.did);
    const text = readFileSync(join(root, 'agt.config.yaml'), 'utf8');
    expect(text).toContain(`did: ${key.did}`);
    expect(text).not.toContain(key.privateJwk().d);
    const governance = governanceFor(join(root, 'agt.config.yaml'));
    try {
      expect(governance.config.identity).toMatchObject({ mode: 'zero-trust' });
      expect(governance.config.identity?.issuers.dids()).toEqual([key.did]);
      expect(governance.config.state).toEqual({ kind: 'sqlite', path: join(root, '.agt/state.db') });
    } finally {
      governance.close();
    }
  });

  it('never overwrites an issuer key, and keeps an existing deployment file', () => {
    const root = scratch();
    expect(agt(['init'], root).status).toBe(0);
    const key = readFileSync(join(root, 'keys/issuer.jwk'), 'utf8');
    writeFileSync(join(root, 'agt.config.yaml'), 'version: 1\n');
    const again = agt(['init', '--template', 'sql-agent'], root);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('kept agt.config.yaml');
    expect(readFileSync(join(root, 'keys/issuer.jwk'), 'utf8')).toBe(key);
    expect(readFileSync(join(root, 'agt.config.yaml'), 'utf8')).toBe('version: 1\n');
  });

  it('reuses an existing issuer key when the deployment file is missing', () => {
    const root = scratch();
    agt(['init'], root);
    const first = readFileSync(join(root, 'agt.config.yaml'), 'utf8');
    const did = /did: (did:key:\w+)/.exec(first)?.[1];
    rmSync(join(root, 'agt.config.yaml'));
    rmSync(join(root, 'policies'), { recursive: true });
    expect(agt(['init'], root).status).toBe(0);
    expect(readFileSync(join(root, 'agt.config.yaml'), 'utf8')).toContain(`did: ${did}`);
  });

  it('a bad deployment file is a located error for the CLI (DeploymentConfigError), never a stack trace', () => {
    const root = scratch();
    writeFileSync(join(root, 'agt.config.yaml'), 'version: 1\nidentty: {}\n');
    expect(() => governanceFor(join(root, 'agt.config.yaml'))).toThrow(/agt\.config\.yaml:2: identty: unknown key 'identty'; did you mean 'identity'\?/);
  });
});
