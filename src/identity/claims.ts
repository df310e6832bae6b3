import { z } from 'zod';
import { isFailure, publicKeyOfDid } from './did-key.js';

/**
 * The shapes of the claims that credentials and delegation links carry, checked with zod after
 * the signature. Every message is written here so that a claim's *value* never reaches a
 * reason (reasons are audited; a token's content is request data).
 */

/** Tool-name globs: plain tool-name characters plus `*` (see {@link ./tool-globs.ts}). */
export const TOOL_GLOB = /^[A-Za-z0-9_.:/*-]{1,128}$/;
const ROLE = /^[A-Za-z0-9_.:/-]{1,64}$/;
const JTI = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Most tool globs and roles one credential may carry: a bound on what one token makes us walk. */
export const MAX_LIST_ENTRIES = 64;

/** DIDs already found to be valid Ed25519 did:keys (decoding one builds a KeyObject; validity never changes). */
const validDids = new Set<string>();

function isEd25519DidKey(did: string): boolean {
  if (validDids.has(did)) return true;
  if (isFailure(publicKeyOfDid(did))) return false;
  if (validDids.size >= 10_000) validDids.clear();
  validDids.add(did);
  return true;
}

const didKey = z.string().max(64).refine(isEd25519DidKey, { error: 'must be an Ed25519 did:key' });
const numericDate = z.number({ error: 'must be a NumericDate (seconds since the epoch)' }).int({ error: 'must be whole seconds' }).min(0).max(1e11);

/** Fields common to credentials and links. */
const authority = {
  iss: didKey,
  sub: didKey,
  jti: z.string({ error: 'must be a string' }).regex(JTI, { error: 'must be 1-128 characters of [A-Za-z0-9_.:-]' }),
  iat: numericDate,
  exp: numericDate,
  nbf: numericDate.optional(),
  ring: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(0, { error: 'must be 0-3' }).max(3, { error: 'must be 0-3' }),
  trust: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(0, { error: 'must be 0-1000' }).max(1000, { error: 'must be 0-1000' }),
  tools: z.array(z.string({ error: 'must hold strings' }).regex(TOOL_GLOB, { error: 'must hold tool globs of [A-Za-z0-9_.:/*-], 1-128 characters' }), { error: 'must be an array of tool globs' }).max(MAX_LIST_ENTRIES, { error: `must hold at most ${MAX_LIST_ENTRIES} globs` }),
};
const roles = z.array(z.string({ error: 'must hold strings' }).regex(ROLE, { error: 'must hold roles of [A-Za-z0-9_.:/-], 1-64 characters' }), { error: 'must be an array of roles' }).max(MAX_LIST_ENTRIES, { error: `must hold at most ${MAX_LIST_ENTRIES} roles` });

/** The claims of an issuer-signed credential. */
export const credentialClaimsSchema = z.object({ ...authority, roles });

/** The claims of a delegation link; `roles` defaults to the parent's, `prev` is the SHA-256 (hex) of the parent token. */
export const linkClaimsSchema = z.object({ ...authority, roles: roles.optional(), prev: z.string({ error: 'must be a string' }).regex(/^[0-9a-f]{64}$/, { error: 'must be the SHA-256 (hex) of the parent token' }) });

/** Verified credential claims. */
export type CredentialClaims = z.infer<typeof credentialClaimsSchema>;
/** Verified delegation-link claims. */
export type LinkClaims = z.infer<typeof linkClaimsSchema>;

/** The first problem zod found, as `claim 'path' message`: our words, never the claim's value. */
export function claimProblem(error: z.ZodError, payload: Readonly<Record<string, unknown>>): string {
  const issue = error.issues[0];
  if (!issue) return 'the claims are invalid';
  const path = issue.path.map(String).join('.');
  const top = issue.path[0];
  if (issue.path.length === 1 && typeof top === 'string' && payload[top] === undefined) return `the claim '${path}' is missing`;
  return `the claim '${path}' ${issue.message}`;
}
