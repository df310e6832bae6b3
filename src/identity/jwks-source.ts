import { readFile, stat } from 'node:fs/promises';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { systemClock, type Clock } from '../core/clock.js';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * The public keys of a JWT issuer (an OIDC provider's `jwks_uri`, a JWKS file, or a SPIFFE trust
 * domain's JWT bundle), cached with bounded staleness. The rules, all fail-closed:
 * - keys are refetched once they are `refreshAfterMs` old;
 * - a token whose key id is not in the cache triggers a refresh, at most one per `cooldownMs`
 *   (so a flood of tokens with random key ids cannot turn into a flood of fetches);
 * - a failed refresh keeps serving the cached keys while they are younger than `maxStaleMs`,
 *   and after that every verification answers `unavailable` until a refresh succeeds;
 * - a fetch is abandoned after `timeoutMs`, and a body over `maxBytes` is refused unread.
 */

/** Where the keys come from and how long they may be trusted. */
export interface JwksSourceOptions {
  /** An `https:` URL (or `http:` on a loopback host, for tests and sidecars). Exactly one of `url`, `file`, `keys`. */
  readonly url?: string;
  /** A JWKS file, re-read on the same schedule as a URL (so a rotated file is picked up). */
  readonly file?: string;
  /** A fixed key set (a SPIFFE JWT bundle given inline); never refreshed. */
  readonly keys?: JSONWebKeySet;
  /** Refetch keys this old, in ms. Default 5 minutes. */
  readonly refreshAfterMs?: number;
  /** Never use keys older than this, in ms, even when every refresh fails. Default 1 hour. */
  readonly maxStaleMs?: number;
  /** At most one fetch per this interval, in ms (unknown key ids and failed refreshes). Default 30 s. */
  readonly cooldownMs?: number;
  /** Abandon a fetch after this long, in ms. Default 5 s. */
  readonly timeoutMs?: number;
  /** Refuse a JWKS body larger than this, in bytes. Default 256 KiB. */
  readonly maxBytes?: number;
  /** Time source for the cache ages (tests inject one). */
  readonly clock?: Clock;
}

/** Keys ready for jose, with when they were loaded. */
interface CachedKeys {
  readonly resolve: JWTVerifyGetKey;
  readonly loadedAt: number;
}

const DEFAULTS = { refreshAfterMs: 5 * 60_000, maxStaleMs: 60 * 60_000, cooldownMs: 30_000, timeoutMs: 5_000, maxBytes: 256 * 1024 };
const MAX_KEYS = 100;
/** Members only a private or symmetric JWK has: a set holding them is a leaked key, not a trust root. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A cached, bounded, fail-closed JWKS. Construction throws a TypeError for a bad configuration. */
export class JwksSource {
  readonly #options: JwksSourceOptions;
  readonly #limits: typeof DEFAULTS;
  readonly #clock: Clock;
  #cache: CachedKeys | null = null;
  #lastAttemptAt: number | null = null;
  #lastFailure: IdentityFailure | null = null;
  #inflight: Promise<void> | null = null;

  constructor(options: JwksSourceOptions) {
    const given = [options.url, options.file, options.keys].filter((x) => x !== undefined).length;
    if (given !== 1) throw new TypeError('a JWKS source needs exactly one of url, file or keys');
    if (options.url !== undefined) checkUrl(options.url);
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#limits = { ...DEFAULTS };
    for (const name of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
      const value = options[name];
      if (value === undefined) continue;
      if (!Number.isFinite(value) || value <= 0) throw new TypeError(`JWKS option ${name} must be a positive number of ${name === 'maxBytes' ? 'bytes' : 'ms'}`);
      this.#limits[name] = value;
    }
    if (options.keys !== undefined) {
      const keys = parseKeySet(options.keys);
      if (typeof keys !== 'function') throw new TypeError(`the inline JWKS is not usable: ${keys.message}`);
      this.#cache = { resolve: keys, loadedAt: Number.POSITIVE_INFINITY };
    }
  }

  /** The keys to verify with now, refreshing first when they are due; `unavailable` when none may be used. */
  async current(): Promise<JWTVerifyGetKey | IdentityFailure> {
    const now = this.#clock();
    const due = this.#cache === null || now - this.#cache.loadedAt >= this.#limits.refreshAfterMs;
    if (due && (this.#inflight !== null || this.#mayFetch(now))) await this.#refresh();
    return this.#usable();
  }

  /**
   * A token named a key the cache does not hold (a rotation): refresh if the cooldown allows and
   * return the new keys, or null when no refresh was allowed or it changed nothing usable.
   */
  async afterUnknownKey(): Promise<JWTVerifyGetKey | IdentityFailure | null> {
    if (this.#options.keys !== undefined || !this.#mayFetch(this.#clock())) return null;
    const before = this.#cache;
    await this.#refresh();
    return this.#cache === before ? null : this.#usable();
  }

  #mayFetch(now: number): boolean {
    return this.#options.keys === undefined && (this.#lastAttemptAt === null || now - this.#lastAttemptAt >= this.#limits.cooldownMs);
  }

  #usable(): JWTVerifyGetKey | IdentityFailure {
    const cache = this.#cache;
    if (cache !== null && (cache.loadedAt === Number.POSITIVE_INFINITY || this.#clock() - cache.loadedAt < this.#limits.maxStaleMs)) return cache.resolve;
    if (cache !== null) return identityFailure('unavailable', `the issuer's keys are older than the staleness bound (${this.#limits.maxStaleMs} ms) and could not be refreshed`);
    return this.#lastFailure ?? identityFailure('unavailable', "the issuer's keys have not been loaded");
  }

  /** One fetch at a time: concurrent callers share it. Never throws. */
  #refresh(): Promise<void> {
    if (this.#inflight !== null) return this.#inflight;
    this.#lastAttemptAt = this.#clock();
    this.#inflight = this.#load()
      .then((loaded) => {
        if (typeof loaded !== 'function') {
          this.#lastFailure = loaded;
        } else {
          this.#cache = { resolve: loaded, loadedAt: this.#clock() };
          this.#lastFailure = null;
        }
      })
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }

  async #load(): Promise<JWTVerifyGetKey | IdentityFailure> {
    const body = this.#options.url !== undefined ? await fetchBounded(this.#options.url, this.#limits) : await readBounded(this.#options.file ?? '', this.#limits.maxBytes);
    if (typeof body !== 'string') return body;
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return identityFailure('unavailable', 'the JWKS is not valid JSON');
    }
    return parseKeySet(json);
  }
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('the JWKS url is not a valid URL');
  }
  if (parsed.protocol === 'https:') return;
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) return;
  throw new TypeError('the JWKS url must be https: (http: only on a loopback host such as 127.0.0.1)');
}

/** A JWKS whose members are all public asymmetric keys, ready for jose, or why not. */
function parseKeySet(json: unknown): JWTVerifyGetKey | IdentityFailure {
  const keys = typeof json === 'object' && json !== null ? (json as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) return identityFailure('unavailable', "the JWKS is not an object with a 'keys' array");
  if (keys.length > MAX_KEYS) return identityFailure('unavailable', `the JWKS holds more than ${MAX_KEYS} keys`);
  const signing: object[] = [];
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') return identityFailure('unavailable', "a JWKS member is not a JWK with a 'kty'");
    if (PRIVATE_MEMBERS.some((name) => Object.hasOwn(key, name))) return identityFailure('unavailable', 'the JWKS holds private or symmetric key material; only public keys may be trusted');
    // A SPIFFE bundle marks JWT-SVID keys `use: jwt-svid` and X.509 authorities `use: x509-svid`
    // (which must never verify a JWT); an OIDC JWKS never uses either value.
    const use = (key as { use?: unknown }).use;
    if (use === 'x509-svid') continue;
    signing.push(use === 'jwt-svid' ? { ...key, use: 'sig' } : key);
  }
  try {
    return createLocalJWKSet({ keys: signing } as JSONWebKeySet);
  } catch {
    return identityFailure('unavailable', 'the JWKS is malformed');
  }
}

/** GET `url` with a timeout covering headers and body, reading at most `maxBytes`. Never throws. */
async function fetchBounded(url: string, limits: typeof DEFAULTS): Promise<string | IdentityFailure> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, limits.timeoutMs);
  try {
    // agt-scan-ignore ssrf: the JWKS URL is the deployment's configuration (JwksSource options.url), never taken from a token (no jku/x5u)
    const response = await fetch(url, { signal: controller.signal, redirect: 'error', headers: { accept: 'application/json' } });
    if (!response.ok) return identityFailure('unavailable', `the JWKS endpoint answered HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > limits.maxBytes) return tooLarge(limits.maxBytes);
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body === null) return identityFailure('unavailable', 'the JWKS endpoint sent no body');
    const reader = response.body.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      size += read.value.byteLength;
      if (size > limits.maxBytes) return tooLarge(limits.maxBytes);
      chunks.push(read.value);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch {
    return identityFailure('unavailable', timedOut ? `the JWKS endpoint did not answer within ${limits.timeoutMs} ms` : 'the JWKS endpoint could not be reached');
  } finally {
    clearTimeout(timer);
    // Stop reading whatever is left (a body over the bound, a body after an error).
    controller.abort();
  }
}

function tooLarge(maxBytes: number): IdentityFailure {
  return identityFailure('unavailable', `the JWKS is larger than ${maxBytes} bytes`);
}

async function readBounded(file: string, maxBytes: number): Promise<string | IdentityFailure> {
  try {
    if ((await stat(file)).size > maxBytes) return identityFailure('unavailable', `the JWKS file is larger than ${maxBytes} bytes`);
    return await readFile(file, 'utf8');
  } catch {
    return identityFailure('unavailable', 'the JWKS file could not be read');
  }
}
