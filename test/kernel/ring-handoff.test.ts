/**
 * The hand-off gate decides tasks as pre_tool tool calls, so the ring guard applies to them: a
 * sender whose credential ring does not cover the task's `tools:` ring is refused, unless it holds
 * a live elevation in the store the gate shares (the deployment's).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { sealHandoff } from '../../src/identity/handoff-seal.js';
import { HandoffGate } from '../../src/kernel/handoff-gate.js';
import { PolicyEvaluator } from '../../src/policy/index.js';
import { MemoryElevationGrantStore } from '../../src/state/elevation-grant-store.js';
import { handoffWorld, type HandoffWorld } from '../identity/handoff-fixtures.js';

const POLICY = `apiVersion: governance.toolkit/v1
name: receiver
default_action: allow
tools:
  billing.refund: { ring: 1 }
`;

let world: HandoffWorld;
beforeAll(async () => {
  world = await handoffWorld();
});

describe('hand-off gate: rings', () => {
  it('a ring 2 sender cannot hand off a ring 1 task, until it is elevated', async () => {
    const grants = new MemoryElevationGrantStore();
    const gate = new HandoffGate({ ...world.options(), policy: PolicyEvaluator.fromYaml(POLICY), audit: new AuditLog(), elevationGrants: grants });
    const seal = (task: string) => sealHandoff(world.sender, { to: world.receiver.did, task, payload: { amount: 1 } }, { chain: [world.senderCredential], clock: () => world.clock.now });
    const refused = await gate.receive(seal('billing.refund'), () => 'ran');
    expect(refused.kind === 'refused' && refused.refusal.reason).toBe('ring:insufficient: agent ring 2 is less privileged than the ring 1 this tool requires; counted as an escalation attempt');
    expect((await gate.receive(seal('support.triage'), () => 'ran')).kind).toBe('output');
    grants.add({ id: 'g', subject: world.sender.did, ring: 1, grantedAt: 0, expiresAt: Number.MAX_SAFE_INTEGER, reason: 'x', decisionId: 'd', revokedAt: null });
    expect((await gate.receive(seal('billing.refund'), () => 'ran')).kind).toBe('output');
  });
});
