import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { createGovernance } from '../../src/config/governance.js';
import { spiffeFixtures } from '../identity/spiffe-fixtures.js';

/**
 * A deployment's OIDC and SPIFFE verifiers read the deployment's revocation list: `agt identity
 * revoke` run as its own process against the same state store refuses the very next action of
 * an already-running Governance, whatever the proof kind.
 */

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const ISSUER = 'https://login.example.com/tenant-a/v2.0';
const fx = spiffeFixtures();
const dir = mkdtempSync(join(tmpdir(), 'agt-revoke-wiring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const oidcKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const svidKey = createPrivateKey(fx.key('leaf'));
const jwk = (key: Parameters<typeof createPublicKey>[0], kid: string): JWK => ({ ...(createPublicKey(key).export({ format: 'jwk' }) as JWK), kid });
mkdirSync(join(dir, 'policies'));
writeFileSync(join(dir, 'policies', 'reads.yaml'), `apiVersion: governance.toolkit/v1
name: reads
default_action: deny
tools:
  crm.read: { read_only: true } # ring 3: OIDC and SPIFFE agents granted no ring act at ring 3
rules:
  - name: reads
    condition: "tool_name == 'crm.read'"
    action: allow
`);
writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk(oidcKey.privateKey, 'k1')] }));
writeFileSync(join(dir, 'svid.jwks.json'), JSON.stringify({ keys: [jwk(svidKey, 'svid-1')] }));
writeFileSync(join(dir, 'bundle.pem'), fx.pem.root);
writeFileSync(join(dir, 'agt.config.yaml'), `version: 1
policy: policies/
audit: { store: memory }
state: { path: .agt/state.db }
identity:
  mode: zero-trust
  audience: agt://wiring
  oidc:
    - issuer: ${ISSUER}
      audience: api://agt
      jwks_file: jwks.json
      defaults: { tools: ['crm.*'] }
  spiffe:
    trust_domain: example.org
    bundle: bundle.pem
    jwt_bundle: svid.jwks.json
    audience: spiffe://example.org/api
    grants: { defaults: { tools: ['crm.*'] } }
`);

const seconds = (): number => Math.floor(Date.now() / 1000);
const bearer = (claims: JWTPayload): Promise<string> =>
  new SignJWT({ iss: ISSUER, aud: 'api://agt', exp: seconds() + 600, ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(oidcKey.privateKey);
const jwtSvid = (sub: string): Promise<string> =>
  new SignJWT({ sub, aud: 'spiffe://example.org/api', exp: seconds() + 300 }).setProtectedHeader({ alg: 'ES256', kid: 'svid-1' }).sign(svidKey);

/** `agt identity revoke ID --config` as its own process, as an operator runs it. */
function revokeInAnotherProcess(id: string): void {
  const run = spawnSync(process.execPath, [AGT, 'identity', 'revoke', id, '--config', 'agt.config.yaml', '--json'], { cwd: dir, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
}

describe('revocation through the deployment, on every proof kind', () => {
  const governance = createGovernance(join(dir, 'agt.config.yaml'));
  afterAll(() => governance.close());
  const kernel = governance.kernel();
  const decide = async (proof: unknown): Promise<string> => {
    const outcome = await kernel.handle({ tool: 'crm.read', args: { id: 1 }, proof }, () => 'row');
    return outcome.kind === 'output' ? 'allow' : outcome.kind === 'refused' ? outcome.decision.reason : outcome.kind;
  };

  it.each([
    ['an OIDC subject', 'agent-sub', async () => ({ kind: 'jwt', token: await bearer({ sub: 'agent-sub', jti: 'tok-a' }) })],
    ["an OIDC token's jti", 'tok-b', async () => ({ kind: 'jwt', token: await bearer({ sub: 'agent-jti', jti: 'tok-b' }) })],
    ["an X.509-SVID's SPIFFE ID", 'spiffe://example.org/ns/prod/sa/billing', async () => ({ kind: 'spiffe-x509', chain: fx.pem.leaf + fx.pem.intermediate })],
    ['one X.509-SVID certificate (fingerprint)', new X509Certificate(fx.pem.directLeaf).fingerprint256, async () => ({ kind: 'spiffe-x509', chain: fx.pem.directLeaf })],
    ["a JWT-SVID's SPIFFE ID", 'spiffe://example.org/reports', async () => ({ kind: 'spiffe-jwt', token: await jwtSvid('spiffe://example.org/reports') })],
  ])('%s revoked in another process: the running deployment denies the next action identity:revoked', async (_what, id, proof) => {
    expect(await decide(await proof())).toBe('allow');
    revokeInAnotherProcess(id);
    expect(await decide(await proof())).toMatch(/^identity:revoked: /);
    const entry = [...governance.audit.entries()].at(-1);
    expect(entry).toMatchObject({ verdict: 'deny' });
    expect(JSON.stringify(entry)).not.toContain('eyJ'); // no token in the audit entry
  });

  it('revoking a trust domain refuses every workload of it, by either SVID kind; OIDC agents are untouched', async () => {
    const shortLeaf = { kind: 'spiffe-x509', chain: fx.pem.shortLeaf + fx.pem.intermediate };
    const other = { kind: 'spiffe-jwt', token: await jwtSvid('spiffe://example.org/other') };
    expect(await decide(shortLeaf)).toBe('allow');
    expect(await decide(other)).toBe('allow');
    revokeInAnotherProcess('spiffe://example.org');
    expect(await decide(shortLeaf)).toMatch(/^identity:revoked: the SVID's trust domain was revoked/);
    expect(await decide({ ...other, token: await jwtSvid('spiffe://example.org/other') })).toMatch(/^identity:revoked: the JWT-SVID's trust domain/);
    expect(await decide({ kind: 'jwt', token: await bearer({ sub: 'still-fine', jti: 'tok-z' }) })).toBe('allow');
  });
});
