import { digest } from '../core/digest.js';

/**
 * What a per-action proof is bound to: the tool, the intervention point and the digest of the
 * arguments being decided. A proof made for one action cannot be spent on another, because the
 * verifier compares these with the request it is deciding, not with what the proof claims.
 */
export interface ProvenAction {
  /** The tool's name as the request names it. */
  readonly tool: string;
  /** The intervention point (`pre_tool`, ...) the request is decided at. */
  readonly stage: string;
  /** {@link argsDigestOf} the request's arguments: 64 lowercase hex digits. */
  readonly argsDigest: string;
}

/**
 * The digest a proof binds the arguments by: SHA-256 (hex) of the RFC 8785 canonical JSON of the
 * arguments, no arguments counting as `{}`. It is the audit log's `argsDigest` (one definition,
 * in core), so the audit entry records the very digest the agent signed. The kernel computes it
 * once per request; the verifiers take it as input and never canonicalize arguments themselves.
 * Throws a CanonicalJsonError for values JSON cannot represent (the kernel refuses those first).
 */
export function argsDigestOf(args: unknown): string {
  return digest(args ?? {});
}
