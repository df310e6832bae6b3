import type { AuditLog } from '../audit/audit-log.js';
import { argsDigestOf } from '../identity/action-binding.js';
import { generateAgentKey } from '../identity/agent-key.js';
import { issueCredential, toVerifiedIdentity } from '../identity/credential.js';
import { chainOfEnvelopeCredential } from '../identity/credential-file.js';
import { verifyCredentialChain } from '../identity/delegation.js';
import { isFailure } from '../identity/did-key.js';
import { EnvelopeVerifier } from '../identity/envelope.js';
import { signEnvelope } from '../identity/envelope-sign.js';
import { byProofKind, envelopeProof } from '../identity/proof-kinds.js';
import { TrustedIssuers } from '../identity/trusted-issuers.js';
import { Kernel } from '../kernel/kernel.js';
import type { PolicyEvaluator } from '../policy/evaluator.js';
import { MemoryReplayCache } from '../state/replay-cache.js';
import { DEMO_TOOLS } from './demo-scenario.js';

/**
 * The demo's identity scene: the same agent, now proving every call. The operator issues it a
 * credential, the agent signs each call with its own key, and a zero-trust kernel over the same
 * policy and audit log decides: a signed read runs; a call signed by another key that borrows
 * the credential (forged), one whose argument was changed after signing (tampered), and the
 * first call presented again (replayed) are refused with their `identity:` reasons. Keys are
 * made in memory for the run; nothing is written but the audit entries.
 */

const AUDIENCE = 'agt://demo';
const SELECT = { sql: 'SELECT id, total FROM orders WHERE customer_id = 4217' };

/** One identity step: what the agent tries, and how it is proven. */
export interface IdentityStep {
  readonly intent: string;
  readonly tool: 'db';
  /** Runs the call through the zero-trust kernel; what happened, in words. */
  readonly run: () => Promise<string>;
}

/** The scene's steps, over `evaluator` and `audit` (the demo's own). */
export async function identitySteps(evaluator: PolicyEvaluator, audit: AuditLog): Promise<IdentityStep[]> {
  const operator = generateAgentKey();
  const agent = generateAgentKey();
  const forger = generateAgentKey();
  const issued = await issueCredential(operator, { subject: agent.did, ring: 2, roles: ['support'], tools: ['crm', 'db', 'search'], trust: 600, ttlSeconds: 600 });
  const trusted = TrustedIssuers.of([operator.did]);
  if (isFailure(issued) || isFailure(trusted)) throw new Error('the demo could not issue its credential');
  const envelopes = new EnvelopeVerifier({
    audience: AUDIENCE,
    replayCache: new MemoryReplayCache(),
    credentials: (credential, _did, now) => {
      const verified = verifyCredentialChain(chainOfEnvelopeCredential(credential), { trustedIssuers: trusted, clock: () => now });
      return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'envelope');
    },
  });
  const kernel = new Kernel({ policy: evaluator, audit, identity: { mode: 'zero-trust', verifier: byProofKind({ envelope: envelopeProof(envelopes) }) } });
  const signedBy = (key: typeof agent, args: Record<string, unknown>) => ({
    kind: 'envelope',
    envelope: signEnvelope(key.privateKey, { tool: 'db', stage: 'pre_tool', argsDigest: argsDigestOf(args) }, { aud: AUDIENCE, credential: issued.token }),
  });
  const call = async (args: Record<string, unknown>, proof: unknown): Promise<string> => {
    const outcome = await kernel.handle({ tool: 'db', args, proof }, (checked) => DEMO_TOOLS.db(checked as { sql: string }));
    if (outcome.kind === 'refused') return `blocked: ${outcome.refusal.reason}`;
    return outcome.kind === 'output' ? `ran → ${JSON.stringify(outcome.output)}` : `${outcome.kind}`;
  };
  const first = signedBy(agent, SELECT);
  return [
    { intent: 'read orders, signed with its own key', tool: 'db', run: () => call(SELECT, first) },
    { intent: 'forged: signed by another key', tool: 'db', run: () => call(SELECT, signedBy(forger, SELECT)) },
    { intent: 'tampered: SQL changed after signing', tool: 'db', run: () => call({ sql: 'DROP TABLE orders' }, signedBy(agent, SELECT)) },
    { intent: 'replayed: the first signed call again', tool: 'db', run: () => call(SELECT, first) },
  ];
}
