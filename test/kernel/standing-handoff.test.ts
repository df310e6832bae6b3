import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { Lifecycle } from '../../src/execution/lifecycle/lifecycle.js';
import { sealHandoff } from '../../src/identity/handoff-seal.js';
import { HandoffGate } from '../../src/kernel/handoff-gate.js';
import { PolicyEvaluator } from '../../src/policy/index.js';
import { handoffWorld, type HandoffWorld } from '../identity/handoff-fixtures.js';

// The standing step at the hand-off gate: the sender is the DID its seal proves, so a
// terminated or suspended sender's hand-off is refused, and no name the sender gives itself
// changes that.

const POLICY = `apiVersion: governance.toolkit/v1
name: receiver
default_action: deny
rules:
  - name: triage-handed-off
    condition: "action.type == 'handoff' && tool_name == 'support.triage'"
    action: allow
`;

let world: HandoffWorld;
beforeAll(async () => {
  world = await handoffWorld();
});

const seal = () => sealHandoff(world.sender, { to: world.receiver.did, task: 'support.triage', payload: { ticket: 1 } }, { chain: [world.senderCredential], clock: () => world.clock.now });

describe('the hand-off gate reads the sender\'s standing', () => {
  it('a terminated sender\'s hand-off is refused lifecycle:terminated (by its verified DID); a suspended one\'s until resumed', async () => {
    const lifecycle = new Lifecycle();
    const gate = new HandoffGate({ ...world.options(), policy: PolicyEvaluator.fromYaml(POLICY), audit: new AuditLog(), lifecycle });
    const receive = async () => {
      const outcome = await gate.receive(seal(), () => 'triaged');
      return outcome.kind === 'refused' ? outcome.refusal.reason : outcome.kind;
    };
    expect(await receive()).toBe('output');
    await lifecycle.suspend(world.sender.did);
    expect(await receive()).toMatch(/^lifecycle:suspended: agent did:key:/);
    await lifecycle.resume(world.sender.did, { approvedBy: 'lead', operatorAct: true });
    expect(await receive()).toBe('output');
    // A kill under any other name (what the sender might call itself) does not touch it; its DID does.
    await lifecycle.kill('sender');
    expect(await receive()).toBe('output');
    await lifecycle.kill(world.sender.did);
    expect(await receive()).toMatch(/^lifecycle:terminated: agent did:key:/);
  });
});
