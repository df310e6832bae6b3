import { systemClock, type Clock } from '../core/clock.js';
import type { AgentKey } from './agent-key.js';
import { isFailure, publicKeyOfDid } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';
import { decodeEdDsaJwt, signatureHolds, signEdDsaJwt } from './jws.js';

/**
 * Key rotation. The old key signs a statement naming its successor: an EdDSA JWT (typ
 * {@link ROTATION_TYP}) `{ iss: old DID, sub: new DID, iat }`, verifiable by anyone because the
 * old key comes from its DID. A {@link RotationRegistry} replays such statements and answers,
 * for any DID of an identity, which key is current: from a rotation on, the new key is accepted
 * and the old one is not (a rotation after a leak must shut the leaked key out). A key is
 * rotated at most once, so a leaked old key cannot fork the identity by signing a second
 * successor, and a key that already belongs to an identity cannot be a successor (no cycles).
 * Statements are accepted in the order they were made (A→B before B→C).
 */

/** The JWT header `typ` of a rotation statement. */
export const ROTATION_TYP = 'agt-key-rotation+jwt';

/** A verified rotation. */
export interface Rotation {
  readonly ok: true;
  /** The retired key's DID. */
  readonly from: string;
  /** The successor's DID. */
  readonly to: string;
  /** When the old key signed it, epoch seconds. */
  readonly at: number;
}

/** Where accepted rotation statements are kept, so a registry rebuilt later (or elsewhere) knows them. */
export interface RotationStatementStore {
  /** Every statement appended so far, in order. */
  load(): readonly string[];
  /** Appends an accepted statement. */
  append(statement: string): void;
}

/** Rotation statements in memory. */
export class MemoryRotationStatementStore implements RotationStatementStore {
  readonly #statements: string[] = [];

  /** The statements appended so far. */
  load(): readonly string[] {
    return [...this.#statements];
  }

  /** Appends `statement`. */
  append(statement: string): void {
    this.#statements.push(statement);
  }
}

/** `oldKey` names `newDid` as its successor, signed now. */
export async function signRotation(oldKey: AgentKey, newDid: string, clock: Clock = systemClock): Promise<string | IdentityFailure> {
  const next = publicKeyOfDid(newDid);
  if (isFailure(next)) return identityFailure('malformed', `the successor: ${next.message}`);
  if (newDid === oldKey.did) return identityFailure('malformed', 'a key cannot be rotated to itself');
  return signEdDsaJwt({ iss: oldKey.did, sub: newDid, iat: Math.floor(clock() / 1000) }, ROTATION_TYP, oldKey.privateKey);
}

/** Checks a rotation statement on its own: shape and the old key's signature. Never throws. */
export function verifyRotation(statement: unknown): Rotation | IdentityFailure {
  const decoded = decodeEdDsaJwt(statement, ROTATION_TYP, 'the rotation statement', 2048);
  if (isFailure(decoded)) return decoded;
  const { iss, sub, iat } = decoded.payload;
  const oldKey = publicKeyOfDid(iss);
  if (isFailure(oldKey)) return identityFailure('malformed', `the rotation statement's iss: ${oldKey.message}`);
  if (isFailure(publicKeyOfDid(sub))) return identityFailure('malformed', "the rotation statement's sub is not an Ed25519 did:key");
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat < 0) return identityFailure('malformed', "the rotation statement's iat must be whole seconds");
  if (iss === sub) return identityFailure('malformed', 'the rotation statement rotates a key to itself');
  if (!signatureHolds(decoded, oldKey)) return identityFailure('signature', 'the rotation statement is not signed by the key it retires');
  return { ok: true, from: iss as string, to: sub as string, at: iat };
}

/**
 * Which key is current for each identity, from the rotation statements it was given. An identity
 * is named by any of its DIDs; {@link RotationRegistry.currentDid} answers with the latest.
 */
export class RotationRegistry {
  /** DID → its successor's DID. */
  readonly #successor = new Map<string, string>();
  /** DIDs that are some key's successor. */
  readonly #successors = new Set<string>();
  readonly #store: RotationStatementStore;

  private constructor(store: RotationStatementStore) {
    this.#store = store;
  }

  /** A registry holding every statement in `store` (each re-verified); a failure when one no longer verifies. */
  static open(store: RotationStatementStore = new MemoryRotationStatementStore()): RotationRegistry | IdentityFailure {
    const registry = new RotationRegistry(store);
    for (const [i, statement] of store.load().entries()) {
      const accepted = registry.#accept(statement);
      if (isFailure(accepted)) return identityFailure(accepted.kind, `stored rotation statement ${i + 1}: ${accepted.message}`);
    }
    return registry;
  }

  /** Verifies and records a rotation; from now on `currentDid` of the old DID is the new one. */
  accept(statement: unknown): Rotation | IdentityFailure {
    const rotation = this.#accept(statement);
    if (!isFailure(rotation)) this.#store.append(statement as string);
    return rotation;
  }

  /** The current key's DID of the identity `did` belongs to (`did` itself when it was never rotated). */
  currentDid(did: string): string {
    let current = did;
    // Each step is a distinct key (accept refuses cycles), so this ends within the map's size.
    for (let next = this.#successor.get(current); next !== undefined; next = this.#successor.get(current)) current = next;
    return current;
  }

  /** A `revoked` failure when `did` was rotated away (its signatures no longer count); null when it is current. */
  retiredProblem(did: string): IdentityFailure | null {
    return this.#successor.has(did) ? identityFailure('revoked', 'the key was rotated; sign with its successor') : null;
  }

  #accept(statement: unknown): Rotation | IdentityFailure {
    const rotation = verifyRotation(statement);
    if (isFailure(rotation)) return rotation;
    if (this.#successor.has(rotation.from)) return identityFailure('revoked', 'the key was already rotated; a retired key cannot name another successor');
    // A successor must be a fresh key: one that neither succeeded nor was succeeded by another (no forks, no cycles).
    if (this.#successors.has(rotation.to) || this.#successor.has(rotation.to)) {
      return identityFailure('malformed', 'the successor already belongs to an identity; rotate to a fresh key');
    }
    this.#successor.set(rotation.from, rotation.to);
    this.#successors.add(rotation.to);
    return rotation;
  }
}
