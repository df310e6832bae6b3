import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { isFailure } from '../../src/identity/did-key.js';
import { MemoryRotationStatementStore, ROTATION_TYP, RotationRegistry, signRotation, verifyRotation } from '../../src/identity/rotation.js';

const clock = () => Date.UTC(2026, 0, 1);

async function rotation(from = generateAgentKey(), to = generateAgentKey().did): Promise<string> {
  const statement = await signRotation(from, to, clock);
  if (isFailure(statement)) throw new Error(statement.message);
  return statement;
}

describe('key rotation', () => {
  it('the old key signs its successor; anyone verifies it from the DIDs alone', async () => {
    const old = generateAgentKey();
    const next = generateAgentKey();
    expect(verifyRotation(await rotation(old, next.did))).toEqual({ ok: true, from: old.did, to: next.did, at: clock() / 1000 });
  });

  it('accepts the rotated key from then on, and retires the old one', async () => {
    const [a, b, c] = [generateAgentKey(), generateAgentKey(), generateAgentKey()];
    const registry = RotationRegistry.open() as RotationRegistry;
    expect(registry.currentDid(a.did)).toBe(a.did);
    expect(registry.retiredProblem(a.did)).toBeNull();
    expect(registry.accept(await rotation(a, b.did))).toMatchObject({ ok: true });
    expect(registry.accept(await rotation(b, c.did))).toMatchObject({ ok: true });
    expect(registry.currentDid(a.did)).toBe(c.did);
    expect(registry.currentDid(b.did)).toBe(c.did);
    expect(registry.retiredProblem(a.did)).toMatchObject({ kind: 'revoked' });
    expect(registry.retiredProblem(b.did)).toMatchObject({ kind: 'revoked' });
    expect(registry.retiredProblem(c.did)).toBeNull();
  });

  it('persists through its store: a registry reopened later knows every rotation', async () => {
    const store = new MemoryRotationStatementStore();
    const [a, b] = [generateAgentKey(), generateAgentKey()];
    (RotationRegistry.open(store) as RotationRegistry).accept(await rotation(a, b.did));
    expect((RotationRegistry.open(store) as RotationRegistry).currentDid(a.did)).toBe(b.did);
    store.append('tampered.statement.here');
    expect(RotationRegistry.open(store)).toMatchObject({ ok: false, message: expect.stringContaining('stored rotation statement 2') });
  });

  it('refuses forks, cycles and statements not signed by the retired key', async () => {
    const [a, b, c, d] = [generateAgentKey(), generateAgentKey(), generateAgentKey(), generateAgentKey()];
    const registry = RotationRegistry.open() as RotationRegistry;
    registry.accept(await rotation(a, b.did));
    // A leaked old key cannot name a second successor.
    expect(registry.accept(await rotation(a, c.did))).toMatchObject({ ok: false, kind: 'revoked' });
    expect(registry.currentDid(a.did)).toBe(b.did);
    // Back to an earlier key (a cycle), or to a key some other identity already rotated to.
    expect(registry.accept(await rotation(b, a.did))).toMatchObject({ ok: false, kind: 'malformed' });
    expect(registry.accept(await rotation(d, b.did))).toMatchObject({ ok: false, kind: 'malformed' });
    // A statement naming a as the retiring key, signed by someone else.
    const forged = await new SignJWT({ iss: c.did, sub: d.did, iat: 1 }).setProtectedHeader({ alg: 'EdDSA', typ: ROTATION_TYP }).sign(d.privateKey);
    expect(registry.accept(forged)).toMatchObject({ ok: false, kind: 'signature' });
    expect(await signRotation(a, a.did, clock)).toMatchObject({ ok: false });
    expect(await signRotation(a, 'did:key:z123', clock)).toMatchObject({ ok: false, kind: 'malformed' });
  });

  it('refuses junk statements without throwing', async () => {
    const a = generateAgentKey();
    const good = await rotation(a);
    const hostile = [undefined, '', 'x'.repeat(3000), 'a.b.c', good.replace(/\.[^.]+$/, '.AAAA'),
      await new SignJWT({ iss: a.did, sub: 'did:web:x', iat: 1 }).setProtectedHeader({ alg: 'EdDSA', typ: ROTATION_TYP }).sign(a.privateKey),
      await new SignJWT({ iss: a.did, sub: generateAgentKey().did, iat: 'now' } as unknown as JWTPayload).setProtectedHeader({ alg: 'EdDSA', typ: ROTATION_TYP }).sign(a.privateKey),
      await new SignJWT({ iss: a.did, sub: generateAgentKey().did, iat: 1 }).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).sign(a.privateKey)];
    for (const statement of hostile) expect(isFailure(verifyRotation(statement)), String(statement).slice(0, 30)).toBe(true);
  });
});
