/**
 * Tokens whose signature and claim shapes were already checked, with their parsed claims.
 * Every token here is signed by the key its own `iss` DID names (credentials: a trusted
 * issuer's did:key; links: the parent's), and a did:key always names the same key, so whether
 * a token's signature holds is a pure function of the token's bytes: the answer can be kept.
 * What is not pure is re-checked on every use (issuer still trusted, validity window,
 * revocation, attenuation against the chain it appears in). Bounded: the oldest entry goes first.
 */
export class VerifiedTokens<Claims> {
  readonly #entries = new Map<string, Claims>();

  constructor(
    /** Most tokens kept (a token is at most 8 KiB, so the default bounds memory to a few MiB). */
    readonly capacity = 1024,
  ) {}

  /** The parsed claims of `token` when it was verified before. */
  get(token: string): Claims | undefined {
    return this.#entries.get(token);
  }

  /** Remembers that `token` verified, with its claims, frozen: every later caller shares them, so none may change them. */
  set(token: string, claims: Claims): void {
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value as string);
    for (const value of Object.values(claims as object)) if (typeof value === 'object' && value !== null) Object.freeze(value);
    this.#entries.set(token, Object.freeze(claims));
  }
}
