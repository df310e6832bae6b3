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
