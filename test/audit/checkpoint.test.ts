import { generateKeyPairSync, sign } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointMessage, CheckpointSigner, verifyCheckpoint, type Checkpoint } from '../../src/audit/checkpoint.js';
import { leafHash, MerkleTree } from '../../src/audit/merkle.js';

const ROOT = 'ab'.repeat(32);
const TIME = '2026-01-02T03:04:05.678Z';
const signer = CheckpointSigner.generate();
const publicKey = signer.publicKeyPem();
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'agt-checkpoint-'));

describe('checkpointMessage', () => {
  it('is exactly the canonical JSON of root, size and timestamp', () => {
    expect(checkpointMessage({ size: 42, root: ROOT, timestamp: TIME }).toString('utf8')).toBe(`{"root":"${ROOT}","size":42,"timestamp":"${TIME}"}`);
  });
});

describe('CheckpointSigner', () => {
  it('signs the size, root and time of a tree, and the signature verifies', () => {
    const tree = MerkleTree.fromLeafHashes([leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))]);
    const checkpoint = signer.sign(tree.size, tree.root(), TIME);
    expect(checkpoint).toEqual({ size: 2, root: tree.root().toString('hex'), timestamp: TIME, signature: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/) });
    expect(verifyCheckpoint(checkpoint, publicKey)).toEqual({ ok: true });
    expect(verifyCheckpoint(checkpoint, signer.publicKey)).toEqual({ ok: true });
  });

  it('signs the current time by default, and an empty tree too', () => {
    const checkpoint = signer.sign(0, new MerkleTree().root());
    expect(Math.abs(Date.parse(checkpoint.timestamp) - Date.now())).toBeLessThan(5000);
    expect(verifyCheckpoint(checkpoint, publicKey).ok).toBe(true);
  });

  it('refuses to sign what is not a checkpoint', () => {
    expect(() => signer.sign(-1, ROOT, TIME)).toThrow(RangeError);
    expect(() => signer.sign(1.5, ROOT, TIME)).toThrow(RangeError);
    expect(() => signer.sign(1, 'abc', TIME)).toThrow(TypeError);
    expect(() => signer.sign(1, Buffer.alloc(31), TIME)).toThrow(TypeError);
    expect(() => signer.sign(1, ROOT, 'yesterday')).toThrow(TypeError);
    expect(() => signer.sign(1, ROOT, '2026-13-45T99:00:00Z')).toThrow(TypeError);
  });
});

describe('verifyCheckpoint rejects', () => {
  const good = signer.sign(7, ROOT, TIME);

  it('a changed size, root or timestamp', () => {
    for (const altered of [
      { ...good, size: 8 },
      { ...good, size: 6 },
      { ...good, root: 'cd'.repeat(32) },
      { ...good, timestamp: '2026-01-02T03:04:05.679Z' },
    ]) {
      const result = verifyCheckpoint(altered, publicKey);
      expect(result).toEqual({ ok: false, reason: expect.stringContaining('signature does not match') });
    }
  });

  it('a forged signature', () => {
    const bytes = Buffer.from(good.signature, 'base64');
    bytes[10] = (bytes[10] as number) ^ 0x40;
    expect(verifyCheckpoint({ ...good, signature: bytes.toString('base64') }, publicKey).ok).toBe(false);
    expect(verifyCheckpoint({ ...good, signature: Buffer.alloc(64).toString('base64') }, publicKey).ok).toBe(false);
  });

  it('a signature by another key, over exactly the right message', () => {
    const other = generateKeyPairSync('ed25519');
    const signature = sign(null, checkpointMessage(good), other.privateKey).toString('base64');
    expect(verifyCheckpoint({ ...good, signature }, publicKey).ok).toBe(false);
    expect(verifyCheckpoint({ ...good, signature }, other.publicKey.export({ type: 'spki', format: 'pem' }) as string).ok).toBe(true);
    expect(verifyCheckpoint(good, CheckpointSigner.generate().publicKeyPem()).ok).toBe(false);
  });

  it('malformed fields, with a reason and without throwing', () => {
    const cases: [unknown, RegExp][] = [
      [null, /object/],
      ['checkpoint', /object/],
      [[good], /object/],
      [{ ...good, size: '7' }, /size/],
      [{ ...good, size: -1 }, /size/],
      [{ ...good, size: 7.5 }, /size/],
      [{ ...good, size: 2 ** 60 }, /size/],
      [{ ...good, root: ROOT.toUpperCase() }, /root/],
      [{ ...good, root: ROOT.slice(2) }, /root/],
      [{ ...good, root: null }, /root/],
      [{ ...good, timestamp: 1767323045678 }, /timestamp/],
      [{ ...good, timestamp: 'Friday' }, /timestamp/],
      [{ ...good, signature: good.signature.slice(4) }, /signature/],
      [{ ...good, signature: good.signature.replace(/==$/, '') }, /signature/],
      [{ ...good, signature: '!' + good.signature.slice(1) }, /signature/],
      [{ ...good, signature: Buffer.from(good.signature, 'base64').toString('hex') }, /signature/],
      [{ size: good.size, root: good.root, timestamp: good.timestamp }, /signature/],
    ];
    for (const [checkpoint, reason] of cases) {
      const result = verifyCheckpoint(checkpoint, publicKey);
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.reason).toMatch(reason);
    }
  });

  it('a bad public key, with a reason and without throwing', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const cases: [unknown, RegExp][] = [
      ['not a key', /not a PEM public key/],
      ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', /not a PEM public key/],
      [rsa, /rsa, not Ed25519/],
      [42, /not a PEM string/],
    ];
    for (const [key, reason] of cases) {
      const result = verifyCheckpoint(good, key as string);
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.reason).toMatch(reason);
    }
  });

  it('and accepts extra fields alongside a good signature (they are not signed, so not trusted)', () => {
    expect(verifyCheckpoint({ ...good, note: 'hello' } as Checkpoint, publicKey).ok).toBe(true);
  });
});

describe('CheckpointSigner.loadOrCreate', () => {
  it('creates an Ed25519 key on first use, mode 0600, in a new directory, and loads the same key after', () => {
    const keyPath = join(tempDir(), 'keys', 'nested', 'checkpoint.pem');
    const first = CheckpointSigner.loadOrCreate(keyPath);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const second = CheckpointSigner.loadOrCreate(keyPath);
    expect(second.publicKeyPem()).toBe(first.publicKeyPem());
    expect(verifyCheckpoint(first.sign(3, ROOT, TIME), second.publicKeyPem()).ok).toBe(true);
    expect(first.publicKeyPem()).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    // no temporary files left behind
    expect(readdirSync(join(keyPath, '..'))).toEqual(['checkpoint.pem']);
  });

  it('loads a key written by someone else', () => {
    const keyPath = join(tempDir(), 'given.pem');
    const { privateKey, publicKey: theirs } = generateKeyPairSync('ed25519');
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect(CheckpointSigner.loadOrCreate(keyPath).publicKeyPem()).toBe(theirs.export({ type: 'spki', format: 'pem' }));
  });

  it('refuses, naming the file, a file that is not a private key', () => {
    const keyPath = join(tempDir(), 'notes.pem');
    writeFileSync(keyPath, 'hello, I am not a key\n');
    expect(() => CheckpointSigner.loadOrCreate(keyPath)).toThrow(/checkpoint key .*notes\.pem is not a PEM private key.*move the file away/);
    expect(readFileSync(keyPath, 'utf8')).toBe('hello, I am not a key\n');
    writeFileSync(keyPath, publicKey);
    expect(() => CheckpointSigner.loadOrCreate(keyPath)).toThrow(/notes\.pem is not a PEM private key/);
  });

  it('refuses a private key of another type', () => {
    const keyPath = join(tempDir(), 'ec.pem');
    writeFileSync(keyPath, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => CheckpointSigner.loadOrCreate(keyPath)).toThrow(/ec\.pem is a ec key; checkpoints are signed with Ed25519/);
  });

  it('refuses a path that is not a regular file', () => {
    const keyPath = join(tempDir(), 'a-directory');
    mkdirSync(keyPath);
    expect(() => CheckpointSigner.loadOrCreate(keyPath)).toThrow(/a-directory exists but is not a regular file/);
  });

  it('reports a key it cannot read rather than replacing it', () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const keyPath = join(tempDir(), 'locked.pem');
    CheckpointSigner.loadOrCreate(keyPath);
    chmodSync(keyPath, 0o000);
    expect(() => CheckpointSigner.loadOrCreate(keyPath)).toThrow(/EACCES/);
  });
});
