import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { PolicyIssue } from '../core/errors.js';
import { isFailure } from '../identity/did-key.js';
import type { JwtBearerOptions } from '../identity/jwt-bearer.js';
import { readPublicKeyFile } from '../identity/key-file.js';
import type { JwtSvidOptions } from '../identity/spiffe-jwt.js';
import type { X509SvidOptions } from '../identity/spiffe-x509.js';
import { TrustedIssuers } from '../identity/trusted-issuers.js';
import { readTextFile } from '../policy/document/read-file.js';
import type { Path } from '../policy/document/source.js';
import { DeploymentConfigError } from './config-error.js';
import type { ValidatedConfig } from './read-config.js';
import type { ValidatedDeploymentFile } from './schema.js';

/**
 * Resolve: validated content → a {@link DeploymentConfig} ready to build a Governance from.
 * Relative paths are read against the file's directory; key files and bundles are read now, so a
 * missing file or a private key where a public one belongs is a located error at load time, not a
 * denial at the first call.
 */

/** Where a store lives: a SQLite file (absolute path) or this process's memory. */
export type StoreLocation = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'memory' };

/** The identity section, resolved. */
export interface IdentityDeployment {
  readonly mode: 'zero-trust' | 'permissive';
  readonly audience: string;
  readonly freshnessMs: number;
  readonly clockSkewMs: number;
  readonly sessionTtlMs: number;
  readonly replayCacheCapacity: number;
  readonly maxDelegationDepth: number;
  /** The issuers whose credentials count (empty when none is configured). */
  readonly issuers: TrustedIssuers;
  readonly oidc: readonly JwtBearerOptions[];
  readonly x509Svid: X509SvidOptions | null;
  readonly jwtSvid: JwtSvidOptions | null;
}

/** A deployment, resolved: what `createGovernance()` builds from. */
export interface DeploymentConfig {
  /** The file it came from (absolute), or null for a config object or the defaults. */
  readonly file: string | null;
  /** How the source is named in messages. */
  readonly label: string;
  /** The default policy (absolute path), or null. */
  readonly policy: string | null;
  readonly audit: StoreLocation;
  readonly state: StoreLocation;
  /** Null: no identity section (agents are who callers say, as without a deployment file). */
  readonly identity: IdentityDeployment | null;
  /** The lifecycle section (absent: an agent never seen is active). */
  readonly lifecycle?: { readonly requireRegistration: boolean };
}

/** Where stores go when the file does not say: embedded SQLite under `.agt/` beside the file. */
export const DEFAULT_AUDIT_STORE = '.agt/audit.db';
export const DEFAULT_STATE_STORE = '.agt/state.db';

/** No file at all: today's behaviour (no default policy, memory audit and state, no identity). */
export const DEFAULT_DEPLOYMENT: DeploymentConfig = Object.freeze({ file: null, label: '<defaults>', policy: null, audit: { kind: 'memory' as const }, state: { kind: 'memory' as const }, identity: null });

/** Resolves validated content; `baseDir` is where relative paths start. Throws {@link DeploymentConfigError}. */
export function resolveDeployment(validated: ValidatedConfig, baseDir: string, file: string | null): DeploymentConfig {
  const { spec, label, locate } = validated;
  const issues: PolicyIssue[] = [];
  const problem = (path: Path, message: string, hint: string, code = 'bad-file'): void => {
    issues.push({ severity: 'error', code, file: label, ...locate(path), key: path.join('.'), message, hint });
  };
  const pathOf = (value: string): string => (isAbsolute(value) ? value : resolve(baseDir, value));
  const existing = (value: string, path: Path): string => {
    const absolute = pathOf(value);
    if (!existsSync(absolute)) problem(path, `${value} does not exist (read as ${absolute})`, `create it, or correct the path (relative paths start at ${baseDir})`);
    return absolute;
  };
  const store = (value: string | undefined, fallback: string, path: Path): StoreLocation => {
    if (value === 'memory') return { kind: 'memory' };
    const absolute = pathOf(value ?? fallback);
    if (existsSync(absolute) && !statSync(absolute).isFile()) problem(path, `${value ?? fallback} is not a file`, 'name a SQLite file (it is created when missing), or `memory`');
    return { kind: 'sqlite', path: absolute };
  };

  const policy = spec.policy === undefined ? null : existing(spec.policy, ['policy']);
  const audit = store(spec.audit?.store, DEFAULT_AUDIT_STORE, ['audit', 'store']);
  const state = store(spec.state?.path, DEFAULT_STATE_STORE, ['state', 'path']);
  const identity = spec.identity ? resolveIdentity(spec.identity, problem, existing, label) : null;
  if (issues.length > 0) throw new DeploymentConfigError(issues);
  const lifecycle = { requireRegistration: spec.lifecycle?.require_registration === true };
  return Object.freeze({ file, label, policy, audit, state, identity, lifecycle });
}

type Problem = (path: Path, message: string, hint: string, code?: string) => void;
type Existing = (value: string, path: Path) => string;
type IdentitySection = NonNullable<ValidatedDeploymentFile['identity']>;

function resolveIdentity(section: IdentitySection, problem: Problem, existing: Existing, label: string): IdentityDeployment {
  const at = (...rest: (string | number)[]): Path => ['identity', ...rest];
  const keys: unknown[] = [];
  (section.issuers ?? []).forEach((issuer, i) => {
    if (issuer.did !== undefined) keys.push(issuer.did);
    else if (issuer.jwk !== undefined) keys.push(issuer.jwk);
    else if (issuer.key !== undefined) {
      const path = existing(issuer.key, at('issuers', i, 'key'));
      if (!existsSync(path)) return;
      const key = readPublicKeyFile(path);
      if (isFailure(key)) problem(at('issuers', i, 'key'), key.message, "name the issuer's PUBLIC JWK file, or write `did: <the issuer's did:key>` instead", 'bad-key');
      else keys.push(key);
    }
  });
  let issuers = TrustedIssuers.of([]) as TrustedIssuers;
  // Each issuer is checked on its own so that the message points at the entry that is wrong.
  keys.forEach((key) => {
    const checked = TrustedIssuers.of([key]);
    if (isFailure(checked)) problem(at('issuers', indexOfIssuer(section, key)), checked.message.replace(/^trusted issuer 1:?\s*/, ''), 'give a did:key (`agt identity show KEY`) or a public Ed25519 JWK', 'bad-key');
  });
  const all = TrustedIssuers.of(keys);
  if (!isFailure(all)) issuers = all;

  const oidc: JwtBearerOptions[] = (section.oidc ?? []).map((entry, i) => ({
    keys: {
      ...(entry.jwks_url !== undefined ? { url: entry.jwks_url } : { file: existing(entry.jwks_file as string, at('oidc', i, 'jwks_file')) }),
      ...(entry.refresh_after !== undefined ? { refreshAfterMs: entry.refresh_after } : {}),
      ...(entry.max_stale !== undefined ? { maxStaleMs: entry.max_stale } : {}),
      ...(entry.timeout !== undefined ? { timeoutMs: entry.timeout } : {}),
    },
    issuer: entry.issuer,
    audience: entry.audience,
    ...(entry.tenant !== undefined ? { tenant: entry.tenant } : {}),
    ...(entry.tenant_claim !== undefined ? { tenantClaim: entry.tenant_claim } : {}),
    ...(entry.algorithms !== undefined ? { algorithms: entry.algorithms } : {}),
    ...(entry.claims !== undefined || entry.defaults !== undefined ? { claims: { ...entry.claims, ...(entry.defaults ? { defaults: entry.defaults } : {}) } } : {}),
  }));

  let x509Svid: X509SvidOptions | null = null;
  let jwtSvid: JwtSvidOptions | null = null;
  const spiffe = section.spiffe;
  if (spiffe) {
    const grants = spiffe.grants ? { ...(spiffe.grants.defaults ? { defaults: spiffe.grants.defaults } : {}), ...(spiffe.grants.workloads ? { workloads: spiffe.grants.workloads } : {}) } : undefined;
    if (spiffe.bundle !== undefined) {
      const path = existing(spiffe.bundle, at('spiffe', 'bundle'));
      if (existsSync(path)) {
        try {
          x509Svid = { trustDomain: spiffe.trust_domain, bundle: readTextFile(path, path, 1024 * 1024, 'trust bundle'), ...(grants ? { grants } : {}) };
        } catch {
          problem(at('spiffe', 'bundle'), `${spiffe.bundle} cannot be read as a trust bundle`, 'name a PEM file of the trust domain CA certificates');
        }
      }
    }
    if (spiffe.jwt_bundle !== undefined || spiffe.jwt_bundle_url !== undefined) {
      const bundle = spiffe.jwt_bundle !== undefined ? { file: existing(spiffe.jwt_bundle, at('spiffe', 'jwt_bundle')) } : { url: spiffe.jwt_bundle_url as string };
      jwtSvid = { trustDomain: spiffe.trust_domain, bundle, audience: spiffe.audience as string | string[], ...(grants ? { grants } : {}) };
    }
  }
  if (section.mode === 'zero-trust' && keys.length === 0 && oidc.length === 0 && !spiffe) {
    problem(['identity'], `zero-trust mode in ${label} trusts nobody, so every action would be denied`, 'add `issuers:` (e.g. `- did: did:key:z6Mk...`), `oidc:` or `spiffe:`', 'no-trust-roots');
  }
  if (section.session?.ttl === 0) problem(at('session', 'ttl'), 'a session lifetime of 0 opens sessions that are already over', 'write a positive duration such as 5m');
  return {
    mode: section.mode,
    audience: section.audience,
    freshnessMs: section.freshness ?? 60_000,
    clockSkewMs: section.clock_skew ?? 5_000,
    sessionTtlMs: section.session?.ttl ?? 300_000,
    replayCacheCapacity: section.replay_cache?.capacity ?? 100_000,
    maxDelegationDepth: section.max_delegation_depth ?? 5,
    issuers,
    oidc,
    x509Svid,
    jwtSvid,
  };
}

function indexOfIssuer(section: IdentitySection, key: unknown): number {
  const i = (section.issuers ?? []).findIndex((issuer) => issuer.did === key || issuer.jwk === key);
  return i < 0 ? 0 : i;
}

/** The directory relative paths of a file start from. */
export function baseDirOf(file: string): string {
  return dirname(resolve(file));
}
