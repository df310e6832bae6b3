import { systemClock, type Clock } from '../core/clock.js';
import { isFailure } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import { JwksSource, type JwksSourceOptions } from './jwks-source.js';
import { checkedAlgorithms, DEFAULT_MAX_TOKEN_CHARS, verifyJwt, type JwtChecks } from './jwt-verify.js';
import { checkGrants, grantFor, type SpiffeGrants } from './spiffe-grants.js';
import { identityRevocationProblem, type RevocationCheck } from './revocation-check.js';
import { parseSpiffeId, trustDomainProblem } from './spiffe-id.js';
import type { VerifiedIdentity } from './verified.js';

/**
 * JWT-SVID verification (SPIFFE JWT-SVID specification): a JWT whose `sub` is a workload SPIFFE
 * ID in the configured trust domain, signed by a key of that trust domain's JWT bundle (a JWKS),
 * with `aud` REQUIRED and naming this audience (a JWT-SVID without an audience is a replayable
 * bearer token for every service of the domain) and `exp` required. `iss` is not pinned: the
 * specification leaves it optional; the bundle is the trust root.
 */

/** The algorithms the JWT-SVID specification allows. */
export const JWT_SVID_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'];

/** A trust domain's JWT bundle and this service's audience. */
export interface JwtSvidOptions {
  readonly trustDomain: string;
  /** The trust domain's JWT authorities: a JwksSource, or options (`keys` inline, `url`, `file`). */
  readonly bundle: JwksSource | JwksSourceOptions;
  /** The audience(s) this service accepts. Required. */
  readonly audience: string | readonly string[];
  readonly algorithms?: readonly string[];
  readonly grants?: SpiffeGrants;
  /** Slack on `exp` and `nbf`, in seconds. Default 60. */
  readonly clockToleranceSeconds?: number;
  readonly maxTokenChars?: number;
  /**
   * Asked on every token after its signature holds: a revoked SPIFFE ID, trust domain
   * (`spiffe://<trust domain>`) or `jti` is `identity:revoked`. Give the deployment's
   * `RevocationList` so that `agt identity revoke spiffe://...` in any process sharing its state
   * store refuses the next action.
   */
  readonly revocations?: RevocationCheck;
  readonly clock?: Clock;
}

const REVOCATION_NAMES = { subject: "the JWT-SVID's SPIFFE ID", credentialId: "the JWT-SVID's id (jti)", issuer: "the JWT-SVID's trust domain" } as const;

/** Verifies JWT-SVIDs of one trust domain. Construction throws a TypeError for a bad configuration. */
export class JwtSvidVerifier {
  readonly #trustDomain: string;
  readonly #keys: JwksSource;
  readonly #checks: JwtChecks;
  readonly #grants: SpiffeGrants;
  readonly #revocations: RevocationCheck | undefined;

  constructor(options: JwtSvidOptions) {
    const problem = trustDomainProblem(options.trustDomain);
    if (problem !== null) throw new TypeError(`the SPIFFE trust domain ${problem}`);
    const audience = typeof options.audience === 'string' ? [options.audience] : options.audience;
    if (!Array.isArray(audience) || audience.length === 0 || !audience.every((a) => typeof a === 'string' && a.length > 0)) {
      throw new TypeError('a JWT-SVID verifier needs an audience: a JWT-SVID is only safe when addressed to one service');
    }
    const algorithms = checkedAlgorithms(options.algorithms ?? JWT_SVID_ALGORITHMS);
    checkGrants(options.grants);
    const clock = options.clock ?? systemClock;
    this.#trustDomain = options.trustDomain;
    this.#keys = options.bundle instanceof JwksSource ? options.bundle : new JwksSource({ clock, ...options.bundle });
    this.#checks = { algorithms, audience, clockToleranceSeconds: options.clockToleranceSeconds ?? 60, maxTokenChars: options.maxTokenChars ?? DEFAULT_MAX_TOKEN_CHARS, clock };
    this.#grants = options.grants ?? {};
    this.#revocations = options.revocations;
  }

  /** The workload `token` proves, or why not. Never throws. */
  async verify(token: unknown): Promise<VerifiedIdentity | IdentityFailure> {
    const verified = await verifyJwt(token, this.#keys, this.#checks);
    if (!verified.ok) return verified;
    const { payload } = verified;
    if (payload.aud === undefined) return identityFailure('audience', "the JWT-SVID has no 'aud'");
    const id = parseSpiffeId(payload.sub);
    if (isFailure(id)) return identityFailure('malformed', `the JWT-SVID's 'sub' is not a workload SPIFFE ID: ${id.message.replace(/^the SPIFFE ID /, '')}`);
    if (id.trustDomain !== this.#trustDomain) return identityFailure('trust_domain', `the JWT-SVID's SPIFFE ID is not in the trust domain ${this.#trustDomain}`);
    const grant = grantFor(id.id, this.#grants);
    const identity: VerifiedIdentity = {
      ok: true,
      subject: id.id,
      proof: 'spiffe-jwt',
      issuer: `spiffe://${this.#trustDomain}`,
      credentialId: typeof payload.jti === 'string' ? payload.jti : null,
      ring: grant.ring,
      roles: grant.roles,
      tools: grant.tools,
      trust: grant.trust,
      expiresAt: (payload.exp ?? 0) * 1000,
      delegationDigest: null,
    };
    return identityRevocationProblem(this.#revocations, identity, REVOCATION_NAMES) ?? identity;
  }
}
