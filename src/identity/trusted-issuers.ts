import { KeyObject } from 'node:crypto';
import { publicKeyFromJwk } from './agent-key.js';
import { didKeyOf, isFailure, publicKeyOfDid } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * The issuers a deployment trusts to say who an agent is: operator root keys, named by their
 * did:key, a public JWK or a KeyObject. A credential whose `iss` is not in this set is refused,
 * and its signature is checked only against the key held here (never a key the token names).
 */
export class TrustedIssuers {
  readonly #keys: ReadonlyMap<string, KeyObject>;

  private constructor(keys: ReadonlyMap<string, KeyObject>) {
    this.#keys = keys;
  }

  /**
   * The set of `issuers`: each a did:key string, a public Ed25519 JWK, or an Ed25519 public
   * KeyObject. A failure names the position of the first entry that is none of these.
   */
  static of(issuers: readonly unknown[]): TrustedIssuers | IdentityFailure {
    const keys = new Map<string, KeyObject>();
    for (const [i, issuer] of issuers.entries()) {
      const key = keyOf(issuer, `trusted issuer ${i + 1}`);
      if (isFailure(key)) return key;
      keys.set(didKeyOf(key), key);
    }
    return new TrustedIssuers(keys);
  }

  /** The public key of the trusted issuer `did`, or undefined when it is not trusted. */
  keyOf(did: string): KeyObject | undefined {
    return this.#keys.get(did);
  }

  /** The trusted issuers' DIDs. */
  dids(): string[] {
    return [...this.#keys.keys()];
  }
}

function keyOf(issuer: unknown, where: string): KeyObject | IdentityFailure {
  if (typeof issuer === 'string') {
    const key = publicKeyOfDid(issuer);
    return isFailure(key) ? identityFailure(key.kind, `${where}: ${key.message}`) : key;
  }
  if (issuer instanceof KeyObject) {
    const key = issuer;
    if (key.type !== 'public') return identityFailure('malformed', `${where} is a ${key.type} key; trust an issuer by its public key or DID`);
    if (key.asymmetricKeyType !== 'ed25519') return identityFailure('algorithm', `${where} is not an Ed25519 key`);
    return key;
  }
  return publicKeyFromJwk(issuer, where);
}
