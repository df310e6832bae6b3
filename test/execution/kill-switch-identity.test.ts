import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { createGovernance } from '../../src/config/governance.js';
import { issueCredential, toVerifiedIdentity, verifyCredential } from '../../src/identity/credential.js';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { isFailure } from '../../src/identity/did-key.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';
import type { IdentityVerifier } from '../../src/identity/verifier.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/index.js';
import { waitUntil } from './waits.js';

// Who a kill stops is who the kernel verified: with identity, the call's proven subject (a DID),
// not a name the caller asserts. And one Governance's kernels answer to one kill switch.
const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: kill-identity
default_action: allow
rules: []
`);

const operator = generateAgentKey();
const trusted = TrustedIssuers.of([operator.did]);

const verifier: IdentityVerifier = {
  verify(proof) {
    const verified = verifyCredential((proof as { token?: unknown }).token, { trustedIssuers: trusted as TrustedIssuers });
    return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'jwt');
  },
};

async function agentProof(): Promise<{ proof: { kind: 'credential'; token: string }; did: string }> {
  const agent = generateAgentKey();
  const issued = await issueCredential(operator, { subject: agent.did, ring: 2, roles: ['support'], tools: ['*'], trust: 600, ttlSeconds: 3600 });
  if (isFailure(issued)) throw new Error(`test setup: ${issued.message}`);
  return { proof: { kind: 'credential', token: issued.token }, did: agent.did };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const until = (check: () => boolean, ms = 2_000): Promise<void> => waitUntil(check, ms, 5);

describe('kill(): keyed by the verified agent', () => {
  it("a proven agent's calls are listed under its DID: killing the DID stops them, and its next proven call is denied", async () => {
    const kernel = new Kernel({ policy, audit: new AuditLog(), identity: { mode: 'zero-trust', verifier } });
    const alice = await agentProof();
    const bob = await agentProof();
    const started: string[] = [];
    const work = (who: string) => async (_args: unknown, { signal }: { signal: AbortSignal }) => {
      started.push(who);
      await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    };
    const aliceCall = kernel.handle({ tool: 'work', args: {}, proof: alice.proof }, work('alice'));
    const bobCall = kernel.handle({ tool: 'work', args: {}, proof: bob.proof }, work('bob'));
    await until(() => started.length === 2);
    expect(kernel.killSwitch.inFlight.of(alice.did)).toHaveLength(1);
    const report = await kernel.kill(alice.did, { graceMs: 100 });
    expect(report).toMatchObject({ terminated: true, aborted: 1 });
    expect(await aliceCall).toMatchObject({ kind: 'refused', refusal: { reason: expect.stringContaining(`agent '${alice.did}' was killed while this call ran`) } });
    expect(kernel.killSwitch.inFlight.of(bob.did)).toHaveLength(1); // Bob is not touched
    const next = await kernel.handle({ tool: 'work', args: {}, proof: alice.proof }, () => 'ran');
    expect(next).toMatchObject({ kind: 'refused', decision: { diagnostics: { step: 'standing' } } });
    await kernel.kill(bob.did, { graceMs: 100 });
    expect((await bobCall).kind).toBe('refused');
  });
});

describe('Governance.kill(): one switch for every kernel of a deployment', () => {
  it('stops the agent through every kernel made from it, and records the kill in the deployment audit log', async () => {
    const governance = createGovernance({ version: 1, state: { path: 'memory' }, audit: { store: 'memory' } });
    try {
      const one = governance.kernel({ policy });
      const two = governance.kernel({ policy });
      const gate = deferred();
      const signals: AbortSignal[] = [];
      const run = (_args: unknown, { signal }: { signal: AbortSignal }) => (signals.push(signal), gate.promise);
      const calls = [one.handle({ tool: 'a', args: {}, agent: 'fleet-7' }, run), two.handle({ tool: 'b', args: {}, agent: 'fleet-7' }, run)];
      await until(() => signals.length === 2);
      const report = await governance.kill('fleet-7', { reason: 'drill', by: 'sre', graceMs: 100 });
      expect(report).toMatchObject({ terminated: false, aborted: 2, stillRunning: [{ tool: 'a' }, { tool: 'b' }] });
      expect(signals.every((s) => s.aborted)).toBe(true);
      expect((await Promise.all(calls)).map((o) => o.kind)).toEqual(['refused', 'refused']);
      expect((await two.handle({ tool: 'b', args: {}, agent: 'fleet-7' }, () => 1)).kind).toBe('refused');
      // The kill's own record (the lifecycle's move to terminated is an entry of its own, verdict log).
      const record = governance.audit.entries().find((e) => e.stage === 'agent_shutdown' && e.rule === 'kill-switch');
      expect(record).toMatchObject({ agent: 'fleet-7', verdict: 'deny', rule: 'kill-switch' });
      expect(record?.reason).toContain("killed by 'sre' (drill)");
      gate.resolve();
    } finally {
      governance.close();
    }
  });
});
