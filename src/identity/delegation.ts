import { createHash, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { AgentKey } from './agent-key.js';
import { claimProblem, linkClaimsSchema, type LinkClaims } from './claims.js';
import { freshCredentialId, revocationProblem, verifyCredential, type CredentialVerifyOptions, type VerifiedCredential } from './credential.js';
import { isFailure, publicKeyOfDid } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import { decodeEdDsaJwt, DEFAULT_MAX_TOKEN_BYTES, signatureHolds, signEdDsaJwt } from './jws.js';
import { DEFAULT_CLOCK_SKEW_SECONDS, timeWindowProblem } from './token-times.js';
import { firstUncoveredGlob } from './tool-globs.js';
import { VerifiedTokens } from './verified-tokens.js';
import type { Delegator } from './verified.js';

/**
 * Delegation: an agent hands part of its authority to another. A chain is the issuer-signed
 * credential followed by links; link i is an EdDSA JWT (typ {@link DELEGATION_TYP}) signed by
 * the key of the previous subject (`iss` = that subject's did:key, so the key comes from the DID
 * and an unknown parent cannot exist: a link whose `iss` is not the previous subject is refused),
 * bound to its exact parent by `prev` = SHA-256 of the parent token. Each link may only
 * attenuate: tools a subset (see ./tool-globs.ts), roles a subset, ring no more privileged
 * (a number >= the parent's), trust no higher, expiry no later. No subject may appear twice
 * (a cycle), and the chain is at most `maxDepth` links long (default 5).
 */

/** The JWT header `typ` of a delegation link. */
export const DELEGATION_TYP = 'agt-delegation+jwt';

/** Default limit on links after the root credential. */
export const DEFAULT_MAX_DELEGATION_DEPTH = 5;

/** A credential chain: the issuer-signed credential, then zero or more delegation links. */
export type CredentialChain = readonly string[];

/** What a parent hands to a child. Omitted fields inherit the parent's value (never more). */
export interface DelegationGrant {
  /** The child's did:key. */
  readonly subject: string;
  readonly tools: readonly string[];
  readonly roles?: readonly string[];
  readonly ring?: number;
  readonly trust?: number;
  /** Lifetime in seconds from now; the link never outlives its parent (capped at the parent's expiry). */
  readonly ttlSeconds: number;
  readonly jti?: string;
}

/** How to verify a chain: a credential's options plus the depth limit. */
export interface ChainVerifyOptions extends CredentialVerifyOptions {
  /** Most links after the root credential (default 5). */
  readonly maxDepth?: number;
}

/** A signed delegation link and the chain it extends. */
export interface DelegatedCredential {
  readonly ok: true;
  readonly token: string;
  /** The parent's chain with the new link appended: what the child presents. */
  readonly chain: CredentialChain;
}

/**
 * Signs a link from the holder of `parentKey` (the subject of the chain's last token) to
 * `grant.subject`. A grant that would not verify (it widens authority, or the key is not the
 * parent's) is refused rather than signed; the parent chain itself is not verified here.
 */
export async function delegate(parentKey: AgentKey, parentChain: CredentialChain, grant: DelegationGrant, clock: Clock = systemClock): Promise<DelegatedCredential | IdentityFailure> {
  const parentToken = parentChain[parentChain.length - 1];
  const parent = unverifiedAuthority(parentChain);
  if (parent === null) return identityFailure('malformed', 'the parent chain does not end in a readable credential or link');
  if (parent.sub !== parentKey.did) return identityFailure('untrusted_issuer', "the key is not the parent credential's subject; delegate with the key the credential was issued to");
  if (!Number.isInteger(grant.ttlSeconds) || grant.ttlSeconds <= 0) return identityFailure('malformed', 'the link lifetime must be a positive whole number of seconds');
  const iat = Math.floor(clock() / 1000);
  const candidate = {
    iss: parentKey.did, sub: grant.subject, jti: grant.jti ?? freshCredentialId(), prev: sha256(parentToken as string),
    iat, exp: Math.min(iat + grant.ttlSeconds, Number(parent.exp)),
    ring: grant.ring ?? parent.ring, trust: grant.trust ?? parent.trust, tools: [...grant.tools], ...(grant.roles ? { roles: [...grant.roles] } : {}),
  };
  const parsed = linkClaimsSchema.safeParse(candidate);
  if (!parsed.success) return identityFailure('malformed', `cannot delegate: ${claimProblem(parsed.error, candidate)}`);
  const widening = wideningProblem(parsed.data, parent);
  if (widening) return identityFailure('delegation', `cannot delegate: the link ${widening}`);
  const token = await signEdDsaJwt(parsed.data, DELEGATION_TYP, parentKey.privateKey);
  return { ok: true, token, chain: [...parentChain, token] };
}

/**
 * Verifies a chain and answers with the effective (narrowed) authority of its last subject;
 * `delegationDigest` is the SHA-256 of the canonical JSON of the chain (null for a bare
 * credential) and `credentialId` is the last token's `jti`. Never throws.
 */
export function verifyCredentialChain(chain: unknown, options: ChainVerifyOptions): VerifiedCredential | IdentityFailure {
  if (!Array.isArray(chain) || chain.length === 0) return identityFailure('missing', 'the credential chain is missing (expected the credential, then any delegation links)');
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DELEGATION_DEPTH;
  if (chain.length - 1 > maxDepth) return identityFailure('delegation', `the delegation chain has ${chain.length - 1} links, over the limit of ${maxDepth}`);
  const root = verifyCredential(chain[0], options);
  if (isFailure(root)) return root;
  if (chain.length === 1) return withoutClaims(root);
  const now = (options.clock ?? systemClock)();
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  let parent: Authority = { ...root.claims };
  let parentToken = chain[0] as string;
  const subjects = new Set([root.subject]);
  const revocationIds = [root.claims.jti, root.subject];
  const delegators: Delegator[] = [];
  for (let i = 1; i < chain.length; i++) {
    const what = `delegation link ${i}`;
    const token: unknown = chain[i];
    const link = checkedLink(token, parent.sub, what, options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES);
    if (isFailure(link)) return link;
    if (link.prev !== sha256(parentToken)) return identityFailure('untrusted_issuer', `${what} was signed for a different parent credential (prev does not match)`);
    const when = timeWindowProblem(link, now, skew, what);
    if (when) return when;
    const widening = wideningProblem(link, parent);
    if (widening) return identityFailure('delegation', `${what} ${widening}`);
    if (subjects.has(link.sub)) return identityFailure('delegation', `${what} delegates back to an earlier subject of the chain (a cycle)`);
    subjects.add(link.sub);
    const revoked = options.revocations ? revocationProblem(options.revocations, link, what) : null;
    if (revoked) return revoked;
    revocationIds.push(link.jti, link.sub);
    delegators.push({ subject: parent.sub, trust: parent.trust, ring: parent.ring });
    parent = { sub: link.sub, jti: link.jti, ring: link.ring, trust: link.trust, tools: link.tools, roles: link.roles ?? parent.roles, exp: link.exp };
    parentToken = token as string;
  }
  return {
    ok: true, subject: parent.sub, issuer: root.issuer, credentialId: parent.jti,
    ring: parent.ring, roles: parent.roles, tools: parent.tools, trust: parent.trust,
    expiresAt: parent.exp * 1000, delegationDigest: sha256(canonicalJson(chain)), revocationIds, delegators,
  };
}

/** Links whose signature (by the key their `iss` names) and shape were checked; see ./verified-tokens.ts. */
const verifiedLinks = new VerifiedTokens<LinkClaims>();

/** The claims of a link issued by `parentDid`, whose size, algorithm, signature by that DID's key and shapes hold. */
function checkedLink(token: unknown, parentDid: string, what: string, maxBytes: number): LinkClaims | IdentityFailure {
  const known = typeof token === 'string' && token.length <= maxBytes ? verifiedLinks.get(token) : undefined;
  if (known) return known.iss === parentDid ? known : notFromParent(what);
  const decoded = decodeEdDsaJwt(token, DELEGATION_TYP, what, maxBytes);
  if (isFailure(decoded)) return decoded;
  if (decoded.payload.iss !== parentDid) return notFromParent(what);
  const parentKey = parentKeyOf(parentDid);
  if (isFailure(parentKey)) return parentKey;
  if (!signatureHolds(decoded, parentKey)) return identityFailure('signature', `${what}'s signature does not verify under its parent's key`);
  const parsed = linkClaimsSchema.safeParse(decoded.payload);
  if (!parsed.success) return identityFailure('malformed', `${what}: ${claimProblem(parsed.error, decoded.payload)}`);
  verifiedLinks.set(token as string, parsed.data);
  return parsed.data;
}

function notFromParent(what: string): IdentityFailure {
  return identityFailure('untrusted_issuer', `${what} is not issued by its parent (its iss is not the previous subject); an unknown parent is never skipped`);
}

/** The authority a token in the chain holds, as far as attenuation is concerned. */
interface Authority {
  readonly sub: string;
  readonly jti: string;
  readonly ring: number;
  readonly trust: number;
  readonly tools: readonly string[];
  readonly roles: readonly string[];
  readonly exp: number;
}

/** Why `link` grants more than `parent`, in words that carry no claim value; null when it only attenuates. */
function wideningProblem(link: LinkClaims, parent: Authority): string | null {
  if (link.ring < parent.ring) return 'widens authority: its ring is more privileged than its parent\'s';
  if (link.trust > parent.trust) return "widens authority: its trust is above its parent's";
  if (link.exp > parent.exp) return "widens authority: it expires after its parent";
  const tool = firstUncoveredGlob(parent.tools, link.tools);
  if (tool > 0) return `widens authority: its tool glob ${tool} is not within its parent's tools`;
  const roles = new Set(parent.roles);
  const role = (link.roles ?? []).findIndex((r) => !roles.has(r)) + 1;
  if (role > 0) return `widens authority: its role ${role} is not one of its parent's roles`;
  return null;
}

/** The effective authority at the end of a chain, unverified: only to pre-check a grant before signing. */
function unverifiedAuthority(chain: CredentialChain): Authority | null {
  let roles: readonly string[] = [];
  let last: Authority | null = null;
  for (const token of chain) {
    try {
      const claims: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
      const shape = linkClaimsSchema.omit({ prev: true }).safeParse(claims);
      if (!shape.success) return null;
      roles = shape.data.roles ?? roles;
      last = { ...shape.data, roles };
    } catch {
      return null;
    }
  }
  return last;
}

/** Public keys of parents, decoded once: a DID names its key, so the cache cannot go stale. */
const parentKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 10_000;

function parentKeyOf(did: string): KeyObject | IdentityFailure {
  let key = parentKeys.get(did);
  if (key === undefined) {
    const decoded = publicKeyOfDid(did);
    if (isFailure(decoded)) return decoded;
    if (parentKeys.size >= MAX_CACHED_KEYS) parentKeys.clear();
    parentKeys.set(did, decoded);
    key = decoded;
  }
  return key;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function withoutClaims(credential: VerifiedCredential & { claims: unknown }): VerifiedCredential {
  const { claims: _claims, ...rest } = credential;
  return rest;
}
