import { hash } from 'node:crypto';
import { canonicalJson, needsEscape } from '../core/canonical-json.js';
import type { Stage, Verdict } from '../core/types.js';

/**
 * One audit record per decision. It carries ids, a digest of the arguments (never the raw
 * arguments: secrets stay out of logs) and the decision, chained to its predecessor by hash.
 *
 * **Compatibility rule for the identities.** `inputIdentity` and `enforcedIdentity` were added
 * after logs had been written without them. A null identity is *omitted* from the canonical JSON
 * the hash covers (not written as `null`); a non-null one is included as a string. So:
 * - an entry written by the previous version (no identity fields) hashes, verifies, exports and
 *   imports byte for byte as before, and is read back with both identities null;
 * - an entry whose decision had no identities is encoded exactly as the previous version encoded
 *   it (one encoding per meaning: an explicit `"inputIdentity":null` is never written);
 * - an entry with identities commits to them: editing, adding or removing one breaks its hash
 *   and is located at that entry.
 * Entry objects always carry both fields (null when absent from the content); when one is
 * hashed, a null identity and a missing one are the same thing. A present identity must be
 * 64 lowercase hex digits.
 */
export interface AuditEntry {
  /** Position in the log, from 1. */
  seq: number;
  entryId: string;
  /** ISO 8601, UTC. */
  timestamp: string;
  agent: string;
  stage: Stage;
  tool: string | null;
  actionType: string | null;
  /** SHA-256 (hex) of the arguments' RFC 8785 canonical JSON. */
  argsDigest: string;
  verdict: Verdict;
  rule: string | null;
  policy: string | null;
  reason: string;
  policyRevision: string;
  decisionId: string;
  /**
   * SHA-256 (hex) of the canonical input the kernel decided (the decision's `inputIdentity`);
   * null when the decision came from a bare evaluate. Hashed; see the compatibility rule above.
   */
  inputIdentity: string | null;
  /**
   * SHA-256 (hex) of what is enforced after the decision's transforms (the decision's
   * `enforcedIdentity`, which an approval binds to); null when there is none. Hashed, as above.
   */
  enforcedIdentity: string | null;
  /**
   * Who the kernel's identity step proved the agent to be (the decision's `identity`): present
   * only when a proof was verified, and then hashed as an object; absent otherwise, so entries
   * without one encode exactly as before. Never a key, secret or token.
   */
  identity?: EntryIdentity;
  /** `hash` of the previous entry; 64 zeros for the first. */
  prevHash: string;
  /** SHA-256 (hex) of this entry's canonical JSON without `hash`. */
  hash: string;
}

/** The verified identity an entry records: the subject (DID), proof kind, credential id and delegation digest. */
export interface EntryIdentity {
  readonly subject: string;
  readonly proof: string;
  readonly credentialId: string | null;
  readonly delegationDigest: string | null;
}

/** True for an {@link EntryIdentity} with exactly its four members, each of the right type. */
export function isEntryIdentity(value: unknown): value is EntryIdentity {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    Object.keys(v).length === 4 &&
    typeof v.subject === 'string' &&
    typeof v.proof === 'string' &&
    (v.credentialId === null || typeof v.credentialId === 'string') &&
    (v.delegationDigest === null || isHexHash(v.delegationDigest))
  );
}

/** The previous hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

const HEX_HASH = /^[0-9a-f]{64}$/;

/** True for a SHA-256 hash as the log writes it: 64 lowercase hex digits. */
export function isHexHash(value: unknown): value is string {
  return typeof value === 'string' && HEX_HASH.test(value);
}

/** Entry fields in RFC 8785 order (UTF-16 code-unit sort), excluding `hash`. The identities are omitted from the content when null. */
const HASHED_FIELDS = [
  'actionType',
  'agent',
  'argsDigest',
  'decisionId',
  'enforcedIdentity',
  'entryId',
  'identity',
  'inputIdentity',
  'policy',
  'policyRevision',
  'prevHash',
  'reason',
  'rule',
  'seq',
  'stage',
  'timestamp',
  'tool',
  'verdict',
] as const satisfies readonly (keyof AuditEntry)[];

/** Every field of an entry, in canonical order. */
export const ENTRY_FIELDS: readonly (keyof AuditEntry)[] = [...HASHED_FIELDS, 'hash'];

/** Fields an entry may lack (written before they existed, or null and so omitted): the identities. */
export const OPTIONAL_FIELDS: readonly (keyof AuditEntry)[] = ['inputIdentity', 'enforcedIdentity'];

/** An entry as read from its content: a missing identity is null (see the compatibility rule on {@link AuditEntry}). */
export function withIdentities<T extends object>(entry: T): T & Pick<AuditEntry, 'inputIdentity' | 'enforcedIdentity'> {
  const e = entry as T & Partial<Pick<AuditEntry, 'inputIdentity' | 'enforcedIdentity'>>;
  return { ...entry, inputIdentity: e.inputIdentity ?? null, enforcedIdentity: e.enforcedIdentity ?? null };
}

/**
 * The canonical JSON that an entry's hash covers (RFC 8785, exactly, for every input).
 * Entries not of our exact shape (extra or missing fields, wrong types, as in a tampered file)
 * go through the general serializer, so the hash still covers precisely what is there.
 */
export function hashedContent(entry: object): string {
  return new EntryEncoder().content(entry);
}

/**
 * Serializes entries to their hashed content, fast. Serializing costs about as much as hashing,
 * and most of it is checking strings for characters JSON must escape. Consecutive entries
 * mostly repeat their strings (agent, tool, policy, rule, reason, revision), so the encoder
 * remembers, per field, the last value found escape-free and quotes a repeat without scanning
 * it. `trusted` fields are ones the caller minted itself (hex digests, UUIDs, ISO timestamps)
 * and are never scanned.
 */
/** The canonical content of an entry of any other shape: a null identity is not hashed (the compatibility rule holds for every input). */
function fallbackContent(entry: object): string {
  const { hash: _ignored, ...rest } = entry as Record<string, unknown>;
  for (const field of OPTIONAL_FIELDS) if (rest[field] === null) delete rest[field];
  if (rest.identity === null) delete rest.identity;
  return canonicalJson(rest);
}

export class EntryEncoder {
  private readonly lastSafe: (string | null)[] = new Array<string | null>(HASHED_FIELDS.length).fill(null);
  /** The JSON literal of each `lastSafe` value: a repeat reuses it rather than quoting again. */
  private readonly lastQuoted: (string | null)[] = new Array<string | null>(HASHED_FIELDS.length).fill(null);
  private readonly trusted: boolean[];

  constructor(trusted: readonly (keyof AuditEntry)[] = []) {
    this.trusted = HASHED_FIELDS.map((field) => trusted.includes(field));
  }

  content(entry: object): string {
    return hasExactShape(entry) ? this.contentOfShaped(entry as AuditEntry) : fallbackContent(entry);
  }

  /**
   * {@link content} for an entry the caller built with exactly the fields of AuditEntry and
   * identities that are null or hex digests (AuditLog.append does): the shape check is skipped.
   */
  contentOfShaped(e: AuditEntry): string {
    // The shape (checked, or built so) guarantees a present identity is hex: no escape scan.
    const enforced = e.enforcedIdentity ?? null;
    const input = e.inputIdentity ?? null;
    return (
      '{"actionType":' + this.q(0, e.actionType) +
      ',"agent":' + this.q(1, e.agent) +
      ',"argsDigest":' + this.q(2, e.argsDigest) +
      ',"decisionId":' + this.q(3, e.decisionId) +
      (enforced === null ? '' : ',"enforcedIdentity":"' + enforced + '"') +
      ',"entryId":' + this.q(5, e.entryId) +
      (e.identity === undefined || e.identity === null ? '' : ',"identity":' + identityContent(e.identity)) +
      (input === null ? '' : ',"inputIdentity":"' + input + '"') +
      ',"policy":' + this.q(8, e.policy) +
      ',"policyRevision":' + this.q(9, e.policyRevision) +
      ',"prevHash":' + this.q(10, e.prevHash) +
      ',"reason":' + this.q(11, e.reason) +
      ',"rule":' + this.q(12, e.rule) +
      ',"seq":' + String(e.seq) +
      ',"stage":' + this.q(14, e.stage) +
      ',"timestamp":' + this.q(15, e.timestamp) +
      ',"tool":' + this.q(16, e.tool) +
      ',"verdict":' + this.q(17, e.verdict) +
      '}'
    );
  }

  /** SHA-256 (hex) of content made by {@link content}. */
  static hashOf(content: string): string {
    return hash('sha256', content, 'hex');
  }

  /** The JSON literal for field number `field` (its index in HASHED_FIELDS). */
  private q(field: number, value: string | null): string {
    if (value === null) return 'null';
    if (value === this.lastSafe[field]) return this.lastQuoted[field] as string;
    if (this.trusted[field]) return '"' + value + '"';
    if (needsEscape(value)) return JSON.stringify(value);
    const quoted = '"' + value + '"';
    this.lastSafe[field] = value;
    this.lastQuoted[field] = quoted;
    return quoted;
  }
}

/** The canonical JSON of an entry's identity (its members in RFC 8785 order). */
function identityContent(identity: EntryIdentity): string {
  return canonicalJson({ credentialId: identity.credentialId, delegationDigest: identity.delegationDigest, proof: identity.proof, subject: identity.subject });
}

/** SHA-256 (hex) of an entry's hashed content. */
export function entryHash(entry: object): string {
  return EntryEncoder.hashOf(hashedContent(entry));
}

/** SHA-256 (hex) of a value's canonical JSON (defined in core so identity proofs share it). */
export { digest } from '../core/digest.js';

const FIELD_COUNT = ENTRY_FIELDS.length;

/**
 * True when `entry` has exactly the fields of {@link AuditEntry}, each of the right JSON type;
 * an identity may be missing (an entry written before identities were recorded) or null, and
 * otherwise is 64 lowercase hex digits.
 */
export function hasExactShape(entry: object): boolean {
  const e = entry as Record<keyof AuditEntry, unknown>;
  let count = FIELD_COUNT;
  for (const field of OPTIONAL_FIELDS) {
    const value = e[field];
    if (value === undefined) {
      if (Object.hasOwn(entry, field)) return false;
      count--;
    } else if (value !== null && !isHexHash(value)) return false;
  }
  if (e.identity === undefined) {
    if (Object.hasOwn(entry, 'identity')) return false;
    count--;
  } else if (e.identity !== null && !isEntryIdentity(e.identity)) return false;
  return (
    Number.isSafeInteger(e.seq) &&
    typeof e.entryId === 'string' &&
    typeof e.timestamp === 'string' &&
    typeof e.agent === 'string' &&
    typeof e.stage === 'string' &&
    (e.tool === null || typeof e.tool === 'string') &&
    (e.actionType === null || typeof e.actionType === 'string') &&
    typeof e.argsDigest === 'string' &&
    typeof e.verdict === 'string' &&
    (e.rule === null || typeof e.rule === 'string') &&
    (e.policy === null || typeof e.policy === 'string') &&
    typeof e.reason === 'string' &&
    typeof e.policyRevision === 'string' &&
    typeof e.decisionId === 'string' &&
    typeof e.prevHash === 'string' &&
    typeof e.hash === 'string' &&
    Object.keys(entry).length === count
  );
}
