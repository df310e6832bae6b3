import { systemClock, type Clock } from '../core/clock.js';
import { MemoryRevocationStore, type RevocationEntry, type RevocationStore } from '../state/revocation-store.js';
import { isFailure, publicKeyOfDid } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import type { RevocationCheck } from './revocation-check.js';
import { parseSpiffeId, trustDomainProblem } from './spiffe-id.js';

/**
 * The revocation list: DIDs (an agent, a delegate, an issuer), credential ids (`jti`), SPIFFE IDs
 * (a workload, or a whole trust domain as `spiffe://<trust domain>`), OIDC subjects and issuers,
 * and X.509-SVID certificates (their SHA-256 fingerprint) that must no longer be accepted. Every
 * verifier asks it for the subject, issuer and credential id of each proof; with
 * a SQLite store (`SqliteRevocationStore`), `agt identity revoke` in one process denies the very
 * next action in every other.
 */
export class RevocationList implements RevocationCheck {
  readonly #store: RevocationStore;
  readonly #clock: Clock;

  /** A list over `store` (default: this process's memory). */
  constructor(store: RevocationStore = new MemoryRevocationStore(), clock: Clock = systemClock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** Revokes `id` as {@link revocableId} reads it; a value it refuses is refused with the reason. */
  revoke(id: string): RevocationEntry | IdentityFailure {
    const revocable = revocableId(id);
    if (typeof revocable !== 'string') return revocable;
    const revokedAt = this.#clock();
    this.#store.add(revocable, revokedAt);
    return { id: revocable, revokedAt };
  }

  /** True when `id` is revoked. Throws when the store cannot be read; verifiers turn that into `identity:unavailable`. */
  isRevoked(id: string): boolean {
    return this.#store.has(id);
  }

  /** The position of the first revoked id in `ids`, or -1. Throws when the store cannot be read. */
  firstRevoked(ids: readonly string[]): number {
    return this.#store.firstRevoked(ids);
  }

  /** Every revocation, oldest first. */
  list(): RevocationEntry[] {
    return this.#store.list();
  }
}

const OPAQUE_ID = /^[\x21-\x7e]{1,512}$/;
const COLON_FINGERPRINT = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$/;

/**
 * The id a revocation records for `id`, or why it cannot be revoked (the message never echoes
 * it). Accepted: a did:key (an agent, a delegate, an issuer); a SPIFFE ID (a workload, or
 * `spiffe://<trust domain>` for every workload of it); and any other id a proof carries, as 1-512
 * visible ASCII characters: a credential's or a token's `jti`, an OIDC subject (`sub`, or the
 * claim the deployment maps) or issuer URL, an X.509-SVID's SHA-256 fingerprint. A fingerprint
 * written with colons (`AB:CD:...`, as openssl and Node print it) is recorded as the lowercase
 * hex verifiers compare. Other DID methods, malformed did:keys and SPIFFE IDs, spaces, control
 * and non-ASCII characters (look-alike names a verifier would never match) are refused.
 */
export function revocableId(id: unknown): string | IdentityFailure {
  if (typeof id !== 'string') return identityFailure('malformed', 'a revocation names a DID, a SPIFFE ID or a credential id as a string');
  if (id.startsWith('did:')) {
    const key = publicKeyOfDid(id);
    return isFailure(key) ? identityFailure('malformed', `cannot revoke: ${key.message}`) : id;
  }
  if (/^spiffe:/i.test(id)) return spiffeRevocable(id);
  if (COLON_FINGERPRINT.test(id)) return id.replaceAll(':', '').toLowerCase();
  if (OPAQUE_ID.test(id)) return id;
  return identityFailure('malformed', 'cannot revoke: besides a did:key or a SPIFFE ID, an id (a jti, an OIDC subject or issuer, a certificate fingerprint) is 1-512 visible ASCII characters, with no spaces');
}

/** A workload SPIFFE ID, or a trust domain's own ID (`spiffe://example.org`), as is. */
function spiffeRevocable(id: string): string | IdentityFailure {
  const domain = id.startsWith('spiffe://') && !id.slice(9).includes('/') ? id.slice(9) : null;
  if (domain !== null) {
    const problem = trustDomainProblem(domain);
    return problem === null ? id : identityFailure('malformed', `cannot revoke: the SPIFFE trust domain ${problem}`);
  }
  const parsed = parseSpiffeId(id);
  return isFailure(parsed) ? identityFailure('malformed', `cannot revoke: ${parsed.message}`) : id;
}
