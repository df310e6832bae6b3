import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ToolCallGovernor } from '../../src/adapters/tool-call.js';
import { createGovernance, type Governance } from '../../src/config/governance.js';
import { GovernanceDenied } from '../../src/core/errors.js';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { agentProver, type EnvelopeProofObject } from '../../src/identity/agent-prover.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { issueCredential } from '../../src/identity/credential.js';
import { isFailure } from '../../src/identity/did-key.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import type { IssuedSession } from '../../src/identity/session.js';
import { SessionClient } from '../../src/identity/session-client.js';
import { SESSION_HANDSHAKE } from '../../src/identity/session-handshake.js';
import { govern } from '../../src/kernel/govern.js';

/**
 * The session handshake (one full verification opens a session; only a signed envelope over the
 * handshake can), and the agent-side prover that plugs into govern() and the adapters.
 */

const AUD = 'agt://sessions';
const POLICY = `apiVersion: governance.toolkit/v1
name: crm
default_action: deny
rules:
  - name: reads
    condition: "tool_name == 'crm.read' && 'support' in agent.roles"
    action: allow
  - name: transfers
    condition: "tool_name == 'crm.transfer' && agent.ring <= 2"
    action: allow
`;

const open: Governance[] = [];
const savedConfig = process.env.AGT_CONFIG;
afterEach(() => {
  for (const g of open.splice(0)) g.close();
  if (savedConfig === undefined) delete process.env.AGT_CONFIG;
  else process.env.AGT_CONFIG = savedConfig;
});

function deploymentFile(issuer: AgentKey): string {
  const dir = mkdtempSync(join(tmpdir(), 'agt-sessions-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'crm.yaml'), POLICY);
  writeFileSync(join(dir, 'agt.config.yaml'), `version: 1\npolicy: policies/\naudit: { store: memory }\nstate: { path: .agt/state.db }\nidentity:\n  mode: zero-trust\n  audience: ${AUD}\n  session: { ttl: 5m }\n  issuers:\n    - did: ${issuer.did}\n`);
  return join(dir, 'agt.config.yaml');
}

async function setup() {
  const issuer = generateAgentKey();
  const agent = generateAgentKey();
  const issued = await issueCredential(issuer, { subject: agent.did, ring: 2, roles: ['support'], tools: ['crm.*'], trust: 600, ttlSeconds: 3600 });
  if (isFailure(issued)) throw new Error(issued.message);
  const path = deploymentFile(issuer);
  const governance = createGovernance(path);
  open.push(governance);
  const handshake = (overrides: { aud?: string; tool?: string } = {}): EnvelopeProofObject => ({
    kind: 'envelope',
    envelope: signEnvelope(agent.privateKey, { ...SESSION_HANDSHAKE, tool: overrides.tool ?? SESSION_HANDSHAKE.tool }, { aud: overrides.aud ?? AUD, credential: issued.token }),
  });
  return { issuer, agent, credential: issued.token, path, governance, handshake };
}

const read = (args: unknown) => ({ read: args });

describe('the session handshake', () => {
  it('opens a session after one full verification; later calls are proven by MACs', async () => {
    const { agent, governance, handshake } = await setup();
    const session = (await governance.openSession(handshake())) as IssuedSession;
    expect(isFailure(session)).toBe(false);
    expect(session.did).toBe(agent.did);
    const client = new SessionClient(session);
    const kernel = governance.kernel();
    for (const id of [1, 2, 3]) {
      const mac = { kind: 'session', ...client.prove({ tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf({ id }) }) };
      const outcome = await kernel.handle({ tool: 'crm.read', args: { id }, proof: mac }, read);
      expect(outcome.kind === 'output' && outcome.decision.identity?.proof).toBe('session');
    }
  });

  it('audits the handshake with the verified identity, never the secret or the session id', async () => {
    const { agent, governance, handshake } = await setup();
    const session = (await governance.openSession(handshake())) as IssuedSession;
    const entries = [...governance.audit.entries()];
    const entry = entries.at(-1);
    expect(entry?.verdict).toBe('allow');
    expect(entry?.identity?.subject).toBe(agent.did);
    expect(entry?.reason).toMatch(/^identity:session_opened/);
    const text = JSON.stringify(entries);
    expect(text).not.toContain(session.secret);
    expect(text).not.toContain(session.id);
  });

  it('a replayed handshake, one for another audience or another action is refused and audited', async () => {
    const { governance, handshake } = await setup();
    const proof = handshake();
    expect(isFailure(await governance.openSession(proof))).toBe(false);
    expect(await governance.openSession(proof)).toMatchObject({ ok: false, kind: 'replayed' });
    expect(await governance.openSession(handshake({ aud: 'agt://elsewhere' }))).toMatchObject({ ok: false, kind: 'audience' });
    expect(await governance.openSession(handshake({ tool: 'crm.read' }))).toMatchObject({ ok: false, kind: 'signature' });
    const refusals = [...governance.audit.entries()].filter((e) => e.verdict === "deny");
    expect(refusals.map((e) => e.reason.split(':')[1])).toEqual(['replayed', 'audience', 'signature']);
  });

  it('a session MAC or a bearer token cannot open a session', async () => {
    const { governance, handshake } = await setup();
    const client = new SessionClient((await governance.openSession(handshake())) as IssuedSession);
    const mac = { kind: 'session', ...client.prove(SESSION_HANDSHAKE) };
    expect(await governance.openSession(mac)).toMatchObject({ ok: false, kind: 'malformed' });
    expect(await governance.openSession({ kind: 'jwt', token: 'x.y.z' })).toMatchObject({ ok: false, kind: 'malformed' });
    expect(await governance.openSession(undefined)).toMatchObject({ ok: false, kind: 'missing' });
    expect(await governance.openSession({ kind: 'envelope', envelope: { tool: 'x'.repeat(100_000) } })).toMatchObject({ ok: false });
  });

  it('a handshake envelope cannot be spent as a tool call', async () => {
    const { governance, handshake } = await setup();
    const outcome = await governance.kernel().handle({ tool: 'crm.read', args: {}, proof: handshake() }, read);
    expect(outcome.kind === 'refused' && outcome.decision.reason).toMatch(/^identity:signature/);
  });

  it('revoking the agent ends its sessions at once', async () => {
    const { agent, governance, handshake } = await setup();
    const client = new SessionClient((await governance.openSession(handshake())) as IssuedSession);
    governance.revoke(agent.did);
    const mac = { kind: 'session', ...client.prove({ tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf({}) }) };
    const outcome = await governance.kernel().handle({ tool: 'crm.read', args: {}, proof: mac }, read);
    expect(outcome.kind).toBe('refused');
    expect(await governance.openSession(handshake())).toMatchObject({ ok: false, kind: 'revoked' });
  });
});

describe('agentProver', () => {
  it('opens one session lazily and proves calls by MAC; `full` tools get a signed envelope', async () => {
    const { agent, credential, governance } = await setup();
    const prover = agentProver({ key: agent, credential, audience: AUD, openSession: (proof) => governance.openSession(proof), full: (tool) => tool === 'crm.transfer' });
    const readTool = govern(async function readCustomer(args: { id: number }) { return { id: args.id }; }, { governance, name: 'crm.read', proof: prover });
    const transfer = govern(async function transfer(args: { amount: number }) { return { sent: args.amount }; }, { governance, name: 'crm.transfer', proof: prover });
    expect(await Promise.all([readTool({ id: 1 }), readTool({ id: 2 }), readTool({ id: 3 })])).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(prover.hasSession).toBe(true);
    expect(await transfer({ amount: 5 })).toEqual({ sent: 5 });
    const proofs = [...governance.audit.entries()].map((e) => `${e.stage}:${e.identity?.proof}`);
    expect(proofs.filter((p) => p === 'agent_startup:envelope')).toHaveLength(1); // three concurrent first calls, one handshake
    expect(proofs.filter((p) => p === 'pre_tool:session')).toHaveLength(3);
    expect(proofs.filter((p) => p === 'pre_tool:envelope')).toHaveLength(1);
  });

  it("given the policy as `full`, the prover signs in full exactly the tools whose `tools:` entry says verify: full, and the kernel accepts both", async () => {
    const { agent, credential, governance } = await setup();
    const policy = {
      name: 'p', default_action: 'deny',
      tools: { 'crm.transfer': { verify: 'full' } },
      rules: [{ name: 'crm', condition: "tool_name.startsWith('crm.')", action: 'allow' }],
    };
    const kernel = governance.kernel({ policy });
    const prover = agentProver({ key: agent, credential, audience: AUD, openSession: (proof) => governance.openSession(proof), full: kernel.evaluator });
    const readTool = govern(async function readCustomer() { return 'read'; }, { kernel, name: 'crm.read', proof: prover });
    const transfer = govern(async function transfer() { return 'sent'; }, { kernel, name: 'crm.transfer', proof: prover });
    expect([await readTool(), await transfer(), await readTool(), await transfer()]).toEqual(['read', 'sent', 'read', 'sent']);
    const proven = [...governance.audit.entries()].filter((e) => e.stage === 'pre_tool').map((e) => `${e.tool}:${e.identity?.proof}`);
    expect(proven).toEqual(['crm.read:session', 'crm.transfer:envelope', 'crm.read:session', 'crm.transfer:envelope']);
    // A session MAC for the full tool is refused by the kernel: the prover's choice is not what enforces it.
    const mac = await agentProver({ key: agent, credential, audience: AUD, openSession: (proof) => governance.openSession(proof) })({}, 'crm.transfer');
    const refused = await kernel.handle({ tool: 'crm.transfer', args: {}, proof: mac }, () => 'sent');
    expect(refused.kind === 'refused' && refused.decision.reason).toMatch(/^identity:weak_proof/);
  });

  it('without openSession every call is a full envelope; a failed handshake falls back to one', async () => {
    const { agent, credential, governance } = await setup();
    const readTool = govern(async function readCustomer() { return 'ok'; }, { governance, name: 'crm.read', proof: agentProver({ key: agent, credential, audience: AUD }) });
    expect(await readTool()).toBe('ok');
    const refusing = agentProver({ key: agent, credential, audience: AUD, openSession: () => ({ ok: false, kind: 'unavailable', message: 'down' }) });
    const again = govern(async function readCustomer() { return 'ok'; }, { governance, name: 'crm.read', proof: refusing });
    expect(await again()).toBe('ok');
    expect(refusing.hasSession).toBe(false);
  });

  it('a prover with the wrong key or audience is denied', async () => {
    const { credential, governance } = await setup();
    const impostor = govern(async function readCustomer() { return 'ok'; }, { governance, name: 'crm.read', proof: agentProver({ key: generateAgentKey(), credential, audience: AUD }) });
    await expect(impostor()).rejects.toThrow(/identity:untrusted_issuer/);
  });

  it('arguments changed after the call are never run as proven: the proof covers what was passed, or the call is denied', async () => {
    const { agent, credential, governance } = await setup();
    const ran: unknown[] = [];
    const governor = new ToolCallGovernor({ governance, proof: agentProver({ key: agent, credential, audience: AUD }) });
    const args = { id: 1 };
    const pending = governor.callTool({ tool: 'crm.read', args }, (checked) => ran.push(checked));
    args.id = 666;
    const outcome = await pending;
    expect(ran).not.toContainEqual({ id: 666 });
    if (outcome.kind !== 'output') expect(outcome.kind === 'refuse' && outcome.decision.reason).toMatch(/^identity:signature/);
  });

  it('plugs into the adapters through ToolCallGovernor', async () => {
    const { agent, credential, governance } = await setup();
    const governor = new ToolCallGovernor({ governance, proof: agentProver({ key: agent, credential, audience: AUD, openSession: (p) => governance.openSession(p) }) });
    expect(await governor.callTool({ tool: 'crm.read', args: { id: 1 } }, (args) => args)).toEqual({ kind: 'output', output: { id: 1 } });
    const unproven = new ToolCallGovernor({ governance });
    const refused = await unproven.callTool({ tool: 'crm.read', args: { id: 1 } }, (args) => args);
    expect(refused.kind === 'refuse' && refused.decision.reason).toMatch(/^identity:missing/);
  });
});

describe('the default deployment file', () => {
  it('with a zero-trust file in effect, govern() without a kernel or governance denies an unproven call and allows a proven one', async () => {
    const { agent, credential, path } = await setup();
    process.env.AGT_CONFIG = path;
    const bare = govern(async function readCustomer() { return 'ran'; }, { name: 'crm.read' });
    await expect(bare()).rejects.toBeInstanceOf(GovernanceDenied);
    await expect(bare()).rejects.toThrow(/identity:missing/);
    const proven = govern(async function readCustomer() { return 'ran'; }, { name: 'crm.read', proof: agentProver({ key: agent, credential, audience: AUD }) });
    expect(await proven()).toBe('ran');
    const adapter = new ToolCallGovernor({});
    const refused = await adapter.callTool({ tool: 'crm.read', args: {} }, () => 'ran');
    expect(refused.kind).toBe('refuse');
  });

  it('a named AGT_CONFIG that does not exist is an error, never a silent fallback to allow', () => {
    process.env.AGT_CONFIG = '/nonexistent/agt.config.yaml';
    expect(() => govern(async function t() { return 1; }, { policy: { name: 'p', default_action: 'allow', rules: [] } })).toThrow(/AGT_CONFIG names a deployment file that does not exist/);
  });

  it('without a file, govern() behaves as before: self-asserted agents, no proof needed', async () => {
    delete process.env.AGT_CONFIG;
    const tool = govern(async function t() { return 1; }, { policy: { name: 'p', default_action: 'allow', rules: [] }, agent: { id: 'me', ring: 1 }, audit: false });
    expect(await tool()).toBe(1);
  });
});
