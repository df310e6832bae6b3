// docs/identity.md, runnable: `node examples/identity.mjs` (after `npm ci`).
// Zero-trust: the operator issues a credential, the agent signs each call, and the kernel builds
// the agent from the credential alone. A replayed, re-targeted or self-promoted call is denied.
import { AuditLog, Kernel } from 'agent-governance-toolkit';
import {
  EnvelopeVerifier, SessionClient, SessionMacVerifier, TrustedIssuers, argsDigestOf, byProofKind, envelopeProof,
  generateAgentKey, isFailure, issueCredential, sessionProof, signEnvelope, toVerifiedIdentity, verifyCredential,
} from 'agent-governance-toolkit/identity';
import { MemoryReplayCache } from 'agent-governance-toolkit/state';

const AUDIENCE = 'agt://example';
const operator = generateAgentKey(); // the deployment's root of trust
const agent = generateAgentKey(); // the agent's own key; its id is its did:key
const trusted = TrustedIssuers.of([operator.did]);

const issued = await issueCredential(operator, { subject: agent.did, ring: 2, roles: ['support'], tools: ['crm.*'], trust: 600, ttlSeconds: 3600 });
if (isFailure(issued)) throw new Error(issued.message);

const credentialCheck = (credential, _did, now) => {
  const verified = verifyCredential(credential, { trustedIssuers: trusted, clock: () => now });
  return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'envelope');
};
const envelopes = new EnvelopeVerifier({ audience: AUDIENCE, credentials: credentialCheck, replayCache: new MemoryReplayCache() });
const sessions = new SessionMacVerifier({ audience: AUDIENCE });

const policy = {
  apiVersion: 'governance.toolkit/v1',
  name: 'identity-example',
  default_action: 'deny',
  rules: [{ name: 'support-reads', condition: "tool_name == 'crm.read' && agent.ring <= 2 && 'support' in agent.roles", action: 'allow' }],
};
const audit = new AuditLog();
const kernel = new Kernel({ policy, audit, identity: { mode: 'zero-trust', verifier: byProofKind({ envelope: envelopeProof(envelopes), session: sessionProof(sessions) }) } });

/** The agent's side: a signed envelope over exactly this call. */
const signed = (tool, args) => ({ kind: 'envelope', envelope: signEnvelope(agent.privateKey, { tool, stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUDIENCE, credential: issued.token }) });
const show = (what, outcome) => console.log(`${what.padEnd(34)} ${outcome.kind === 'refused' ? `refused: ${outcome.refusal.reason.split(':').slice(0, 2).join(':')}` : `${outcome.kind}: ${JSON.stringify(outcome.output)}`}`);
const readCustomer = (args) => ({ customer: args.id, name: 'Ada' });

const args = { id: 7 };
const proof = signed('crm.read', args);
show('signed read', await kernel.handle({ tool: 'crm.read', args, proof }, readCustomer));
show('the same envelope again', await kernel.handle({ tool: 'crm.read', args, proof }, readCustomer));
show('envelope spent on other arguments', await kernel.handle({ tool: 'crm.read', args: { id: 8 }, proof: signed('crm.read', args) }, readCustomer));
show('self-asserted ring 0', await kernel.handle({ tool: 'crm.read', args, agent: { id: agent.did, ring: 0 }, proof: signed('crm.read', args) }, readCustomer));
show('no proof at all', await kernel.handle({ tool: 'crm.read', args }, readCustomer));

// After one full verification, a session: each call is proven by an HMAC at hash cost.
const verified = verifyCredential(issued.token, { trustedIssuers: trusted });
const client = new SessionClient(sessions.issue(toVerifiedIdentity(verified, 'envelope')));
const sessionArgs = { id: 9 };
const mac = { kind: 'session', ...client.prove({ tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(sessionArgs) }) };
show('session-MAC read', await kernel.handle({ tool: 'crm.read', args: sessionArgs, proof: mac }, readCustomer));
show('the same MAC again', await kernel.handle({ tool: 'crm.read', args: sessionArgs, proof: mac }, readCustomer));

const entries = [...audit.entries()];
console.log(`audit: ${entries.length} entries, chain verified: ${audit.verify().ok}; proven entries name ${entries.filter((e) => e.identity?.subject === agent.did).length}x the agent's DID`);
