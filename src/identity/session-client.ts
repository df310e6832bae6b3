import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { ProvenAction } from './action-binding.js';
import type { IssuedSession, SessionProof } from './session.js';
import { sessionMacInput, sessionMacInputWith, sessionMacParts, type SessionMacParts } from './session-mac-input.js';

/**
 * The agent side of the session MAC path: holds the issued session's secret as a key object and
 * proves each action with the next counter. Counters only go up, so each proof is spent once;
 * proofs made concurrently may reach the verifier out of order within its replay window.
 */
export class SessionClient {
  /** The session's id. */
  readonly sessionId: string;
  /** When the session ends, in epoch ms: past it, sign an envelope to open a new one. */
  readonly expiresAt: number;
  // The secret is kept only as a key object: serializing or logging the client shows no secret.
  readonly #key: KeyObject;
  readonly #parts: SessionMacParts;
  #counter = 0;

  constructor(session: IssuedSession) {
    this.sessionId = session.id;
    this.expiresAt = session.expiresAt;
    this.#key = createSecretKey(Buffer.from(session.secret, 'base64url'));
    this.#parts = sessionMacParts(session.did, session.aud);
  }

  /** A proof for `action` (tool, stage and `argsDigestOf` the arguments) with the next counter. */
  prove(action: ProvenAction): SessionProof {
    const counter = ++this.#counter;
    return { sessionId: this.sessionId, counter, mac: createHmac('sha256', this.#key).update(sessionMacInputWith(this.#parts, action, counter)).digest('base64url') };
  }
}

/** HMAC-SHA-256 (base64url) of the session MAC input: what {@link SessionClient.prove} puts in `mac`. */
export function sessionMac(key: KeyObject, action: ProvenAction, did: string, counter: number, aud: string): string {
  return createHmac('sha256', key).update(sessionMacInput(action, did, counter, aud)).digest('base64url');
}
