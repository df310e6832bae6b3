import { issueCredential } from '../../src/identity/credential.js';
import { delegate } from '../../src/identity/delegation.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { isFailure } from '../../src/identity/did-key.js';
import type { HandoffOpenOptions } from '../../src/identity/handoff-open.js';
import { RevocationList } from '../../src/identity/revocation.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';
import { MemoryReplayCache } from '../../src/state/replay-cache.js';

/** Real keys and real credentials for the hand-off tests: an operator, a sender, a receiver, a delegate. */
export interface HandoffWorld {
  readonly root: AgentKey;
  readonly sender: AgentKey;
  readonly receiver: AgentKey;
  readonly other: AgentKey;
  readonly delegateKey: AgentKey;
  /** The sender's credential: ring 2, role billing, tools `billing.*` and `support.triage`, trust 700. */
  readonly senderCredential: string;
  /** A credential of trust 300 for `other`. */
  readonly lowTrustCredential: string;
  /** The sender's chain delegating `billing.read` only to `delegateKey`. */
  readonly delegatedChain: readonly string[];
  readonly trustedIssuers: TrustedIssuers;
  readonly revocations: RevocationList;
  /** The test clock: `clock.now` is what every verifier reads. */
  readonly clock: { now: number };
  options(overrides?: Partial<HandoffOpenOptions>): HandoffOpenOptions;
}

function ok<T>(value: T): Exclude<T, { ok: false }> {
  if (isFailure(value)) throw new Error(`fixture failed: ${value.message}`);
  return value as Exclude<T, { ok: false }>;
}

/** Builds the world; the clock starts at the real time (the credentials are signed against it). */
export async function handoffWorld(): Promise<HandoffWorld> {
  const clock = { now: Date.now() };
  const at = () => clock.now;
  const [root, sender, receiver, other, delegateKey] = [generateAgentKey(), generateAgentKey(), generateAgentKey(), generateAgentKey(), generateAgentKey()];
  const senderCredential = ok(await issueCredential(root, { subject: sender.did, ring: 2, roles: ['billing'], tools: ['billing.*', 'support.triage'], trust: 700, ttlSeconds: 3600 }, at)).token;
  const lowTrustCredential = ok(await issueCredential(root, { subject: other.did, ring: 2, roles: ['billing'], tools: ['billing.*'], trust: 300, ttlSeconds: 3600 }, at)).token;
  const delegatedChain = ok(await delegate(sender, [senderCredential], { subject: delegateKey.did, tools: ['billing.read'], ttlSeconds: 600 }, at)).chain;
  const trustedIssuers = ok(TrustedIssuers.of([root.did]));
  const revocations = new RevocationList();
  return {
    root, sender, receiver, other, delegateKey, senderCredential, lowTrustCredential, delegatedChain, trustedIssuers, revocations, clock,
    options: (overrides = {}) => ({ receiver: receiver.did, trustedIssuers, revocations, replayCache: new MemoryReplayCache({ capacity: 1000 }), minTrust: 500, clock: at, ...overrides }),
  };
}
