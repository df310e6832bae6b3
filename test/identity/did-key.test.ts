import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { didKeyOf, isFailure, publicKeyOfDid } from '../../src/identity/did-key.js';

describe('did:key (Ed25519)', () => {
  it('round-trips: the DID names exactly the key it was made from, in the z6Mk form every Ed25519 did:key has', () => {
    for (let i = 0; i < 20; i++) {
      const { publicKey } = generateKeyPairSync('ed25519');
      const did = didKeyOf(publicKey);
      expect(did).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/);
      const back = publicKeyOfDid(did);
      expect(isFailure(back)).toBe(false);
      expect((back as typeof publicKey).export({ format: 'jwk' })).toEqual(publicKey.export({ format: 'jwk' }));
    }
  });

  it('decodes the did:key specification example to an Ed25519 key', () => {
    const key = publicKeyOfDid('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
    expect(isFailure(key)).toBe(false);
    expect(didKeyOf(key as never)).toBe('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
  });

  it('refuses anything that is not an Ed25519 did:key, as malformed, without throwing', () => {
    const { publicKey: p256 } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const valid = didKeyOf(generateKeyPairSync('ed25519').publicKey);
    const hostile: unknown[] = [
      undefined, null, 42, {}, '', 'did:key:', 'did:web:example.com', 'did:key:m6Mk', valid.replace('z', 'Z'),
      `${valid}0`, // '0' is not base58
      valid.slice(0, -1), // a byte short
      `${valid}1111`, // bytes long
      'did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169', // a P-256 did:key
      `did:key:z${'1'.repeat(5000)}`, // huge
      valid.replace('did:key', 'DID:KEY'),
      `${valid}\u0000`,
    ];
    for (const did of hostile) {
      const result = publicKeyOfDid(did);
      expect(isFailure(result), String(did).slice(0, 40)).toBe(true);
      expect(result).toMatchObject({ ok: false, kind: 'malformed' });
    }
    expect(() => didKeyOf(p256)).toThrow(/Ed25519/);
  });
});
