import { hash } from 'node:crypto';

const EMPTY_ARGS_JSON = '{}';
const EMPTY_ARGS_DIGEST = hash('sha256', EMPTY_ARGS_JSON, 'hex');

/**
 * The arguments' digest: SHA-256 (hex) of their RFC 8785 canonical JSON, given that JSON. The one
 * definition both the audit entry's `argsDigest` and a per-action identity proof's `argsDigest`
 * use, so a proof signed over a call's arguments names exactly what the audit log records.
 */
export function argsDigestOfJson(argsJson: string): string {
  return argsJson === EMPTY_ARGS_JSON ? EMPTY_ARGS_DIGEST : hash('sha256', argsJson, 'hex');
}
