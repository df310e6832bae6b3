import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialFor, governances, writeDeployment } from './deployment-fixture.js';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import { SessionClient } from '../../src/identity/session-client.js';
import { SESSION_HANDSHAKE } from '../../src/identity/session-handshake.js';
import type { IssuedSession } from '../../src/identity/session.js';

/**
 * Real processes on one state file: `agt identity revoke` in a child process denies the next
 * action of a Governance already running here (envelope and session paths alike), and one signed
 * request presented by two `agt policy eval` processes at the same moment runs at most once.
 */

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const AUD = 'agt://cross-process';
const POLICY = `apiVersion: governance.toolkit/v1
name: crm
default_action: deny
rules:
  - name: reads
    condition: "tool_name == 'crm.read'"
    action: allow
`;
const args = { id: 7 };
const read = () => ({ name: 'Ada' });
const governance = governances();

async function setup() {
  const issuer = generateAgentKey();
  const agent = generateAgentKey();
  const { dir, path: config } = writeDeployment({ issuer, audience: AUD, policy: POLICY });
  const credential = await credentialFor(issuer, agent);
  const jti = (JSON.parse(Buffer.from(credential.split('.')[1] as string, 'base64url').toString()) as { jti: string }).jti;
  return { dir, config, agent, credential, jti, governance: governance(config) };
}

const envelopeOf = (agent: AgentKey, credential: string) => ({
  kind: 'envelope',
  envelope: signEnvelope(agent.privateKey, { tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUD, credential }),
});

function revokeInChild(dir: string, config: string, id: string): void {
  const child = spawnSync(process.execPath, [AGT, 'identity', 'revoke', id, '--config', config, '--json'], { cwd: dir, encoding: 'utf8' });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
}

describe('revocation by `agt identity revoke` in another process', () => {
  it("denies a running Governance's next envelope and session MAC of the agent", async () => {
    const { dir, config, agent, credential, governance } = await setup();
    const kernel = governance.kernel();
    const session = new SessionClient((await governance.openSession({ kind: 'envelope', envelope: signEnvelope(agent.privateKey, SESSION_HANDSHAKE, { aud: AUD, credential }) })) as IssuedSession);
    const mac = () => ({ kind: 'session', ...session.prove({ tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(args) }) });
    expect((await kernel.handle({ tool: 'crm.read', args, proof: envelopeOf(agent, credential) }, read)).kind).toBe('output');
    expect((await kernel.handle({ tool: 'crm.read', args, proof: mac() }, read)).kind).toBe('output');

    revokeInChild(dir, config, agent.did);

    const byEnvelope = await kernel.handle({ tool: 'crm.read', args, proof: envelopeOf(agent, credential) }, read);
    expect(byEnvelope.kind === 'refused' && byEnvelope.decision.reason).toMatch(/^identity:revoked/);
    const bySession = await kernel.handle({ tool: 'crm.read', args, proof: mac() }, read);
    expect(bySession.kind === 'refused' && bySession.decision.reason).toMatch(/^identity:revoked/);
  });

  it("revoking the credential's id (jti) in a child process denies the next call too", async () => {
    const { dir, config, agent, credential, jti, governance } = await setup();
    const kernel = governance.kernel();
    expect((await kernel.handle({ tool: 'crm.read', args, proof: envelopeOf(agent, credential) }, read)).kind).toBe('output');
    revokeInChild(dir, config, jti);
    const next = await kernel.handle({ tool: 'crm.read', args, proof: envelopeOf(agent, credential) }, read);
    expect(next.kind === 'refused' && next.decision.reason).toMatch(/^identity:revoked/);
  });
});

describe('one signed request in two processes at once', () => {
  it('is allowed in at most one: the other is identity:replayed', async () => {
    const { dir, config, agent, credential } = await setup();
    const line = `${JSON.stringify({ tool_name: 'crm.read', args, proof: envelopeOf(agent, credential) })}\n`;
    writeFileSync(join(dir, 'signed.jsonl'), line);
    const decide = () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [AGT, 'policy', 'eval', '--config', config, '--inputs', 'signed.jsonl', '--json'], { cwd: dir });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
        child.on('close', () => resolve(out));
      });
    const outputs = await Promise.all([decide(), decide(), decide()]);
    const verdicts = outputs.map((out) => (JSON.parse(out.trim()) as { verdict: string; reason: string }));
    expect(verdicts.filter((v) => v.verdict === 'allow')).toHaveLength(1);
    for (const v of verdicts.filter((d) => d.verdict !== 'allow')) expect(v.reason).toMatch(/^identity:replayed/);
  });
});
