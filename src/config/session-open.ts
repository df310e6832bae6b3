import type { AuditLog } from '../audit/audit-log.js';
import { failedDecision } from '../core/failed-decision.js';
import type { Decision, GovernanceRequest } from '../core/types.js';
import { identityFailure, type IdentityFailure } from '../identity/failure.js';
import { isFailure } from '../identity/did-key.js';
import type { IssuedSession } from '../identity/session.js';
import { SESSION_HANDSHAKE } from '../identity/session-handshake.js';
import { identityDenial } from '../kernel/identity-step.js';
import type { IdentityWiring } from './identity-wiring.js';

/**
 * The session handshake, deployment side: only a signed envelope over {@link SESSION_HANDSHAKE}
 * opens a session, after the envelope verifier's full check (which spends its nonce). The
 * answer is audited either way: the verified subject, credential and delegation digest, never
 * the session's secret or id.
 */

/** Not a policy decision: the handshake's entries carry this as their policy revision. */
const HANDSHAKE_REVISION = 'session-handshake';

/** Verifies `proof` as a handshake and issues a session, recording the answer in `audit`. */
export async function openSessionWith(wiring: IdentityWiring, audit: AuditLog, proof: unknown): Promise<IssuedSession | IdentityFailure> {
  const kind = typeof proof === 'object' && proof !== null ? (proof as { kind?: unknown }).kind : undefined;
  const answer =
    kind === 'envelope'
      ? wiring.envelopes.verify((proof as { envelope?: unknown }).envelope, SESSION_HANDSHAKE)
      : identityFailure(kind === undefined ? 'missing' : 'malformed', 'a session opens only with a signed envelope (kind envelope) over the handshake action; a session MAC or bearer token cannot open one');
  const request: GovernanceRequest = { stage: 'agent_startup', tool_name: SESSION_HANDSHAKE.tool, args: {}, ...(isFailure(answer) ? {} : { agent: { id: answer.subject } }) };
  if (isFailure(answer)) {
    await recorded(audit, request, identityDenial(answer, 'agent_startup', HANDSHAKE_REVISION));
    return answer;
  }
  const session = wiring.sessions.issue(answer);
  const identity = { subject: answer.subject, proof: answer.proof, credentialId: answer.credentialId, delegationDigest: answer.delegationDigest };
  const opened: Decision = {
    ...failedDecision('guard', '', 'agent_startup', HANDSHAKE_REVISION),
    verdict: 'allow',
    allowed: true,
    reason: `identity:session_opened: a session until ${new Date(session.expiresAt).toISOString()} for the verified identity`,
    diagnostics: { matchedRules: [], errors: [], step: 'identity' },
    identity,
  };
  opened.message = opened.reason;
  if (!(await recorded(audit, request, opened))) {
    wiring.sessions.end(session.id); // not audited, not issued: nothing unaudited goes ahead
    return identityFailure('unavailable', 'the audit store could not record the session; try again');
  }
  return session;
}

/** Appends and waits for durability; false when the store refused or failed. */
async function recorded(audit: AuditLog, request: GovernanceRequest, decision: Decision): Promise<boolean> {
  try {
    audit.append({ request, decision });
    await audit.durable();
    return true;
  } catch {
    return false;
  }
}
