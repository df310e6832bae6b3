import { systemClock, type Clock } from '../core/clock.js';
import { MemoryRevocationStore, type RevocationEntry, type RevocationStore } from '../state/revocation-store.js';
import { isFailure, publicKeyOfDid } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import type { RevocationCheck } from './revocation-check.js';

/**
 * The revocation list: DIDs (an agent, a delegate, an issuer) and credential ids (`jti`) that
 * must no longer be accepted. Verifiers ask it for every subject, issuer and id of a chain; with
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

  /** Revokes a did:key or a credential id; a value that is neither is refused with the reason. */
  revoke(id: string): RevocationEntry | IdentityFailure {
    const problem = revocableIdProblem(id);
    if (problem) return problem;
    const revokedAt = this.#clock();
    this.#store.add(id, revokedAt);
    return { id, revokedAt };
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

const JTI = /^[A-Za-z0-9_.:-]{1,128}$/;

function revocableIdProblem(id: unknown): IdentityFailure | null {
  if (typeof id !== 'string') return identityFailure('malformed', 'a revocation names a DID or a credential id (jti) as a string');
  if (id.startsWith('did:')) {
    const key = publicKeyOfDid(id);
    return isFailure(key) ? identityFailure('malformed', `cannot revoke: ${key.message}`) : null;
  }
  return JTI.test(id) ? null : identityFailure('malformed', 'cannot revoke: a credential id (jti) is 1-128 characters of [A-Za-z0-9_.:-]');
}
