import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteTrustScoreStore } from '../../src/state/sqlite-trust-score-store.js';

// `agt policy eval --config`: signed requests decided by one kernel of the deployment.

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const dir = mkdtempSync(join(tmpdir(), 'agt-eval-config-'));
const { AGT_CONFIG: _c, AGT_AUDIT_STORE: _s, ...inherited } = process.env;

function agt(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [AGT, ...args], { cwd: dir, input, encoding: 'utf8', env: { ...inherited, NO_COLOR: '1' } });
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const issuer = agt(['identity', 'new', '--out', 'issuer.jwk']).stdout.trim();
const did = agt(['identity', 'new', '--out', 'agent.jwk']).stdout.trim();
mkdirSync(join(dir, 'policies'));
writeFileSync(join(dir, 'policies/policy.yaml'), "apiVersion: governance.toolkit/v1\nname: p\ndefault_action: deny\nrules:\n  - { name: support, condition: \"'support' in agent.roles\", action: allow }\n");
writeFileSync(join(dir, 'deploy.yaml'), `version: 1\npolicy: policies/\nstate: { path: state.db }\nidentity:\n  mode: zero-trust\n  audience: agt://eval\n  issuers: [ { did: ${issuer} } ]\n`);
agt(['credential', 'issue', '--issuer', 'issuer.jwk', '--subject', did, '--ring', '2', '--roles', 'support', '--tools', 'crm.*', '--ttl', '1h', '--out', 'agent.cred']);

describe('agt policy eval --config', () => {
  it('verifies each line in one process: allowed as the DID, a replayed line denied, a bad line named and the rest decided', () => {
    const sign = agt(['identity', 'sign', '--config', 'deploy.yaml', '--key', 'agent.jwk', '--credential', 'agent.cred', '--input', '-'], '{"tool_name":"crm.read","args":{"id":1}}\n{"tool_name":"crm.read","args":{"id":2}}\n');
    expect(sign.code).toBe(0);
    const [first, second] = sign.stdout.trim().split('\n');
    const unsigned = '{"tool_name":"crm.read","args":{"id":3},"agent":{"id":"x","ring":0}}';
    const run = agt(['policy', 'eval', '--config', 'deploy.yaml', '--inputs', '-', '--json'], [first, '{not json', first, second, unsigned].join('\n') + '\n');
    expect(run.code).toBe(0);
    const decisions = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { line: number; verdict: string; reason: string; identity?: { subject: string; proof: string } });
    expect(decisions.map((d) => [d.line, d.verdict])).toEqual([[1, 'allow'], [2, 'deny'], [3, 'deny'], [4, 'allow'], [5, 'deny']]);
    expect(decisions[0]?.identity).toMatchObject({ subject: did, proof: 'envelope' });
    expect(decisions[1]?.reason).toBe('runtime_error:invalid_request: not valid JSON (line 2, column 2)');
    expect(decisions[2]?.reason).toMatch(/^identity:replayed:/);
    expect(decisions[4]?.reason).toMatch(/^identity:self_asserted:/);
    // the nonces are spent in the deployment's state store: the same lines in another run are replays
    expect(JSON.parse(agt(['policy', 'eval', '--config', 'deploy.yaml', '--input', second as string, '--json']).stdout)).toMatchObject({ verdict: 'deny', reason: expect.stringMatching(/^identity:replayed/) });
  });

  it("is a what-if for trust: a denied and a replayed line leave the agent's score in the state store where it was", () => {
    const sign = agt(['identity', 'sign', '--config', 'deploy.yaml', '--key', 'agent.jwk', '--credential', 'agent.cred', '--input', '-'], '{"tool_name":"crm.delete","args":{"id":1}}\n{"tool_name":"crm.read","args":{"id":9}}\n');
    const [denied, read] = sign.stdout.trim().split('\n');
    writeFileSync(join(dir, 'reads-only.yaml'), "apiVersion: governance.toolkit/v1\nname: reads\ndefault_action: deny\nrules:\n  - { name: reads, condition: \"tool_name == 'crm.read'\", action: allow }\n");
    const run = agt(['policy', 'eval', '--config', 'deploy.yaml', '--policy', 'reads-only.yaml', '--inputs', '-', '--json'], [denied, read, read].join('\n') + '\n');
    const decisions = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { verdict: string; reason: string });
    expect(decisions.map((d) => d.verdict)).toEqual(['deny', 'allow', 'deny']);
    expect(decisions[0]?.reason).not.toMatch(/^identity:/); // the policy's denial: -10 in a live kernel
    expect(decisions[2]?.reason).toMatch(/^identity:replayed/); // a verified replay: -200 in a live kernel
    const store = new SqliteTrustScoreStore(join(dir, 'state.db'));
    try {
      expect(store.get(did)).toBeUndefined(); // never moved: the agent is at its ceiling
    } finally {
      store.close();
    }
  });

  it('a bad deployment file is its located lines on stderr, exit 2', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nidentty: {}\n');
    const run = agt(['policy', 'eval', '--config', 'bad.yaml', '--input', '{}']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: bad\.yaml:2/);
  });

  it('refuses --explain with --config, and a deployment without a policy when no --policy is given', () => {
    const explain = agt(['policy', 'eval', '--config', 'deploy.yaml', '--input', '{}', '--explain']);
    expect(explain.code).toBe(2);
    expect(explain.stderr).toBe('error: --explain shows the policy alone and verifies no identity; drop --config to explain a request\n');
    writeFileSync(join(dir, 'nopolicy.yaml'), 'version: 1\nstate: { path: state.db }\n');
    const none = agt(['policy', 'eval', '--config', 'nopolicy.yaml', '--input', '{}']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: no policy to decide with: pass --policy, or add `policy: policies\/` to/);
  });

  it('identity revoke writes to the deployment\'s state store, and the next decision is identity:revoked', () => {
    const signed = agt(['identity', 'sign', '--config', 'deploy.yaml', '--key', 'agent.jwk', '--credential', 'agent.cred', '--input', '-'], '{"tool_name":"crm.read","args":{"id":9}}').stdout.trim();
    const revoke = agt(['identity', 'revoke', did, '--config', 'deploy.yaml', '--json']);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ id: did, alreadyRevoked: false, store: join(dir, 'state.db') });
    expect(JSON.parse(agt(['policy', 'eval', '--config', 'deploy.yaml', '--input', signed, '--json']).stdout)).toMatchObject({ verdict: 'deny', reason: expect.stringMatching(/^identity:revoked/) });
  });
});
