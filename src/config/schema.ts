import { z } from 'zod';
import { DURATION_HINT, parseDuration } from './duration.js';

/**
 * The deployment file (`agt.config.yaml`) as a zod schema: where things are (the default policy,
 * the audit store, the state store) and who is trusted to say who an agent is. What is allowed
 * lives in policies, never here. Every mapping is strict: an unknown key is an error with the
 * nearest known key suggested. Private keys never appear in this file, only paths and public keys.
 */

const nonEmpty = z.string().min(1, 'must not be empty');
const stringList = z.array(nonEmpty);
const oneOrMore = z.union([nonEmpty, z.array(nonEmpty).min(1, 'must name at least one value')]);

/** A duration: `60s`, `5m`, `1h`, `250ms`, or whole milliseconds; read as milliseconds. */
const duration = z.unknown().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms !== null) return ms;
  ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value) ?? String(value)} is not a duration`, params: { hint: DURATION_HINT, code: 'bad-duration' } });
  return z.NEVER;
});

const ring = z.number().int().min(0, 'a ring is 0 (most privileged) to 3').max(3, 'a ring is 0 (most privileged) to 3');
const trust = z.number().int().min(0, 'trust is 0 to 1000').max(1000, 'trust is 0 to 1000');

const issuerSchema = z
  .strictObject({
    did: nonEmpty.optional().describe("The issuer's did:key"),
    key: nonEmpty.optional().describe("Path of the issuer's PUBLIC JWK file (never the private key)"),
    jwk: z.record(z.string(), z.unknown()).optional().describe("The issuer's public JWK inline"),
  })
  .refine((issuer) => [issuer.did, issuer.key, issuer.jwk].filter((v) => v !== undefined).length === 1, {
    message: 'an issuer is exactly one of did, key or jwk',
    params: { hint: 'write `- did: did:key:z6Mk...` or `- key: keys/issuer.pub.jwk`', code: 'issuer-shape' },
  });

const grantSchema = z.strictObject({ ring: ring.optional(), trust: trust.optional(), roles: stringList.optional(), tools: stringList.optional() });

const oidcSchema = z
  .strictObject({
    issuer: nonEmpty.describe('The exact `iss` accepted'),
    audience: oneOrMore.describe('The `aud` value(s) accepted'),
    jwks_url: nonEmpty.optional(),
    jwks_file: nonEmpty.optional(),
    tenant: nonEmpty.optional(),
    tenant_claim: nonEmpty.optional(),
    algorithms: stringList.optional(),
    claims: z.strictObject({ subject: nonEmpty.optional(), roles: nonEmpty.optional(), ring: nonEmpty.optional(), trust: nonEmpty.optional(), tools: nonEmpty.optional() }).optional(),
    defaults: grantSchema.optional(),
    refresh_after: duration.optional(),
    max_stale: duration.optional(),
    timeout: duration.optional(),
  })
  .refine((oidc) => (oidc.jwks_url === undefined) !== (oidc.jwks_file === undefined), {
    message: 'an OIDC issuer needs exactly one of jwks_url or jwks_file',
    params: { hint: "add `jwks_url: https://.../keys` (or `jwks_file: jwks.json`)", code: 'oidc-keys' },
  });

const spiffeSchema = z
  .strictObject({
    trust_domain: nonEmpty,
    bundle: nonEmpty.optional().describe('PEM file of the trust domain CA certificates (X.509-SVIDs)'),
    jwt_bundle: nonEmpty.optional().describe('JWKS file of the trust domain JWT-SVID keys'),
    jwt_bundle_url: nonEmpty.optional(),
    audience: oneOrMore.optional().describe('Required for JWT-SVIDs'),
    grants: z.strictObject({ defaults: grantSchema.optional(), workloads: z.record(z.string(), grantSchema).optional() }).optional(),
  })
  .refine((s) => s.bundle !== undefined || s.jwt_bundle !== undefined || s.jwt_bundle_url !== undefined, {
    message: 'SPIFFE needs a trust bundle',
    params: { hint: 'add `bundle: bundle.pem` (X.509-SVIDs) or `jwt_bundle: bundle.jwks.json` (JWT-SVIDs)', code: 'spiffe-bundle' },
  })
  .refine((s) => (s.jwt_bundle === undefined && s.jwt_bundle_url === undefined) || s.audience !== undefined, {
    message: 'JWT-SVIDs need an audience',
    params: { hint: 'add `audience: <this service>`: a JWT-SVID without one is a bearer token for every service', code: 'spiffe-audience' },
  });

const identitySchema = z.strictObject({
  mode: z.enum(['zero-trust', 'permissive']),
  audience: nonEmpty.describe("What envelopes and session MACs are addressed to, e.g. agt://my-project"),
  freshness: duration.optional(),
  clock_skew: duration.optional(),
  session: z.strictObject({ ttl: duration.optional() }).optional(),
  replay_cache: z.strictObject({ capacity: z.number().int().min(1, 'must be at least 1').optional() }).optional(),
  max_delegation_depth: z.number().int().min(0).max(16, 'at most 16 links').optional(),
  issuers: z.array(issuerSchema).optional(),
  oidc: z.array(oidcSchema).optional(),
  spiffe: spiffeSchema.optional(),
});

/** The whole file. */
export const deploymentSchema = z.strictObject({
  version: z.literal(1, { message: 'version must be 1' }),
  policy: nonEmpty.optional().describe('Default policy file or directory'),
  audit: z.strictObject({ store: nonEmpty.describe('SQLite file, or `memory`') }).optional(),
  state: z.strictObject({ path: nonEmpty.describe('SQLite file, or `memory`') }).optional(),
  identity: identitySchema.optional(),
  lifecycle: z
    .strictObject({ require_registration: z.boolean().optional().describe('true: an agent never registered (agt agent register, then activate) may not act. Default false: an unseen agent is active') })
    .optional(),
});

/**
 * The deployment file's content, as YAML holds it or as a `createGovernance({...})` object
 * takes it (same keys, snake_case). Durations are `60s`/`5m`/`1h` strings or milliseconds.
 */
export type DeploymentFile = z.input<typeof deploymentSchema>;
/** The file after validation (durations in milliseconds, paths not yet resolved). */
export type ValidatedDeploymentFile = z.output<typeof deploymentSchema>;

const keysOf = (schema: { shape: Record<string, unknown> }): readonly string[] => Object.keys(schema.shape);
const GRANT_KEYS = keysOf(grantSchema);

/** The keys allowed at a key path (array positions and workload ids ignored): for did-you-mean hints. */
export function knownKeysAt(path: readonly (string | number)[]): readonly string[] {
  const names = path.filter((p): p is string => typeof p === 'string');
  if (names[2] === 'grants' && names[3] === 'workloads' && names.length >= 5) return GRANT_KEYS;
  switch (names.join('.')) {
    case '': return keysOf(deploymentSchema);
    case 'audit': return ['store'];
    case 'state': return ['path'];
    case 'lifecycle': return ['require_registration'];
    case 'identity': return keysOf(identitySchema);
    case 'identity.session': return ['ttl'];
    case 'identity.replay_cache': return ['capacity'];
    case 'identity.issuers': return ['did', 'key', 'jwk'];
    case 'identity.oidc': return ['issuer', 'audience', 'jwks_url', 'jwks_file', 'tenant', 'tenant_claim', 'algorithms', 'claims', 'defaults', 'refresh_after', 'max_stale', 'timeout'];
    case 'identity.oidc.claims': return ['subject', 'roles', 'ring', 'trust', 'tools'];
    case 'identity.oidc.defaults': case 'identity.spiffe.grants.defaults': return GRANT_KEYS;
    case 'identity.spiffe': return ['trust_domain', 'bundle', 'jwt_bundle', 'jwt_bundle_url', 'audience', 'grants'];
    case 'identity.spiffe.grants': return ['defaults', 'workloads'];
    default: return [];
  }
}
