import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { didKeyOf } from './did-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * An agent's (or an issuer's) Ed25519 key pair and its `did:key`. Key material never leaves
 * through logging: `JSON.stringify`, `console.log` and template strings of an AgentKey show the
 * DID only. JWKs are the file format ({@link ./key-file.ts}); they are parsed here with strict
 * checks, because a JWK on the wrong curve, or a private key where a public one was expected,
 * is a configuration mistake that must be named rather than half-accepted.
 */
export class AgentKey {
  /** The key's self-certifying identifier. */
  readonly did: string;

  constructor(
    /** The signing half; never serialized by this class. */
    readonly privateKey: KeyObject,
    /** The verifying half. */
    readonly publicKey: KeyObject,
  ) {
    this.did = didKeyOf(publicKey);
  }

  /** The private JWK `{ kty: 'OKP', crv: 'Ed25519', x, d }`: the key file's content. Handle with care. */
  privateJwk(): PrivateEd25519Jwk {
    const { x, d } = this.privateKey.export({ format: 'jwk' });
    return { kty: 'OKP', crv: 'Ed25519', x: x as string, d: d as string };
  }

  /** The public JWK `{ kty: 'OKP', crv: 'Ed25519', x }`, safe to share. */
  publicJwk(): PublicEd25519Jwk {
    return { kty: 'OKP', crv: 'Ed25519', x: this.publicKey.export({ format: 'jwk' }).x as string };
  }

  /** Only the DID: an AgentKey logged by mistake leaks nothing. */
  toJSON(): { did: string } {
    return { did: this.did };
  }

  /** Only the DID. */
  toString(): string {
    return `AgentKey(${this.did})`;
  }

  /** Only the DID, for `console.log` and `util.inspect`. */
  [inspect.custom](): string {
    return this.toString();
  }
}

/** A public Ed25519 JWK. */
export interface PublicEd25519Jwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  /** The public key, base64url of 32 bytes. */
  readonly x: string;
}

/** A private Ed25519 JWK. */
export interface PrivateEd25519Jwk extends PublicEd25519Jwk {
  /** The private key, base64url of 32 bytes. */
  readonly d: string;
}

/** A fresh Ed25519 key pair from `node:crypto`. */
export function generateAgentKey(): AgentKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return new AgentKey(privateKey, publicKey);
}

/** Members a JWK may carry besides the key itself; anything else is refused as a likely mistake. */
const ALLOWED_MEMBERS = new Set(['kty', 'crv', 'x', 'd', 'kid', 'alg', 'use', 'key_ops']);
/** base64url of exactly 32 bytes: 43 characters, the last one carrying 4 bits (so one of these 16). */
const KEY_32_BYTES = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** The agent key a private JWK holds, or a failure naming what is wrong (`where` names the source, e.g. the file). */
export function agentKeyFromJwk(jwk: unknown, where: string): AgentKey | IdentityFailure {
  const problem = jwkShapeProblem(jwk, where);
  if (problem) return problem;
  const { x, d } = jwk as { x: string; d?: unknown };
  if (d === undefined) return identityFailure('malformed', `${where} holds a public key where a private key is expected (no 'd'); use the key file written by 'agt identity new'`);
  if (typeof d !== 'string' || !KEY_32_BYTES.test(d)) return identityFailure('malformed', `${where}: 'd' must be base64url of a 32-byte Ed25519 private key`);
  try {
    const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x, d }, format: 'jwk' });
    const publicKey = createPublicKey(privateKey);
    if (publicKey.export({ format: 'jwk' }).x !== x) return identityFailure('malformed', `${where}: 'x' is not the public key of 'd' (the file is corrupt or was edited)`);
    return new AgentKey(privateKey, publicKey);
  } catch {
    return identityFailure('malformed', `${where} does not hold a valid Ed25519 private key`);
  }
}

/** The public key a public JWK holds, or a failure; a JWK carrying a private part is refused (it should never be shared). */
export function publicKeyFromJwk(jwk: unknown, where: string): KeyObject | IdentityFailure {
  const problem = jwkShapeProblem(jwk, where);
  if (problem) return problem;
  if ((jwk as { d?: unknown }).d !== undefined) {
    return identityFailure('malformed', `${where} holds a private key ('d') where a public key is expected; share only the public JWK ('agt identity show')`);
  }
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: (jwk as { x: string }).x }, format: 'jwk' });
  } catch {
    return identityFailure('malformed', `${where} does not hold a valid Ed25519 public key`);
  }
}

function jwkShapeProblem(jwk: unknown, where: string): IdentityFailure | null {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return identityFailure('malformed', `${where} is not a JWK (a JSON object)`);
  const record = jwk as Record<string, unknown>;
  if (record.kty !== 'OKP') return identityFailure('algorithm', `${where}: kty must be 'OKP' (an Ed25519 key); RSA, EC and symmetric keys are not agent keys`);
  if (record.crv !== 'Ed25519') return identityFailure('algorithm', `${where}: crv must be 'Ed25519' (X25519, Ed448 and others are refused)`);
  if (record.alg !== undefined && record.alg !== 'EdDSA' && record.alg !== 'Ed25519') return identityFailure('algorithm', `${where}: alg, when present, must be 'EdDSA'`);
  if (typeof record.x !== 'string' || !KEY_32_BYTES.test(record.x)) return identityFailure('malformed', `${where}: 'x' must be base64url of a 32-byte Ed25519 public key`);
  const unknown = Object.keys(record).filter((k) => !ALLOWED_MEMBERS.has(k)).length;
  if (unknown > 0) return identityFailure('malformed', `${where} has ${unknown} member(s) a JWK for Ed25519 does not use (allowed: ${[...ALLOWED_MEMBERS].join(', ')})`);
  return null;
}
