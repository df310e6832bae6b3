import { systemClock, type Clock } from '../core/clock.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import { factsFromClaims, type JwtClaimMapping } from './jwt-claims.js';
import { checkedAlgorithms, DEFAULT_MAX_TOKEN_CHARS, verifyJwt, type JwtChecks } from './jwt-verify.js';
import { JwksSource, type JwksSourceOptions } from './jwks-source.js';
import { identityRevocationProblem, type RevocationCheck } from './revocation-check.js';
import type { VerifiedIdentity } from './verified.js';

/**
 * Bearer JWTs from Entra ID or any OIDC issuer: the signature against the issuer's JWKS, `iss`
 * and `aud` pinned, the tenant (`tid`) pinned when configured, asymmetric algorithms only, then
 * the claims mapped to agent facts (see jwt-claims.ts).
 */

/** A trusted OIDC issuer. */
export interface JwtBearerOptions {
  /** The issuer's keys: a JwksSource, or the options to build one (url or file). */
  readonly keys: JwksSource | JwksSourceOptions;
  /** The exact `iss` value(s) accepted, e.g. `https://login.microsoftonline.com/<tenant>/v2.0`. */
  readonly issuer: string | readonly string[];
  /** The `aud` value(s) accepted: this API's application id or URI. Required. */
  readonly audience: string | readonly string[];
  /** When set, the tenant claim must equal it (Entra: the directory's tenant id). */
  readonly tenant?: string;
  /** The claim holding the tenant. Default `tid`. */
  readonly tenantClaim?: string;
  /** Accepted algorithms, all asymmetric. Default: every RSA, RSA-PSS, ECDSA and EdDSA one. */
  readonly algorithms?: readonly string[];
  readonly claims?: JwtClaimMapping;
  /** Slack on `exp` and `nbf`, in seconds. Default 60. */
  readonly clockToleranceSeconds?: number;
  /** Refuse longer tokens before parsing. Default 16384 characters. */
  readonly maxTokenChars?: number;
  /**
   * Asked on every token after its signature holds: a revoked subject (the mapped `sub`), `jti`
   * or issuer (`iss`) is `identity:revoked`. Give the deployment's `RevocationList` so that
   * `agt identity revoke` in any process sharing its state store refuses the next action.
   */
  readonly revocations?: RevocationCheck;
  readonly clock?: Clock;
}

const REVOCATION_NAMES = { subject: "the token's subject", credentialId: "the token's id (jti)", issuer: "the token's issuer" } as const;

/** Verifies bearer tokens of one issuer. Construction throws a TypeError for a bad configuration. */
export class JwtBearerVerifier {
  readonly #keys: JwksSource;
  readonly #checks: JwtChecks;
  readonly #options: JwtBearerOptions;

  constructor(options: JwtBearerOptions) {
    const clock = options.clock ?? systemClock;
    this.#keys = options.keys instanceof JwksSource ? options.keys : new JwksSource({ clock, ...options.keys });
    this.#checks = {
      algorithms: checkedAlgorithms(options.algorithms),
      issuer: nonEmptyList(options.issuer, 'issuer'),
      audience: nonEmptyList(options.audience, 'audience'),
      clockToleranceSeconds: options.clockToleranceSeconds ?? 60,
      maxTokenChars: options.maxTokenChars ?? DEFAULT_MAX_TOKEN_CHARS,
      clock,
    };
    if (options.tenant !== undefined && options.tenant.length === 0) throw new TypeError('the JWT bearer tenant is empty; omit it to accept any tenant of the pinned issuer');
    this.#options = options;
  }

  /** The identity `token` proves (a leading `Bearer ` is accepted), or why not. Never throws. */
  async verify(token: unknown): Promise<VerifiedIdentity | IdentityFailure> {
    const bare = typeof token === 'string' && /^bearer /i.test(token) ? token.slice(7).trim() : token;
    const verified = await verifyJwt(bare, this.#keys, this.#checks);
    if (!verified.ok) return verified;
    const { payload } = verified;
    const { tenant } = this.#options;
    const tenantClaim = this.#options.tenantClaim ?? 'tid';
    if (tenant !== undefined && payload[tenantClaim] !== tenant) return identityFailure('untrusted_issuer', `the JWT's '${tenantClaim}' is not the pinned tenant`);
    const facts = factsFromClaims(payload, this.#options.claims);
    if ('ok' in facts) return facts;
    const identity: VerifiedIdentity = {
      ok: true,
      subject: facts.subject,
      proof: 'jwt',
      issuer: payload.iss ?? '',
      credentialId: typeof payload.jti === 'string' ? payload.jti : null,
      ring: facts.ring,
      roles: facts.roles,
      tools: facts.tools,
      trust: facts.trust,
      expiresAt: (payload.exp ?? 0) * 1000,
      delegationDigest: null,
    };
    return identityRevocationProblem(this.#options.revocations, identity, REVOCATION_NAMES) ?? identity;
  }
}

function nonEmptyList(value: string | readonly string[], name: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new TypeError(`the JWT bearer ${name} must be a non-empty string or list of strings`);
  }
  return list;
}
