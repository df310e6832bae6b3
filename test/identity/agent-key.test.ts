import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { agentKeyFromJwk, generateAgentKey, publicKeyFromJwk } from '../../src/identity/agent-key.js';
import { isFailure, publicKeyOfDid } from '../../src/identity/did-key.js';
import { readAgentKeyFile, readPublicKeyFile, writeAgentKeyFile } from '../../src/identity/key-file.js';

const dir = mkdtempSync(join(tmpdir(), 'agt-agent-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `key-${n++}.jwk`);

describe('agent keys', () => {
  it('generates Ed25519 keys whose did:key names the public key', () => {
    const key = generateAgentKey();
    expect(key.did).toMatch(/^did:key:z6Mk/);
    expect((publicKeyOfDid(key.did) as never as { export: (o: object) => unknown }).export({ format: 'jwk' })).toEqual(key.publicKey.export({ format: 'jwk' }));
    expect(key.publicJwk()).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String) });
  });

  it('never shows key material when logged, stringified or inspected', () => {
    const key = generateAgentKey();
    const { d } = key.privateJwk();
    for (const shown of [JSON.stringify(key), JSON.stringify({ key }), inspect(key), `${key}`, inspect({ nested: key }, { depth: 5 })]) {
      expect(shown).toContain(key.did);
      expect(shown).not.toContain(d);
    }
  });

  it('round-trips through a key file written 0600, and never overwrites one', () => {
    const key = generateAgentKey();
    const path = fresh();
    expect(writeAgentKeyFile(path, key)).toEqual({ ok: true, path });
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    const back = readAgentKeyFile(path);
    expect(isFailure(back)).toBe(false);
    expect((back as typeof key).did).toBe(key.did);
    const before = readFileSync(path, 'utf8');
    const again = writeAgentKeyFile(path, generateAgentKey());
    expect(again).toMatchObject({ ok: false, kind: 'unavailable', message: expect.stringContaining('already exists') });
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('refuses to write through a symbolic link', () => {
    const target = fresh();
    const link = fresh();
    symlinkSync(target, link);
    expect(writeAgentKeyFile(link, generateAgentKey())).toMatchObject({ ok: false, kind: 'unavailable' });
  });
});

describe('key files: bad input is named, never thrown, never echoed', () => {
  const key = generateAgentKey();
  const secret = key.privateJwk().d;
  const write = (content: string, mode = 0o600) => {
    const path = fresh();
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
    return path;
  };
  const cases: [string, () => string, string, RegExp][] = [
    ['a missing file', () => join(dir, 'nope.jwk'), 'unavailable', /does not exist.*agt identity new/],
    ['a directory', () => dir, 'unavailable', /not a regular file|cannot open/],
    ['a symbolic link', () => { const link = fresh(); symlinkSync(write(JSON.stringify(key.privateJwk())), link); return link; }, 'unavailable', /symbolic link/],
    ['a huge file', () => write(' '.repeat(10_000)), 'too_large', /bound for a key file/],
    ['not JSON', () => write(`{"d":"${secret}"`), 'malformed', /is not JSON/],
    ['a JSON array', () => write('[]'), 'malformed', /not a JWK/],
    ['an X25519 key', () => write(JSON.stringify({ ...key.privateJwk(), crv: 'X25519' })), 'algorithm', /crv must be 'Ed25519'/],
    ['an EC key', () => write(JSON.stringify(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }))), 'algorithm', /kty must be 'OKP'/],
    ['a symmetric key', () => write(JSON.stringify({ kty: 'oct', k: secret })), 'algorithm', /kty must be 'OKP'/],
    ['alg HS256', () => write(JSON.stringify({ ...key.privateJwk(), alg: 'HS256' })), 'algorithm', /alg/],
    ['a public key where a private one is expected', () => write(JSON.stringify(key.publicJwk())), 'malformed', /public key where a private key is expected/],
    ['x that is not the public key of d', () => write(JSON.stringify({ ...key.privateJwk(), x: generateAgentKey().publicJwk().x })), 'malformed', /not the public key of 'd'|not hold a valid Ed25519 private key/],
    ['a short d', () => write(JSON.stringify({ ...key.privateJwk(), d: 'AAAA' })), 'malformed', /'d' must be/],
    ['unknown members', () => write(JSON.stringify({ ...key.privateJwk(), [secret]: 1 })), 'malformed', /member\(s\)/],
    ['a file readable by others', () => write(JSON.stringify(key.privateJwk()), 0o644), 'unavailable', /chmod 600/],
  ];
  for (const [name, path, kind, message] of cases) {
    it(`refuses ${name}`, () => {
      const result = readAgentKeyFile(path());
      expect(result).toMatchObject({ ok: false, kind, message: expect.stringMatching(message) });
      expect((result as { message: string }).message).not.toContain(secret);
    });
  }

  it('refuses a private key where a public key is expected, naming the fix', () => {
    const path = write(JSON.stringify(key.privateJwk()));
    const result = readPublicKeyFile(path);
    expect(result).toMatchObject({ ok: false, kind: 'malformed', message: expect.stringMatching(/private key \('d'\) where a public key is expected/) });
    expect((result as { message: string }).message).not.toContain(secret);
    expect(isFailure(readPublicKeyFile(write(JSON.stringify(key.publicJwk()))))).toBe(false);
  });

  it('parses JWK objects with the same checks', () => {
    expect(isFailure(agentKeyFromJwk(key.privateJwk(), 'test'))).toBe(false);
    expect(publicKeyFromJwk({ kty: 'OKP', crv: 'Ed448', x: key.publicJwk().x }, 'test')).toMatchObject({ kind: 'algorithm' });
    expect(publicKeyFromJwk({ kty: 'OKP', crv: 'Ed25519', x: 'not base64url!' }, 'test')).toMatchObject({ kind: 'malformed' });
    for (const hostile of [null, 'a string', 42, [], { kty: 'OKP' }]) expect(isFailure(publicKeyFromJwk(hostile, 'test'))).toBe(true);
  });
});
