import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import type { ProvenAction } from './action-binding.js';
import { constantTimeEqual } from './constant-time.js';
import { identityFailure, replayedBy, type IdentityFailure } from './failure.js';
import type { RevocationCheck } from './revocation-check.js';
import { ReplayWindow } from './replay-window.js';
import { sessionMacInputWith, sessionMacParts, type SessionMacParts } from './session-mac-input.js';
import type { VerifiedIdentity } from './verified.js';

/**
 * The session MAC path: after one full verification (a signed envelope) the verifier issues a
 * short-lived session secret bound to the agent's DID and credential; each later action carries
 * its own HMAC-SHA-256 over the same fields as the envelope plus a counter. Every action is still
 * proven and replay-proof (the counter, through a sliding {@link ReplayWindow}), at hash cost
 * instead of signature cost, with no nonce cache.
 */

/** A session as issued to the agent. `secret` is the MAC key: hand it to the agent only, never log it. */
export interface IssuedSession {
  readonly id: string;
  /** 32 random bytes, base64url. */
  readonly secret: string;
  readonly did: string;
  readonly credentialId: string | null;
  /** Epoch ms after which the session is refused. */
  readonly expiresAt: number;
  /** The audience every MAC covers. */
  readonly aud: string;
}

/** What an action carries on the session path. */
export interface SessionProof {
  readonly sessionId: string;
  /** Positive integer, fresh per action (the agent counts up from 1). */
  readonly counter: number;
  /** HMAC-SHA-256 of `sessionMacInput(...)` under the session secret, base64url (43 characters). */
  readonly mac: string;
}

/** How {@link SessionMacVerifier} is configured. */
export interface SessionMacOptions {
  /** The audience MACs cover (the deployment's `identity.audience`). */
  readonly audience: string;
  readonly clock?: Clock;
  /** Session lifetime (default 300,000 ms); never beyond the credential's own expiry. */
  readonly ttlMs?: number;
  /** Most sessions held (default 100,000); past it the oldest is dropped and must verify in full again. */
  readonly maxSessions?: number;
  /** How far concurrent actions of one session may overtake each other (default 64 counters). */
  readonly windowSize?: number;
  /**
   * Asked on every MAC for the session's DID, credential id, issuer and (for a delegation chain)
   * every link's id and subject: revoking any of them, in any process sharing the list, refuses
   * the session's very next action (`identity:revoked`) and ends the session.
   */
  readonly revocations?: RevocationCheck;
}

interface Session {
  readonly key: KeyObject;
  readonly did: string;
  readonly expiresAt: number;
  readonly window: ReplayWindow;
  /** The identity every action of the session proves, made once (proof: 'session'). */
  readonly identity: VerifiedIdentity;
  /** The ids whose revocation ends the session, in the order they are named in a refusal. */
  readonly revocationIds: readonly string[];
  /** The DID and audience of every MAC input, quoted once. */
  readonly macParts: SessionMacParts;
  /** Set by the first replayed counter: the subject's score pays for one replay per session, not per copy replayed. */
  replayNoted?: true;
}

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;

/** Issues sessions and verifies session MACs. Never throws on hostile input; secrets live only as key objects. */
export class SessionMacVerifier {
  /** In issue order, which (with one lifetime for all) is expiry order: the first entry is the first to go. */
  private readonly sessions = new Map<string, Session>();
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly windowSize: number;

  constructor(private readonly options: SessionMacOptions) {
    this.clock = options.clock ?? systemClock;
    this.ttlMs = options.ttlMs ?? 300_000;
    this.maxSessions = options.maxSessions ?? 100_000;
    this.windowSize = options.windowSize ?? 64;
    if (!Number.isSafeInteger(this.ttlMs) || this.ttlMs < 1) throw new RangeError('ttlMs must be a positive integer');
    if (!Number.isSafeInteger(this.maxSessions) || this.maxSessions < 1) throw new RangeError('maxSessions must be a positive integer');
    if (typeof options.audience !== 'string' || options.audience.length === 0) throw new TypeError('audience must be a non-empty string');
    new ReplayWindow(this.windowSize); // validates the size now rather than at the first issue
  }

  /** Opens a session for an identity a full verification established. */
  issue(identity: VerifiedIdentity): IssuedSession {
    const now = this.clock();
    const expiresAt = Math.min(now + this.ttlMs, identity.expiresAt);
    this.makeRoom(now);
    const id = randomBytes(16).toString('base64url');
    const secret = randomBytes(32);
    const sessionIdentity: VerifiedIdentity = Object.freeze({ ...identity, proof: 'session', expiresAt });
    const revocationIds = [...new Set([identity.subject, ...(identity.credentialId === null ? [] : [identity.credentialId]), identity.issuer, ...(identity.revocationIds ?? [])])];
    this.sessions.set(id, { key: createSecretKey(secret), did: identity.subject, expiresAt, window: new ReplayWindow(this.windowSize), identity: sessionIdentity, revocationIds, macParts: sessionMacParts(identity.subject, this.options.audience) });
    return { id, secret: secret.toString('base64url'), did: identity.subject, credentialId: identity.credentialId, expiresAt, aud: this.options.audience };
  }

  /** Ends a session now (its next action is refused as unknown). */
  end(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  /**
   * Ends every session of an agent (by DID) or resting on a credential (by its id), as a
   * revocation must: their next actions are refused and have to verify in full. Returns how many ended.
   */
  endAllOf(subjectOrCredentialId: string): number {
    let ended = 0;
    for (const [id, session] of this.sessions) {
      if (session.did === subjectOrCredentialId || session.identity.credentialId === subjectOrCredentialId) {
        this.sessions.delete(id);
        ended++;
      }
    }
    return ended;
  }

  /** Sessions currently held (some may have expired and await removal). */
  get size(): number {
    return this.sessions.size;
  }

  /** The identity `proof` establishes for `action` (the request's tool, stage and args digest), or why it establishes none. */
  verify(proof: unknown, action: ProvenAction): VerifiedIdentity | IdentityFailure {
    try {
      return this.check(proof, action);
    } catch {
      // Unreachable for JSON data; a getter or proxy that throws is still a refusal, not a crash.
      return identityFailure('malformed', 'the session proof could not be read');
    }
  }

  private check(proof: unknown, action: ProvenAction): VerifiedIdentity | IdentityFailure {
    if (proof === undefined || proof === null) return identityFailure('missing', 'the action carries no session proof');
    if (typeof proof !== 'object' || Array.isArray(proof)) return identityFailure('malformed', 'the session proof is not an object');
    const { sessionId, counter, mac } = proof as Record<string, unknown>;
    if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId)) return identityFailure('malformed', 'the session proof field sessionId must be a session id (22 base64url characters)');
    if (!Number.isSafeInteger(counter) || (counter as number) < 1) return identityFailure('malformed', 'the session proof field counter must be a positive integer');
    if (typeof mac !== 'string' || !MAC.test(mac)) return identityFailure('malformed', 'the session proof field mac must be an HMAC-SHA-256 in base64url (43 characters)');

    const session = this.sessions.get(sessionId);
    if (session === undefined) return identityFailure('untrusted_issuer', 'unknown session (never issued here, ended or dropped): prove the action with a signed envelope to open a new one');
    if (this.clock() > session.expiresAt) {
      this.sessions.delete(sessionId);
      return identityFailure('expired', 'the session has expired: prove the action with a signed envelope to open a new one');
    }
    const expected = createHmac('sha256', session.key).update(sessionMacInputWith(session.macParts, action, counter as number)).digest('base64url');
    if (!constantTimeEqual(mac, expected)) {
      return identityFailure('signature', "the session MAC does not verify for this action under the session's secret");
    }
    // The MAC is checked before the window, so a replay is attributed only to a proof the session's secret made.
    if (!session.window.wouldAccept(counter as number)) {
      // Whoever holds a copy of one MAC'd action can have it refused any number of times; the
      // subject's trust score pays once per session, so copies cannot drive it to zero.
      const message = "the session counter was already used or is below the session's replay window";
      if (session.replayNoted) return identityFailure('replayed', message);
      session.replayNoted = true;
      return replayedBy(session.identity, message);
    }
    const revoked = this.revocationProblem(sessionId, session);
    if (revoked) return revoked;
    session.window.accept(counter as number);
    return session.identity;
  }

  /** A `revoked` failure (the session ended) when one of its ids was revoked; `unavailable` when the list cannot be read. */
  private revocationProblem(sessionId: string, session: Session): IdentityFailure | null {
    const revocations = this.options.revocations;
    if (revocations === undefined) return null;
    let revoked: number;
    try {
      revoked = revocations.firstRevoked(session.revocationIds);
    } catch {
      return identityFailure('unavailable', 'the revocation list could not be read; refusing rather than accepting a possibly revoked session');
    }
    if (revoked < 0) return null;
    this.sessions.delete(sessionId);
    const id = session.revocationIds[revoked];
    const what = id === session.did ? 'agent' : id === session.identity.credentialId ? 'credential' : id === session.identity.issuer ? "credential's issuer" : 'delegation chain';
    return identityFailure('revoked', `the session's ${what} was revoked; the session is ended`);
  }

  /** Drops expired sessions at the front and, if still full, the oldest live one (it will have to verify in full again: fail closed). */
  private makeRoom(now: number): void {
    for (const [id, session] of this.sessions) {
      if (this.sessions.size < this.maxSessions && session.expiresAt >= now) return;
      this.sessions.delete(id);
    }
  }
}
