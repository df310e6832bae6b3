import { verify, type KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import type { ReplayCache } from '../state/replay-cache.js';
import type { ProvenAction } from './action-binding.js';
import { isFailure, publicKeyOfDid } from './did-key.js';
import { envelopeSigningInput, readEnvelope } from './envelope-fields.js';
import { identityFailure, replayedBy, type IdentityFailure } from './failure.js';
import { envelopeReplayKey, firstReplayOf } from './replay-keys.js';
import type { VerifiedIdentity } from './verified.js';

/**
 * Verifying a signed envelope: the full per-action proof. The checks run cheapest first, and the
 * replay cache is consulted last, only for an envelope whose signature and credential hold, so
 * forged envelopes can neither fill the cache nor burn a real agent's nonces.
 */

/**
 * Verifies the credential an envelope carries and says who it vouches for. It must check that the
 * credential's subject is `did`, never throw, and put no credential text in its messages. (The
 * credential module provides the real one; envelope verification only composes with it.)
 */
export type CredentialVerifier = (credential: unknown, did: string, now: number) => VerifiedIdentity | IdentityFailure;

/** How {@link EnvelopeVerifier} is configured. */
export interface EnvelopeVerifierOptions {
  /** The audience envelopes must be addressed to (the deployment's `identity.audience`). */
  readonly audience: string;
  /** Checks the credential in each envelope. */
  readonly credentials: CredentialVerifier;
  /** Where nonces are remembered while their envelopes are fresh. */
  readonly replayCache: ReplayCache;
  readonly clock?: Clock;
  /** How long after `iat` an envelope is accepted (default 60,000 ms). */
  readonly freshnessMs?: number;
  /** Clock-skew tolerance, both directions (default 5,000 ms). */
  readonly skewMs?: number;
  /** Most public keys kept parsed, by DID (default 10,000). */
  readonly keyCacheSize?: number;
  /**
   * Key rotations (a `RotationRegistry`): an envelope signed by a rotated-away key is refused
   * (`identity:revoked`), and one signed by the current key of an identity is accepted with a
   * credential issued to any earlier key of it. The verified subject stays the credential's
   * (the identity as issued), so scores, revocations and the audit trail follow it across keys.
   */
  readonly rotations?: KeyRotations;
}

/** What the envelope verifier asks of a rotation registry (./rotation.ts). */
export interface KeyRotations {
  /** The current key's DID of the identity `did` belongs to. */
  currentDid(did: string): string;
  /** A failure when `did` was rotated away, else null. */
  retiredProblem(did: string): IdentityFailure | null;
}

const DEFAULTS = { freshnessMs: 60_000, skewMs: 5_000, keyCacheSize: 10_000 };

/** Verifies signed envelopes against the action being decided. Never throws on hostile input. */
export class EnvelopeVerifier {
  private readonly keys = new Map<string, KeyObject>();
  private readonly clock: Clock;
  private readonly freshnessMs: number;
  private readonly skewMs: number;
  private readonly keyCacheSize: number;

  constructor(private readonly options: EnvelopeVerifierOptions) {
    this.clock = options.clock ?? systemClock;
    this.freshnessMs = options.freshnessMs ?? DEFAULTS.freshnessMs;
    this.skewMs = options.skewMs ?? DEFAULTS.skewMs;
    this.keyCacheSize = options.keyCacheSize ?? DEFAULTS.keyCacheSize;
    for (const [name, value] of [['freshnessMs', this.freshnessMs], ['skewMs', this.skewMs], ['keyCacheSize', this.keyCacheSize]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
    }
    if (typeof options.audience !== 'string' || options.audience.length === 0) throw new TypeError('audience must be a non-empty string');
  }

  /**
   * The identity `envelope` proves for `action`, or why it proves none. `action` is what the
   * kernel is deciding (its tool, stage and `argsDigestOf` its arguments), not what the envelope says.
   */
  verify(envelope: unknown, action: ProvenAction): VerifiedIdentity | IdentityFailure {
    try {
      return this.check(envelope, action, this.clock());
    } catch {
      // Unreachable for JSON data; a getter or proxy that throws is still a refusal, not a crash.
      return identityFailure('malformed', 'the signed envelope could not be read');
    }
  }

  private check(value: unknown, action: ProvenAction, now: number): VerifiedIdentity | IdentityFailure {
    const envelope = readEnvelope(value);
    if (isFailure(envelope)) return envelope;
    if (envelope.aud !== this.options.audience) return identityFailure('audience', 'the envelope is addressed to another audience');
    // The signature is checked over the request's own tool, stage and digest: an envelope made for another action does not verify.
    if (envelope.tool !== action.tool) return identityFailure('signature', 'the envelope was signed for another tool');
    if (envelope.stage !== action.stage) return identityFailure('signature', 'the envelope was signed for another stage');
    if (envelope.argsDigest !== action.argsDigest) return identityFailure('signature', 'the envelope was signed for other arguments');
    const lastAccepted = envelope.iat + this.freshnessMs + this.skewMs;
    if (now > lastAccepted) return identityFailure('expired', `the envelope is older than the ${this.freshnessMs} ms freshness window`);
    if (envelope.iat > now + this.skewMs) return identityFailure('not_yet_valid', `the envelope is dated more than ${this.skewMs} ms in the future`);

    const cached = this.keys.get(envelope.did);
    const key = cached ?? publicKeyOfDid(envelope.did);
    if (isFailure(key)) return key;
    const signature = Buffer.from(envelope.sig, 'base64url');
    if (!verify(null, Buffer.from(envelopeSigningInput(envelope)), key, signature)) {
      return identityFailure('signature', "the envelope's signature does not verify with its DID's key");
    }
    if (cached === undefined) this.remember(envelope.did, key);
    const rotations = this.options.rotations;
    const retired = rotations?.retiredProblem(envelope.did);
    if (retired) return retired;

    const credential = this.options.credentials(envelope.credential, envelope.did, now);
    if (isFailure(credential)) return credential;
    if (credential.subject !== envelope.did && rotations?.currentDid(credential.subject) !== envelope.did) {
      return identityFailure('untrusted_issuer', "the credential vouches for another subject than the envelope's signer (nor one whose key rotated to it)");
    }

    const replayKey = envelopeReplayKey(envelope.did, envelope.nonce);
    const seen = this.options.replayCache.checkAndRemember(replayKey, lastAccepted, now);
    if (seen === 'replayed') {
      // Signature and credential held: the subject is known, and its trust score pays, once per envelope.
      const message = "the envelope's nonce was already used";
      return firstReplayOf(this.options.replayCache, replayKey, lastAccepted, now) ? replayedBy(credential, message) : identityFailure('replayed', message);
    }
    if (seen === 'full') return identityFailure('replay_cache_full', 'the replay cache is full of fresh nonces; refusing rather than forgetting one');
    return { ...credential, proof: 'envelope' };
  }

  private remember(did: string, key: KeyObject): void {
    if (this.keys.size >= this.keyCacheSize) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    if (this.keyCacheSize > 0) this.keys.set(did, key);
  }
}
