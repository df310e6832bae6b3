import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeploymentConfigError } from '../../src/config/config-error.js';
import { loadDeployment } from '../../src/config/load-deployment.js';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { writeAgentKeyFile } from '../../src/identity/key-file.js';

/**
 * agt.config.yaml: every problem is an error located at `file:line: key: what is wrong; the fix`,
 * never a stack trace and never a silent default.
 */

const dirs: string[] = [];
afterEach(() => dirs.splice(0));

function project(yaml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'agt-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, 'agt.config.yaml'), yaml);
  return join(dir, 'agt.config.yaml');
}

function problemOf(path: string): string {
  try {
    loadDeployment(path);
  } catch (error) {
    expect(error).toBeInstanceOf(DeploymentConfigError);
    return (error as Error).message;
  }
  throw new Error('the file loaded');
}

const ISSUER = generateAgentKey();
const GOOD = `version: 1
policy: policies/
audit: { store: .agt/audit.db }
state: { path: memory }
identity:
  mode: zero-trust
  audience: agt://my-project
  freshness: 30s
  clock_skew: 2000
  session: { ttl: 5m }
  issuers:
    - did: ${ISSUER.did}
`;

describe('agt.config.yaml', () => {
  it('loads a good file: durations in ms, paths resolved against the file, defaults filled', () => {
    const path = project(GOOD, { 'policies/p.yaml': 'name: p\nrules: []\n' });
    const config = loadDeployment(path);
    const dir = join(path, '..');
    expect(config.policy).toBe(join(dir, 'policies'));
    expect(config.audit).toEqual({ kind: 'sqlite', path: join(dir, '.agt/audit.db') });
    expect(config.state).toEqual({ kind: 'memory' });
    expect(config.identity).toMatchObject({ mode: 'zero-trust', audience: 'agt://my-project', freshnessMs: 30_000, clockSkewMs: 2_000, sessionTtlMs: 300_000, replayCacheCapacity: 100_000, maxDelegationDepth: 5 });
    expect(config.identity?.issuers.dids()).toEqual([ISSUER.did]);
  });

  it('an unknown key is located and the nearest known key suggested', () => {
    const path = project(GOOD.replace('freshness: 30s', 'fresness: 30s'), { 'policies/p.yaml': 'name: p\nrules: []\n' });
    expect(problemOf(path)).toBe(`${path}:8: identity.fresness: unknown key 'fresness'; did you mean 'freshness'?`);
  });

  it('a misspelt top-level key suggests the right one', () => {
    const path = project('version: 1\npolcy: policies/\n');
    expect(problemOf(path)).toMatch(/agt\.config\.yaml:2: polcy: unknown key 'polcy'; did you mean 'policy'\?/);
  });

  it('a bad duration names the line, the key and the accepted forms', () => {
    const path = project(GOOD.replace('freshness: 30s', 'freshness: 30 seconds'), { 'policies/p.yaml': 'name: p\nrules: []\n' });
    expect(problemOf(path)).toBe(`${path}:8: identity.freshness: "30 seconds" is not a duration; write a duration such as 60s, 5m or 1h, or a whole number of milliseconds`);
  });

  it('a wrong type is located', () => {
    const path = project(GOOD.replace('mode: zero-trust', 'mode: zero_trust'), { 'policies/p.yaml': 'name: p\nrules: []\n' });
    expect(problemOf(path)).toMatch(/:6: identity\.mode: "zero_trust" is not one of zero-trust, permissive; did you mean 'zero-trust'\?/);
    const wrongType = project('version: 1\nidentity:\n  mode: permissive\n  audience: [1, 2]\n');
    expect(problemOf(wrongType)).toMatch(/:4: identity\.audience: .*; see docs\/configuration\.md/);
  });

  it('a missing required key says to add it', () => {
    expect(problemOf(project('version: 1\nidentity:\n  mode: permissive\n'))).toMatch(/:3: identity\.audience: required key 'audience' is missing; add it/);
    expect(problemOf(project('policy: x\n'))).toMatch(/version: required key 'version' is missing/);
  });

  it('unreadable YAML is a located syntax error, not a stack trace', () => {
    const message = problemOf(project('version: 1\nidentity: [unclosed\n'));
    expect(message).toMatch(/agt\.config\.yaml:\d+: YAML syntax: .*; fix the YAML syntax at that line/);
    expect(message).not.toMatch(/\n\s+at /);
  });

  it('a missing file, a missing policy and a missing issuer key file are named with the fix', () => {
    expect(() => loadDeployment('/nonexistent/agt.config.yaml')).toThrow(/\/nonexistent\/agt\.config\.yaml: no such file; pass the path of an agt\.config\.yaml/);
    expect(problemOf(project('version: 1\npolicy: nowhere/\n'))).toMatch(/:2: policy: nowhere\/ does not exist \(read as .*\); create it, or correct the path/);
    const keyless = project(`version: 1\nidentity:\n  mode: zero-trust\n  audience: a\n  issuers:\n    - key: keys/issuer.pub.jwk\n`);
    expect(problemOf(keyless)).toMatch(/:6: identity\.issuers\.0\.key: keys\/issuer\.pub\.jwk does not exist/);
  });

  it('refuses a private key where the issuer public key belongs (file or inline)', () => {
    const path = project(`version: 1\nidentity:\n  mode: zero-trust\n  audience: a\n  issuers:\n    - key: keys/issuer.jwk\n`);
    mkdirSync(join(path, '..', 'keys'));
    expect(writeAgentKeyFile(join(path, '..', 'keys', 'issuer.jwk'), ISSUER).ok).toBe(true);
    const message = problemOf(path);
    expect(message).toMatch(/:6: identity\.issuers\.0\.key: .*private key \('d'\) where a public key is expected.*; name the issuer's PUBLIC JWK file/);
    expect(message).not.toContain(ISSUER.privateJwk().d);
    const inline = project(`version: 1\nidentity:\n  mode: zero-trust\n  audience: a\n  issuers:\n    - jwk: ${JSON.stringify(ISSUER.privateJwk())}\n`);
    const inlineMessage = problemOf(inline);
    expect(inlineMessage).toMatch(/identity\.issuers\.0: .*private key/);
    expect(inlineMessage).not.toContain(ISSUER.privateJwk().d);
  });

  it('accepts a public key file and a public inline JWK', () => {
    const path = project(`version: 1\nstate: { path: memory }\nidentity:\n  mode: zero-trust\n  audience: a\n  issuers:\n    - key: issuer.pub.jwk\n    - jwk: ${JSON.stringify(generateAgentKey().publicJwk())}\n`, { 'issuer.pub.jwk': JSON.stringify(ISSUER.publicJwk()) });
    chmodSync(join(path, '..', 'issuer.pub.jwk'), 0o644);
    expect(loadDeployment(path).identity?.issuers.dids()).toHaveLength(2);
  });

  it('a malformed issuer DID is located', () => {
    expect(problemOf(project('version: 1\nidentity:\n  mode: zero-trust\n  audience: a\n  issuers:\n    - did: did:key:nonsense\n'))).toMatch(/:6: identity\.issuers\.0: /);
  });

  it('zero-trust that trusts nobody is an error, not a deployment that denies everything silently', () => {
    expect(problemOf(project('version: 1\nidentity:\n  mode: zero-trust\n  audience: a\n'))).toMatch(/:3: identity: zero-trust mode .* trusts nobody.*; add `issuers:`/);
  });

  it('reports every problem, not just the first', () => {
    const message = problemOf(project('version: 2\nidentity:\n  mode: permissive\n  audience: a\n  freshness: soon\n  sesion: {}\n'));
    expect(message.split('\n')).toHaveLength(3);
  });

  it('a config object of the same shape is validated the same way', () => {
    expect(() => loadDeployment({ version: 1, identity: { mode: 'permissive', audience: 'a', freshness: 'x' } })).toThrow(/<config object>: identity\.freshness: "x" is not a duration/);
    expect(loadDeployment({ version: 1, state: { path: 'memory' }, identity: { mode: 'permissive', audience: 'a', freshness: '1m' } }).identity?.freshnessMs).toBe(60_000);
  });

  it('hostile files: huge, and an alias bomb, are refused with a location', () => {
    expect(problemOf(project(`version: 1\n# ${'x'.repeat(300 * 1024)}\n`))).toMatch(/larger than the limit/);
    const bomb = ['version: 1', 'a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(10).fill(`*${i === 0 ? 'a' : 'b'.repeat(i)}`).join(', ')}]`)].join('\n');
    expect(problemOf(project(bomb))).toMatch(/agt\.config\.yaml/);
  });
});
