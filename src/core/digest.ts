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

/** Digests of sealed requests' arguments, by their frozen copy (which a request rebuilt around it shares). */
const sealedArgsDigests = new WeakMap<object, string>();

/**
 * The arguments' digest of a request the kernel sealed, hashed once however many steps ask (the
 * identity step binds proofs to it, the audit entry records it); undefined for any other object.
 */
export function argsDigestOfRequest(request: unknown): string | undefined {
  const facts = boundedFacts(request);
  if (facts === undefined) return undefined;
  const args: unknown = (request as { args?: unknown }).args;
  if (typeof args !== 'object' || args === null) return argsDigestOfJson(facts.argsJson);
  let known = sealedArgsDigests.get(args);
  if (known === undefined) {
    known = argsDigestOfJson(facts.argsJson);
    sealedArgsDigests.set(args, known);
  }
  return known;
}
