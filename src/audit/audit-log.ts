import { systemClock, type Clock } from '../core/clock.js';
import { describeError, GovernanceError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import type { Decision, DecisionIdentity, GovernanceRequest, NormalizedRequest } from '../core/types.js';
import { digest, EntryEncoder, GENESIS_HASH, isEntryIdentity, isHexHash, withIdentities, type AuditEntry, type EntryIdentity } from './entry.js';
import { MemoryAuditSink, type AuditSink } from './sink.js';
import type { VerifyResult } from './verify.js';
import { argsDigestOfRequest } from '../core/digest.js';
import { boundedFacts } from '../core/snapshot.js';

/** What an entry is made from: the request as decided, and its decision. */
export interface AuditRecordInput {
  request: GovernanceRequest | NormalizedRequest;
  decision: Decision;
}

/** How an {@link AuditLog} stores entries and tells time. */
export interface AuditLogOptions {
  /** Where entries are stored; memory by default. */
  sink?: AuditSink;
  clock?: Clock;
  /** Called once when the log reaches `at` entries (e.g. to warn that memory is filling). */
  onLength?: { at: number; call: (length: number) => void };
}

const EMPTY_ARGS_DIGEST = digest({});

/**
 * The hash-chained audit log: one entry per decision, each committing to its predecessor, so
 * an edit, deletion, insertion or reordering breaks verification at the first affected entry.
 * Entries are frozen when made: what `entries()` returns cannot be used to change the log.
 */
export class AuditLog {
  private readonly sink: AuditSink;
  private readonly clock: Clock;
  private prevHash: string;
  private seq: number;
  private lastMs = -1;
  private lastIso = '';
  /** Fields minted here (hex digests, UUIDs, ISO time, and prevHash: our own hash or a checked tail) need no escape scan. */
  private readonly encoder = new EntryEncoder(['argsDigest', 'entryId', 'timestamp', 'prevHash']);

  private readonly onLength: AuditLogOptions['onLength'];

  constructor(options: AuditLogOptions = {}) {
    this.onLength = options.onLength;
    this.sink = options.sink ?? new MemoryAuditSink();
    this.clock = options.clock ?? systemClock;
    const tail = this.sink.last();
    if (tail && (!isHexHash(tail.hash) || !Number.isSafeInteger(tail.seq))) {
      throw new GovernanceError('ERR_AGT_AUDIT_CORRUPT', 'the audit store ends with a malformed entry; verify it before appending');
    }
    this.prevHash = tail?.hash ?? GENESIS_HASH;
    this.seq = tail?.seq ?? 0;
  }

  /**
   * Appends the entry for one decision and returns it (frozen). The request may be raw or
   * normalized: tool, action type and agent are read as {@link normalizeRequest} binds them
   * (`action` given as a string is its type, `action.type` defaults to the tool name, `agent`
   * may be its id alone), so the entry names what was decided. Nothing is re-validated.
   * Throws a TypeError for a decision whose identity is neither null nor a SHA-256 hex digest.
   */
  append({ request, decision }: AuditRecordInput): AuditEntry {
    const agent = typeof request.agent === 'string' ? request.agent : request.agent?.id;
    const tool = typeof request.tool_name === 'string' ? request.tool_name : null;
    const args = request.args;
    // The kernel stamps the identities of a request it sealed itself: checked when anyone else calls.
    const sealed = boundedFacts(request) !== undefined;
    const inputIdentity = sealed ? decision.inputIdentity : identity(decision.inputIdentity, 'inputIdentity');
    const enforcedIdentity = sealed || decision.enforcedIdentity === decision.inputIdentity ? decision.enforcedIdentity : identity(decision.enforcedIdentity, 'enforcedIdentity');
    const entry = {
      seq: this.seq + 1,
      entryId: uuidv7(),
      timestamp: this.isoNow(),
      agent: typeof agent === 'string' ? agent : 'anonymous',
      stage: decision.stage,
      tool,
      actionType: actionTypeOf(request.action, tool),
      argsDigest: argsDigestOf(request, args),
      verdict: decision.verdict,
      rule: decision.rule,
      policy: decision.policy,
      reason: decision.reason,
      policyRevision: decision.policyRevision,
      decisionId: decision.decisionId,
      inputIdentity,
      enforcedIdentity,
      ...(decision.identity === undefined || decision.identity === null ? {} : { identity: entryIdentity(decision.identity) }),
      prevHash: this.prevHash,
      hash: '',
    };
    // A decision the kernel made for a request it sealed has the Decision shape by construction;
    // anything else handed to append is shape-checked (and falls back to plain canonical JSON).
    const content = sealed ? this.encoder.contentOfShaped(entry) : this.encoder.content(entry);
    entry.hash = EntryEncoder.hashOf(content);
    Object.freeze(entry);
    this.sink.append({ entry, content });
    this.seq = entry.seq;
    this.prevHash = entry.hash;
    if (this.seq === this.onLength?.at) this.onLength.call(this.seq);
    return entry;
  }

  /** Number of entries in the chain. */
  get length(): number {
    return this.seq;
  }

  /** Hash of the newest entry (the chain head). */
  get head(): string {
    return this.prevHash;
  }

  /** Every entry, in order; each is frozen, with both identities (null where the content has none). */
  entries(): readonly AuditEntry[] {
    return Array.from(this.sink.read(), (entry) =>
      typeof entry === 'object' && entry !== null && !('inputIdentity' in entry && 'enforcedIdentity' in entry) ? Object.freeze(withIdentities(entry)) : entry,
    ) as AuditEntry[];
  }

  /** Re-checks the whole chain as stored. Never throws. */
  verify(): VerifyResult {
    try {
      return this.sink.verify();
    } catch (error) {
      return { ok: false, entries: 0, firstBadSeq: null, reason: `could not read the log: ${describeError(error)}` };
    }
  }

  /**
   * Null when every appended entry is already as durable as the sink makes it; otherwise a
   * promise that settles when it is (and rejects if the sink cannot commit). `govern()` awaits
   * this before a tool runs.
   */
  durable(): Promise<void> | null {
    return this.sink.durable?.() ?? null;
  }

  flush(): void {
    this.sink.flush();
  }

  close(): void {
    this.sink.close();
  }

  /** ISO timestamps are cached per millisecond: a burst of decisions formats the time once. */
  private isoNow(): string {
    const now = this.clock();
    if (now !== this.lastMs) {
      this.lastMs = now;
      this.lastIso = new Date(now).toISOString();
    }
    return this.lastIso;
  }
}

/**
 * The action type as normalization binds it: `action` given as a string is the type; an object's
 * `type` is used when it is a string and defaults to the tool name when absent (undefined);
 * a missing action is the tool name.
 */
function actionTypeOf(action: unknown, tool: string | null): string | null {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && !Array.isArray(action)) {
    const type = (action as { type?: unknown }).type;
    return typeof type === 'string' ? type : type === undefined ? tool : null;
  }
  return action === undefined || action === null ? tool : null;
}

/** A decision's verified identity as the entry records it: exactly its four members (anything else is a caller bug). */
function entryIdentity(identity: DecisionIdentity): EntryIdentity {
  const copy = { subject: identity.subject, proof: identity.proof, credentialId: identity.credentialId, delegationDigest: identity.delegationDigest };
  if (!isEntryIdentity(copy)) throw new TypeError('decision.identity must be { subject, proof, credentialId, delegationDigest } with strings (the digest null or 64 lowercase hex digits)');
  return Object.freeze(copy);
}

/** A decision's identity as the entry records it: null, or a SHA-256 hex digest (anything else is a caller bug). */
function identity(value: string | null | undefined, name: string): string | null {
  if (value === null || value === undefined) return null;
  if (!isHexHash(value)) throw new TypeError(`decision.${name} must be null or a SHA-256 hex digest (64 lowercase hex digits)`);
  return value;
}

function isEmpty(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

/**
 * The digest of the arguments: for a request the kernel sealed, from the canonical JSON it already
 * made (and the digest the identity step may have taken); for arguments that are not JSON data
 * (the kernel denies those as invalid requests) a digest of the reason instead. It must not
 * throw: that denial has to be recorded too.
 */
function argsDigestOf(request: unknown, args: unknown): string {
  const sealed = argsDigestOfRequest(request);
  if (sealed !== undefined) return sealed;
  return args === undefined || args === null || isEmpty(args as object) ? EMPTY_ARGS_DIGEST : safeDigest(args);
}

function safeDigest(args: unknown): string {
  try {
    return digest(args);
  } catch (error) {
    return digest({ unserializable: describeError(error) });
  }
}
