// docs/identity.md "Hand-offs (trust gate)", runnable: `node examples/handoff.mjs` (after `npm ci`).
// The triage agent hands a refund to the billing agent. The hand-off is sealed by the sender
// (signed, addressed to billing's DID, nonce, 60 s expiry, the sender's credential) and opened by
// billing's gate only if all of it holds and the sender is trusted enough. Every hand-off, opened
// or refused, is decided by billing's policy and recorded with the sender's verified identity.
import { AuditLog } from 'agent-governance-toolkit';
import { HandoffGate, TrustedIssuers, generateAgentKey, isFailure, issueCredential, sealHandoff } from 'agent-governance-toolkit/identity';
import { MemoryReplayCache } from 'agent-governance-toolkit/state';

const operator = generateAgentKey(); // the deployment's root of trust
const [triage, billing, intern] = [generateAgentKey(), generateAgentKey(), generateAgentKey()];
const trustedIssuers = TrustedIssuers.of([operator.did]);

const credentialOf = async (agent, trust) => {
  const issued = await issueCredential(operator, { subject: agent.did, ring: 2, roles: ['support'], tools: ['billing.*'], trust, ttlSeconds: 3600 });
  if (isFailure(issued)) throw new Error(issued.message);
  return issued.token;
};
const triageCredential = await credentialOf(triage, 700);
const internCredential = await credentialOf(intern, 300);

// Billing's side: its gate (its DID, the issuers it trusts, a replay cache, the least trust it
// accepts) and its policy, which rules on hand-offs as `action.type == 'handoff'`, the task as the tool.
const policy = {
  apiVersion: 'governance.toolkit/v1',
  name: 'billing',
  default_action: 'deny',
  rules: [{ name: 'refunds-up-to-1000', condition: "action.type == 'handoff' && tool_name == 'billing.refund' && args.amount <= 1000", action: 'allow' }],
};
const audit = new AuditLog();
const gate = new HandoffGate({ receiver: billing.did, trustedIssuers, replayCache: new MemoryReplayCache(), minTrust: 500, policy, audit });
const refund = (payload, handoff) => ({ refunded: payload.invoice, for: handoff.from === triage.did ? 'triage' : 'someone else' });

const show = (what, outcome) => console.log(`${what.padEnd(36)} ${outcome.kind === 'refused' ? `refused: ${outcome.refusal.reason.split(':').slice(0, 2).join(':')}` : `${outcome.kind}: ${JSON.stringify(outcome.output)}`}`);

// The sender's side: seal the task for billing's DID with triage's key and credential.
const sealed = sealHandoff(triage, { to: billing.did, task: 'billing.refund', payload: { invoice: 'inv-42', amount: 125 } }, { chain: [triageCredential] });
show('sealed hand-off from triage', await gate.receive(JSON.stringify(sealed), refund)); // travels as text
show('the same hand-off again', await gate.receive(sealed, refund));

const forAnother = sealHandoff(triage, { to: intern.did, task: 'billing.refund', payload: { invoice: 'inv-43', amount: 10 } }, { chain: [triageCredential] });
show('addressed to another agent', await gate.receive(forAnother, refund));

const fromIntern = sealHandoff(intern, { to: billing.did, task: 'billing.refund', payload: { invoice: 'inv-44', amount: 10 } }, { chain: [internCredential] });
show('from an under-trusted sender', await gate.receive(fromIntern, refund));

const tampered = { ...sealHandoff(triage, { to: billing.did, task: 'billing.refund', payload: { invoice: 'inv-45', amount: 10 } }, { chain: [triageCredential] }), payload: { invoice: 'inv-45', amount: 999 } };
show('payload changed after sealing', await gate.receive(tampered, refund));

const entries = audit.entries();
const proven = entries.filter((e) => e.identity?.subject === triage.did && e.identity.proof === 'handoff').length;
console.log(`audit: ${entries.length} entries, chain verified: ${audit.verify().ok}; entries proven as triage (proof 'handoff'): ${proven}`);
