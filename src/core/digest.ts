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
 * The arguments' digest of a request the kernel sealed; undefined for any other object. With
 * `remember`, the digest is kept for later askers of the same arguments (the identity step binds
 * a proof to it, and the audit entry then records it without hashing again); without, a kept one
 * is reused but nothing is stored, so a kernel without identity pays no bookkeeping per decision.
 */
export function argsDigestOfRequest(request: unknown, remember = false): string | undefined {
  const facts = boundedFacts(request);
  if (facts === undefined) return undefined;
  const args: unknown = (request as { args?: unknown }).args;
  if (typeof args !== 'object' || args === null) return argsDigestOfJson(facts.argsJson);
  const known = sealedArgsDigests.get(args);
  if (known !== undefined) return known;
  const digested = argsDigestOfJson(facts.argsJson);
  if (remember) sealedArgsDigests.set(args, digested);
  return digested;
}
