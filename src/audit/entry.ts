import { hash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
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

/** Every field an entry must have, with the JSON type it must be. */
const FIELD_TYPES: Readonly<Record<keyof AuditEntry, 'string' | 'number' | 'string|null'>> = {
  seq: 'number',
  entryId: 'string',
  timestamp: 'string',
  agent: 'string',
  stage: 'string',
  tool: 'string|null',
  actionType: 'string|null',
  argsDigest: 'string',
  verdict: 'string',
  rule: 'string|null',
  policy: 'string|null',
  reason: 'string',
  policyRevision: 'string',
  decisionId: 'string',
  prevHash: 'string',
  hash: 'string',
};

/**
 * The canonical JSON that an entry's hash covers. For an entry of exactly our shape this is a
 * direct, allocation-light serialization (the hot path); anything else (extra or missing
 * fields, wrong types, as in a tampered file) goes through the general RFC 8785 serializer, so
 * the hash still covers precisely what is there.
 */
export function hashedContent(entry: Readonly<Record<string, unknown>>): string {
  if (!hasExactShape(entry)) {
    const { hash: _ignored, ...rest } = entry;
    return canonicalJson(rest);
  }
  const e = entry as unknown as AuditEntry;
  return (
    '{"actionType":' + str(e.actionType) +
    ',"agent":' + JSON.stringify(e.agent) +
    ',"argsDigest":' + JSON.stringify(e.argsDigest) +
    ',"decisionId":' + JSON.stringify(e.decisionId) +
    ',"entryId":' + JSON.stringify(e.entryId) +
    ',"policy":' + str(e.policy) +
    ',"policyRevision":' + JSON.stringify(e.policyRevision) +
    ',"prevHash":' + JSON.stringify(e.prevHash) +
    ',"reason":' + JSON.stringify(e.reason) +
    ',"rule":' + str(e.rule) +
    ',"seq":' + JSON.stringify(e.seq) +
    ',"stage":' + JSON.stringify(e.stage) +
    ',"timestamp":' + JSON.stringify(e.timestamp) +
    ',"tool":' + str(e.tool) +
    ',"verdict":' + JSON.stringify(e.verdict) +
    '}'
  );
}

function str(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

/** SHA-256 (hex) of an entry's hashed content. */
export function entryHash(entry: Readonly<Record<string, unknown>>): string {
  return hash('sha256', hashedContent(entry), 'hex');
}

/** SHA-256 (hex) of a value's canonical JSON. */
export function digest(value: unknown): string {
  return hash('sha256', canonicalJson(value), 'hex');
}

const FIELD_COUNT = HASHED_FIELDS.length + 1;

/** True when `entry` has exactly the fields of {@link AuditEntry}, each of the right JSON type. */
export function hasExactShape(entry: Readonly<Record<string, unknown>>): boolean {
  let count = 0;
  for (const key in entry) {
    if (!Object.hasOwn(entry, key)) continue;
    count++;
    const expected = FIELD_TYPES[key as keyof AuditEntry];
    if (expected === undefined) return false;
    const value = entry[key];
    if (expected === 'number' ? !Number.isSafeInteger(value) : expected === 'string' ? typeof value !== 'string' : value !== null && typeof value !== 'string') {
      return false;
    }
  }
  return count === FIELD_COUNT;
}
