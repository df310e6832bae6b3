import { verify, type KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { compileGlobList, type NameMatcher } from '../core/glob.js';
import type { ReplayCache } from '../state/replay-cache.js';
import { argsDigestOf } from './action-binding.js';
import type { AgentKey } from './agent-key.js';
import { toVerifiedIdentity } from './credential.js';
import { verifyCredentialChain, type ChainVerifyOptions } from './delegation.js';
import { isFailure, publicKeyOfDid } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import { handoffSigningInput, readSealedHandoff, type HandoffBounds, type SealedHandoff } from './handoff-fields.js';
import type { RevocationCheck } from './revocation-check.js';
import type { TrustedIssuers } from './trusted-issuers.js';
import { handoffReplayKey } from './replay-keys.js';
import type { VerifiedIdentity } from './verified.js';
import type { ActionFacts, IdentityAnswer, IdentityVerifier } from './verifier.js';

/**
 * The receiver's half of the hand-off trust gate (OWASP ASI07, agent-to-agent trust): a sealed
 * hand-off opens only if every check holds, cheapest first:
 *
 * 1. bounds and shape (size before parsing, depth, unknown fields);
 * 2. addressed to this receiver's DID (`audience`: a hand-off for another agent is refused);
 * 3. freshness: `iat <= now + skew`, `now <= exp + skew`, and a lifetime no longer than the
 *    receiver accepts (`not_yet_valid`, `expired`, `malformed`);
 * 4. the payload is the one sealed (its digest) and the signature holds under the sender's DID;
 * 5. the sender's credential chain verifies (trusted issuer, validity, revocation of any id,
 *    subject and issuer in it, attenuation of every link) and ends at the sender;
 * 6. the chain grants the task (its tool globs; for a delegated sender, the delegation's);
 * 7. the sender's trust meets the gate's threshold (live, through `trustOf`, when given);
 * 8. and last the nonce was never seen (`replayed`; `replay_cache_full` fails closed), so forged,
 *    unvouched or under-trusted seals can neither fill the cache nor burn a real sender's nonce.
 *
 * Every refusal is an {@link IdentityFailure}; nothing here throws on hostile input, and no
 * message carries a key, token, nonce or payload value.
 */

/** How a receiver opens sealed hand-offs. */
export interface HandoffOpenOptions {
  /** The receiving agent: its did:key or its key. Hand-offs addressed to anyone else are refused. */
  readonly receiver: string | Pick<AgentKey, 'did'>;
  /** The issuers whose credentials count. */
  readonly trustedIssuers: TrustedIssuers;
  /** When set, a revoked sender, issuer, delegate or credential id is refused. */
  readonly revocations?: RevocationCheck;
  /** Where nonces are remembered while their seals can still open (a SQLite cache shares them across processes). */
  readonly replayCache: ReplayCache;
  /** The least trust (0-1000) a sender needs (default 0). */
  readonly minTrust?: number;
  /**
   * The sender's live trust score, given its subject and its credential's trust as the ceiling
   * (the trust-score store's answer). Absent: the credential's trust. A throw is `unavailable`.
   */
  readonly trustOf?: (subject: string, ceiling: number) => number;
  readonly clock?: Clock;
  /** Clock-skew tolerance, both directions, ms (default 5,000). */
  readonly skewMs?: number;
  /** Longest lifetime (`exp - iat`) accepted, ms (default 60,000). */
  readonly maxLifetimeMs?: number;
  /** Most delegation links after the sender's root credential (default 5). */
  readonly maxDelegationDepth?: number;
  /** Size and depth bounds of a sealed hand-off. */
  readonly bounds?: HandoffBounds;
}

/** A hand-off that opened: who sent it (verified) and what it hands over. */
export interface OpenedHandoff {
  readonly ok: true;
  /** The sender, as its credential chain establishes it, with `proof: 'handoff'`. */
  readonly sender: VerifiedIdentity;
  readonly task: string;
  /** The receiver's frozen copy of the payload. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** The digest the sender signed (the audit entry's `argsDigest`). */
  readonly payloadDigest: string;
  /** The sender's trust when it was opened (live when `trustOf` is given). */
  readonly trust: number;
}

const DEFAULTS = { minTrust: 0, skewMs: 5_000, maxLifetimeMs: 60_000 };
const MAX_CACHED_KEYS = 10_000;

/**
 * Opens sealed hand-offs for one receiver. Construct once per receiver (it validates its options
 * and caches the senders' parsed public keys); {@link openHandoff} does this for you.
 */
export class HandoffOpener {
  readonly #options: HandoffOpenOptions;
  readonly #receiver: string;
  readonly #clock: Clock;
  readonly #minTrust: number;
  readonly #skewMs: number;
  readonly #maxLifetimeMs: number;
  readonly #keys = new Map<string, KeyObject>();
  readonly #grants = new WeakMap<readonly string[], NameMatcher>();

  constructor(options: HandoffOpenOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('HandoffOpener needs options: { receiver, trustedIssuers, replayCache }');
    const receiver = typeof options.receiver === 'string' ? options.receiver : options.receiver?.did;
    if (isFailure(publicKeyOfDid(receiver))) throw new TypeError("options.receiver must be the receiving agent's did:key (or its AgentKey)");
    if (typeof options.trustedIssuers?.keyOf !== 'function') throw new TypeError('options.trustedIssuers must be a TrustedIssuers set (TrustedIssuers.of([...]))');
    if (typeof options.replayCache?.checkAndRemember !== 'function') throw new TypeError('options.replayCache must be a ReplayCache (e.g. new MemoryReplayCache())');
    if (options.trustOf !== undefined && typeof options.trustOf !== 'function') throw new TypeError('options.trustOf must be a function (subject, ceiling) => score');
    this.#options = options;
    this.#receiver = receiver as string;
    this.#clock = options.clock ?? systemClock;
    this.#minTrust = options.minTrust ?? DEFAULTS.minTrust;
    this.#skewMs = options.skewMs ?? DEFAULTS.skewMs;
    this.#maxLifetimeMs = options.maxLifetimeMs ?? DEFAULTS.maxLifetimeMs;
    if (!Number.isInteger(this.#minTrust) || this.#minTrust < 0 || this.#minTrust > 1000) throw new RangeError('options.minTrust must be a whole number from 0 to 1000');
    for (const [name, value] of [['skewMs', this.#skewMs], ['maxLifetimeMs', this.#maxLifetimeMs]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`options.${name} must be a non-negative whole number of ms`);
    }
  }

  /** The receiver's DID. */
  get receiver(): string {
    return this.#receiver;
  }

  /** Opens `sealed` (an object or its JSON text): the sender and the task, or why it does not open. Never throws. */
  open(sealed: unknown): OpenedHandoff | IdentityFailure {
    try {
      const read = readSealedHandoff(sealed, this.#options.bounds);
      if (isFailure(read)) return read;
      const digest = argsDigestOf(read.payload);
      const opened = this.check(read, read.task, digest, this.#clock());
      return isFailure(opened) ? opened : { ok: true, sender: opened.sender, task: read.task, payload: read.payload, payloadDigest: digest, trust: opened.trust };
    } catch {
      return identityFailure('malformed', 'the sealed hand-off could not be read');
    }
  }

  /**
   * The kernel's verifier for `{ kind: 'handoff', sealed }` proofs: the action's tool is the task
   * and its arguments the payload (compared by digest), decided at `pre_tool`.
   */
  proofVerifier(): IdentityVerifier {
    return { verify: (proof, facts) => this.verifyProof(proof, facts) };
  }

  private verifyProof(proof: unknown, facts: ActionFacts): IdentityAnswer {
    try {
      if (facts.stage !== 'pre_tool' || facts.tool === null) return identityFailure('malformed', 'a sealed hand-off is opened at pre_tool, with the task as the tool');
      const sealed = typeof proof === 'object' && proof !== null ? (proof as { sealed?: unknown }).sealed : undefined;
      const read = readSealedHandoff(sealed, this.#options.bounds, true);
      if (isFailure(read)) return read;
      if (read.payload !== undefined && argsDigestOf(read.payload) !== read.payloadDigest) return identityFailure('signature', 'the hand-off was sealed for another payload');
      const opened = this.check(read, facts.tool, facts.argsDigest, facts.now);
      return isFailure(opened) ? opened : opened.sender;
    } catch {
      return identityFailure('malformed', 'the sealed hand-off could not be read');
    }
  }

  private check(sealed: SealedHandoff, task: string, payloadDigest: string, now: number): { sender: VerifiedIdentity; trust: number } | IdentityFailure {
    if (sealed.to !== this.#receiver) return identityFailure('audience', 'the hand-off is addressed to another agent');
    if (sealed.exp < sealed.iat || sealed.exp - sealed.iat > this.#maxLifetimeMs) return identityFailure('malformed', `the hand-off asks to open for longer than the ${this.#maxLifetimeMs} ms this receiver accepts`);
    if (now > sealed.exp + this.#skewMs) return identityFailure('expired', 'the hand-off is past its expiry');
    if (sealed.iat > now + this.#skewMs) return identityFailure('not_yet_valid', `the hand-off is dated more than ${this.#skewMs} ms in the future`);
    if (sealed.task !== task) return identityFailure('signature', 'the hand-off was sealed for another task');
    if (sealed.payloadDigest !== payloadDigest) return identityFailure('signature', 'the hand-off was sealed for another payload');

    const cached = this.#keys.get(sealed.from);
    const key = cached ?? publicKeyOfDid(sealed.from);
    if (isFailure(key)) return key;
    if (!verify(null, Buffer.from(handoffSigningInput(sealed)), key, Buffer.from(sealed.sig, 'base64url'))) {
      return identityFailure('signature', "the hand-off's signature does not verify with its sender's key");
    }
    if (cached === undefined) this.remember(sealed.from, key);

    const authority = verifyCredentialChain(sealed.chain, this.chainOptions(now));
    if (isFailure(authority)) return authority;
    if (authority.subject !== sealed.from) return identityFailure('untrusted_issuer', "the credential chain vouches for another agent than the hand-off's sender");
    if (!this.grants(authority.tools)(task)) {
      return identityFailure('not_granted', authority.delegationDigest === null ? "the sender's credential does not grant the task handed off" : "the sender's delegation does not cover the task handed off");
    }
    let trust = this.trustOf(authority.subject, authority.trust);
    if (isFailure(trust)) return trust;
    // A delegated sender stands no higher than any agent that delegated to it stands now.
    for (const delegator of authority.delegators ?? []) {
      const theirs = this.trustOf(delegator.subject, delegator.trust);
      if (isFailure(theirs)) return theirs;
      trust = Math.min(trust, theirs);
    }
    if (trust < this.#minTrust) return identityFailure('insufficient_trust', `the sender's trust ${trust} is below this gate's threshold ${this.#minTrust}`);

    let seen;
    try {
      seen = this.#options.replayCache.checkAndRemember(handoffReplayKey(sealed.from, sealed.nonce), sealed.exp + this.#skewMs, now);
    } catch {
      return identityFailure('unavailable', 'the replay cache could not be read; refusing rather than risking a replay');
    }
    if (seen === 'replayed') return identityFailure('replayed', "the hand-off's nonce was already used");
    if (seen !== 'fresh') return identityFailure('replay_cache_full', 'the replay cache is full of fresh nonces; refusing rather than forgetting one');
    return { sender: toVerifiedIdentity(authority, 'handoff', sealed.exp), trust };
  }

  private chainOptions(now: number): ChainVerifyOptions {
    const { trustedIssuers, revocations, maxDelegationDepth } = this.#options;
    return { trustedIssuers, clock: () => now, ...(revocations ? { revocations } : {}), ...(maxDelegationDepth === undefined ? {} : { maxDepth: maxDelegationDepth }) };
  }

  private grants(tools: readonly string[]): NameMatcher {
    let matcher = this.#grants.get(tools);
    if (matcher === undefined) {
      matcher = compileGlobList(tools);
      // Verified claims are frozen and shared by the token cache, so the compiled globs can be kept with them.
      if (Object.isFrozen(tools)) this.#grants.set(tools, matcher);
    }
    return matcher;
  }

  private trustOf(subject: string, ceiling: number): number | IdentityFailure {
    const live = this.#options.trustOf;
    if (live === undefined) return ceiling;
    try {
      const score = live(subject, ceiling);
      if (typeof score === 'number' && Number.isFinite(score)) return score;
    } catch {
      // fall through: an unreadable score is never a pass
    }
    return identityFailure('unavailable', "the sender's trust score could not be read");
  }

  private remember(did: string, key: KeyObject): void {
    if (this.#keys.size >= MAX_CACHED_KEYS) this.#keys.delete(this.#keys.keys().next().value as string);
    this.#keys.set(did, key);
  }
}

/** One opener per options object, so {@link openHandoff} validates and caches once. */
const openers = new WeakMap<HandoffOpenOptions, HandoffOpener>();

/**
 * Opens a sealed hand-off for the receiver `options` describe: the verified sender and the task,
 * or an {@link IdentityFailure} (`identity:audience`, `identity:replayed`, ...). Never throws on
 * hostile input; throws a TypeError for options that cannot work. Not audited: the kernel-backed
 * `HandoffGate` records every hand-off opened or refused.
 */
export function openHandoff(sealed: unknown, options: HandoffOpenOptions): OpenedHandoff | IdentityFailure {
  let opener = openers.get(options);
  if (opener === undefined) {
    opener = new HandoffOpener(options);
    openers.set(options, opener);
  }
  return opener.open(sealed);
}
