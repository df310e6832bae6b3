import { hash } from 'node:crypto';
import { canonicalJson, quoteJson } from '../core/canonical-json.js';
export { needsEscape } from '../core/canonical-json.js';
import type { Stage, Verdict } from '../core/types.js';

/**
 * One audit record per decision. It carries ids, a digest of the arguments (never the raw
 * arguments: secrets stay out of logs) and the decision, chained to its predecessor by hash.
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
  /** `hash` of the previous entry; 64 zeros for the first. */
  prevHash: string;
  /** SHA-256 (hex) of this entry's canonical JSON without `hash`. */
  hash: string;
}

/** The previous hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Entry fields in RFC 8785 order (UTF-16 code-unit sort), excluding `hash`. */
const HASHED_FIELDS = [
  'actionType',
  'agent',
  'argsDigest',
  'decisionId',
  'entryId',
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

/**
 * The canonical JSON that an entry's hash covers, exactly RFC 8785 for every input.
 *
 * Serializing costs about as much as hashing, so entries of our exact shape take a direct path:
 * keys are emitted in canonical order and each string is quoted as-is when it holds nothing JSON
 * must escape (JSON.stringify otherwise). `knownSafe` names fields the caller has already proven
 * escape-free (hex digests and ids it minted itself, a prevHash equal to a hash it computed), so
 * they are not scanned again. Anything not of our shape (extra or missing fields, wrong types,
 * as in a tampered file) goes through the general serializer, so the hash still covers
 * precisely what is there.
 */
export function hashedContent(entry: object, knownSafe: SafeFields = NONE_SAFE): string {
  if (!hasExactShape(entry)) {
    const { hash: _ignored, ...rest } = entry as Record<string, unknown>;
    return canonicalJson(rest);
  }
  const e = entry as unknown as AuditEntry;
  return (
    '{"actionType":' + q(e.actionType) +
    ',"agent":' + q(e.agent) +
    ',"argsDigest":' + (knownSafe.argsDigest ? '"' + e.argsDigest + '"' : q(e.argsDigest)) +
    ',"decisionId":' + q(e.decisionId) +
    ',"entryId":' + (knownSafe.entryId ? '"' + e.entryId + '"' : q(e.entryId)) +
    ',"policy":' + q(e.policy) +
    ',"policyRevision":' + (knownSafe.policyRevision ? '"' + e.policyRevision + '"' : q(e.policyRevision)) +
    ',"prevHash":' + (knownSafe.prevHash ? '"' + e.prevHash + '"' : q(e.prevHash)) +
    ',"reason":' + q(e.reason) +
    ',"rule":' + q(e.rule) +
    ',"seq":' + String(e.seq) +
    ',"stage":' + q(e.stage) +
    ',"timestamp":' + (knownSafe.timestamp ? '"' + e.timestamp + '"' : q(e.timestamp)) +
    ',"tool":' + q(e.tool) +
    ',"verdict":' + q(e.verdict) +
    '}'
  );
}

/** Fields a caller vouches are free of characters JSON would escape. */
export interface SafeFields {
  argsDigest?: boolean;
  entryId?: boolean;
  policyRevision?: boolean;
  prevHash?: boolean;
  timestamp?: boolean;
}

const NONE_SAFE: SafeFields = Object.freeze({});

function q(value: string | null): string {
  return value === null ? 'null' : quoteJson(value);
}

/** SHA-256 (hex) of an entry's hashed content. */
export function entryHash(entry: object, knownSafe?: SafeFields): string {
  return hash('sha256', hashedContent(entry, knownSafe), 'hex');
}

/** SHA-256 (hex) of a value's canonical JSON. */
export function digest(value: unknown): string {
  return hash('sha256', canonicalJson(value), 'hex');
}

const FIELD_COUNT = ENTRY_FIELDS.length;

/** True when `entry` has exactly the fields of {@link AuditEntry}, each of the right JSON type. */
export function hasExactShape(entry: object): boolean {
  const e = entry as Record<keyof AuditEntry, unknown>;
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
    Object.keys(entry).length === FIELD_COUNT
  );
}
