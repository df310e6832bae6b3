/**
 * Sagas under zero-trust identity, with real crypto: each step is proven by its own signed
 * envelope (a per-step proof function), a proof reused for a second call is refused and the first
 * step undone, and the saga's own entries name the agent the kernel proved.
 */
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { Saga, type StepToProve } from '../../../src/execution/saga/index.js';
import { argsDigestOf } from '../../../src/identity/action-binding.js';
import { generateAgentKey } from '../../../src/identity/agent-key.js';
import { issueCredential, toVerifiedIdentity, verifyCredential } from '../../../src/identity/credential.js';
import { isFailure } from '../../../src/identity/did-key.js';
import { EnvelopeVerifier } from '../../../src/identity/envelope.js';
import { signEnvelope } from '../../../src/identity/envelope-sign.js';
import { byProofKind, envelopeProof } from '../../../src/identity/proof-kinds.js';
import { TrustedIssuers } from '../../../src/identity/trusted-issuers.js';
import { Kernel } from '../../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../../src/policy/evaluator.js';
import { MemoryReplayCache } from '../../../src/state/replay-cache.js';
import { rejection } from './saga-kernel.js';

const AUD = 'agt://saga-tests';
const clock = (): number => Date.parse('2026-03-01T12:00:00Z');
const operator = generateAgentKey();
const agent = generateAgentKey();
const trusted = TrustedIssuers.of([operator.did]);
if (isFailure(trusted)) throw new Error('test setup: trusted issuers');

const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: saga-identity
default_action: deny
rules:
  - { name: shop, condition: "'shop' in agent.roles && tool_name.startsWith('shop.')", action: allow }
`);

async function setup() {
  const issued = await issueCredential(operator, { subject: agent.did, ring: 2, roles: ['shop'], tools: ['shop.*'], trust: 600, ttlSeconds: 3600 }, clock);
  if (isFailure(issued)) throw new Error(issued.message);
  const envelopes = new EnvelopeVerifier({
    audience: AUD,
    clock,
    replayCache: new MemoryReplayCache({ capacity: 1000 }),
    credentials: (credential, _did, at) => {
      const verified = verifyCredential(credential, { trustedIssuers: trusted as TrustedIssuers, clock: () => at });
      return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'envelope');
    },
  });
  const audit = new AuditLog({ clock });
  const kernel = new Kernel({ policy, audit, identity: { mode: 'zero-trust', verifier: byProofKind({ envelope: envelopeProof(envelopes) }), clock } });
  const sign = ({ tool, args }: Pick<StepToProve, 'tool' | 'args'>) => ({ kind: 'envelope', envelope: signEnvelope(agent.privateKey, { tool, stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUD, credential: issued.token, iat: clock() }) });
  return { kernel, audit, sign };
}

describe('Saga under zero-trust identity', () => {
  it('a per-step proof function signs each call; the saga completes and its entries name the proven agent', async () => {
    const { kernel, audit, sign } = await setup();
    const calls: StepToProve[] = [];
    const saga = new Saga({ kernel, name: 'proven', proof: (call: StepToProve) => (calls.push(call), sign(call)) });
    await saga.step('reserve', { tool: 'shop.reserve', args: { sku: 'A1' }, run: () => 'h1', compensate: () => undefined });
    await saga.step('charge', { tool: 'shop.charge', args: { cents: 5 }, run: () => 'c1', compensate: () => undefined });
    expect((await saga.complete()).status).toBe('completed');
    expect(calls.map((c) => [c.step, c.tool, c.args])).toEqual([['reserve', 'shop.reserve', { sku: 'A1' }], ['charge', 'shop.charge', { cents: 5 }]]);
    const decisions = audit.entries().filter((e) => e.tool?.startsWith('shop.'));
    expect(decisions.map((e) => [e.verdict, e.identity?.subject])).toEqual([['allow', agent.did], ['allow', agent.did]]);
    expect(audit.entries().filter((e) => e.tool?.startsWith('saga.') && e.actionType !== 'saga.step.started').every((e) => e.agent === agent.did)).toBe(true);
  });

  it('one envelope reused for every step: the second step is refused (it proves another call) and the first is undone', async () => {
    const { kernel, sign } = await setup();
    const undone: string[] = [];
    let charged = false;
    const proof = sign({ tool: 'shop.reserve', args: { sku: 'A1' } });
    const saga = new Saga({ kernel, name: 'replayed', proof });
    await saga.step('reserve', { tool: 'shop.reserve', args: { sku: 'A1' }, run: () => 'h1', compensate: (r) => void undone.push(r) });
    const error = await rejection(saga.step('charge', { tool: 'shop.charge', args: { cents: 5 }, run: () => void (charged = true), compensate: () => undefined }));
    expect(error.code).toBe('ERR_AGT_SAGA_STEP_DENIED');
    expect(error.decision?.reason).toMatch(/^identity:/);
    expect(charged).toBe(false);
    expect(undone).toEqual(['h1']);
  });

  it('a proof function that throws is a proof that fails: the step is denied, never run', async () => {
    const { kernel } = await setup();
    let ran = false;
    const saga = new Saga({
      kernel,
      name: 'no-key',
      proof: () => {
        throw new Error('the key store is locked');
      },
    });
    const error = await rejection(saga.step('a', { tool: 'shop.a', run: () => void (ran = true) }));
    expect(error.code).toBe('ERR_AGT_SAGA_STEP_DENIED');
    expect(ran).toBe(false);
  });
});
