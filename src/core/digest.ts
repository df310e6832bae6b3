import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

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
