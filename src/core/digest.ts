import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { boundedFacts } from './snapshot.js';

/**
 * SHA-256 (hex) of a value's RFC 8785 canonical JSON. The one definition of a value's digest:
 * the audit log's `argsDigest` and the identity proofs' `argsDigest` are both this, so an agent
 * that signs the digest of its arguments signs exactly what the audit entry records.
 */
export function digest(value: unknown): string {
  return hash('sha256', canonicalJson(value), 'hex');
}

const EMPTY_ARGS_JSON = '{}';
const EMPTY_ARGS_DIGEST = hash('sha256', EMPTY_ARGS_JSON, 'hex');

/** {@link digest} of the arguments, given their canonical JSON (the kernel's bounds step has it already). */
export function argsDigestOfJson(argsJson: string): string {
  return argsJson === EMPTY_ARGS_JSON ? EMPTY_ARGS_DIGEST : hash('sha256', argsJson, 'hex');
}

/**
 * The arguments' digest of a request the kernel sealed; undefined for any other object. The
 * digest is kept with the request's bounded facts, so the identity step (which binds a proof to
 * it) and the audit entry (which records it) hash the arguments once between them.
 */
export function argsDigestOfRequest(request: unknown): string | undefined {
  const facts = boundedFacts(request);
  if (facts === undefined) return undefined;
  return facts.knownArgsDigest ?? facts.rememberArgsDigest(argsDigestOfJson(facts.argsJson));
}
