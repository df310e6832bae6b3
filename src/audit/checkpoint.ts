import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { canonicalJson } from '../core/canonical-json.js';
import { isHexHash } from './entry.js';
import { describeError } from '../core/errors.js';

/**
 * A signed statement that the audit log had `size` entries with Merkle root `root` at
 * `timestamp`. Anyone holding the public key can check it, and a log that later disagrees
 * with a checkpoint (a different root for that size) has been rewritten.
 */
export interface Checkpoint {
  /** Entries covered: the tree of the first `size` entries. */
  size: number;
  /** RFC 6962 root of that tree, lowercase hex. */
  root: string;
  /** When it was signed, ISO 8601. */
  timestamp: string;
  /** Ed25519 signature of {@link checkpointMessage}, base64. */
  signature: string;
}

/** The outcome of checking a checkpoint; a failure says why. */
export type CheckpointVerification = { ok: true } | { ok: false; reason: string };

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
/** An Ed25519 signature is 64 bytes: 86 base64 characters and `==`, nothing else. */
const SIGNATURE_BASE64 = /^[A-Za-z0-9+/]{86}==$/;

/**
 * The bytes a checkpoint's signature covers: the UTF-8 of the RFC 8785 canonical JSON of
 * `{ root, size, timestamp }`, i.e. exactly `{"root":"<hex>","size":N,"timestamp":"<iso>"}`
 * (keys sorted, no spaces), so an independent verifier can rebuild it in any language.
 */
export function checkpointMessage(checkpoint: Pick<Checkpoint, 'size' | 'root' | 'timestamp'>): Buffer {
  return Buffer.from(canonicalJson({ root: checkpoint.root, size: checkpoint.size, timestamp: checkpoint.timestamp }), 'utf8');
}

/**
 * Signs checkpoints with an Ed25519 private key. The key is the log's identity: keep it as
 * private as the log is important, and publish {@link publicKeyPem} to whoever audits the log.
 */
export class CheckpointSigner {
  private constructor(
    private readonly privateKey: KeyObject,
    /** The matching public key. */
    readonly publicKey: KeyObject,
  ) {}

  /** A signer with a fresh key that lives only in memory (for tests and short-lived logs). */
  static generate(): CheckpointSigner {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return new CheckpointSigner(privateKey, publicKey);
  }

  /** A signer for an Ed25519 private key in PEM (PKCS#8). Throws if it is anything else. */
  static fromPrivateKeyPem(pem: string): CheckpointSigner {
    const privateKey = createPrivateKey({ key: pem, format: 'pem' });
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError(`checkpoints are signed with Ed25519, not ${privateKey.asymmetricKeyType ?? 'an unknown key type'}`);
    return new CheckpointSigner(privateKey, createPublicKey(privateKey));
  }

  /**
   * The signer whose private key is at `keyPath` (PKCS#8 PEM), created there on first use: a new
   * Ed25519 key, written with mode 0600 into a new file (parent directories are created), so a
   * crash never leaves half a key and two processes starting together end up with the same key.
   * Refuses, naming the file, a path that is not a regular file or does not hold an Ed25519 key:
   * replacing a key silently would orphan every checkpoint signed before.
   */
  static loadOrCreate(keyPath: string): CheckpointSigner {
    const existing = statIfExists(keyPath);
    if (existing && !existing.isFile()) {
      throw new Error(`checkpoint key ${keyPath} exists but is not a regular file; remove it or choose another key path`);
    }
    if (existing) return loadKeyFile(keyPath);
    const signer = CheckpointSigner.generate();
    const created = createExclusively(keyPath, signer.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    // Another process created the key between our look and our write: use theirs.
    return created ? signer : loadKeyFile(keyPath);
  }

  /** The public key as SPKI PEM, for auditors (and the store's `public_key`). */
  publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  }

  /**
   * A checkpoint for the tree of `size` entries with root `root` (hex or 32 bytes), signed now
   * or at `timestamp` (ISO 8601).
   */
  sign(size: number, root: string | Uint8Array, timestamp: string = new Date().toISOString()): Checkpoint {
    const rootHex = typeof root === 'string' ? root.toLowerCase() : Buffer.from(root).toString('hex');
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`a checkpoint size is a whole number of entries, not ${size}`);
    if (!isHexHash(rootHex)) throw new TypeError('a checkpoint root is a 32-byte SHA-256 hash (64 hex digits)');
    if (!isIsoTimestamp(timestamp)) throw new TypeError(`a checkpoint timestamp is ISO 8601, not ${JSON.stringify(timestamp)}`);
    const signature = sign(null, checkpointMessage({ size, root: rootHex, timestamp }), this.privateKey).toString('base64');
    return { size, root: rootHex, timestamp, signature };
  }
}

/**
 * Checks a checkpoint's form and its signature under `publicKey` (SPKI PEM, or a KeyObject).
 * Never throws: a malformed checkpoint or key is a failure with a reason.
 */
export function verifyCheckpoint(checkpoint: unknown, publicKey: string | KeyObject): CheckpointVerification {
  try {
    const problem = formProblem(checkpoint);
    if (problem) return { ok: false, reason: problem };
    const key = publicKeyFrom(publicKey);
    if (typeof key === 'string') return { ok: false, reason: key };
    const { signature, ...signed } = checkpoint as Checkpoint;
    if (!verify(null, checkpointMessage(signed), key, Buffer.from(signature, 'base64'))) {
      return { ok: false, reason: 'signature does not match: the checkpoint was altered or signed with another key' };
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `checkpoint could not be verified: ${describeError(error)}` };
  }
}

/** What is wrong with a value that should be a checkpoint, or null. */
function formProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a checkpoint is an object';
  const c = value as Record<string, unknown>;
  if (!Number.isSafeInteger(c.size) || (c.size as number) < 0) return 'size is not a whole number of entries';
  if (!isHexHash(c.root)) return 'root is not 64 lowercase hex digits';
  if (typeof c.timestamp !== 'string' || !isIsoTimestamp(c.timestamp)) return 'timestamp is not ISO 8601';
  if (typeof c.signature !== 'string' || !SIGNATURE_BASE64.test(c.signature)) return 'signature is not a base64 Ed25519 signature (64 bytes)';
  return null;
}

function isIsoTimestamp(value: string): boolean {
  return ISO_8601.test(value) && !Number.isNaN(Date.parse(value));
}

/** The most recent PEM parsed: a log's checkpoints are all checked with one key. */
let lastPem: { pem: string; key: KeyObject } | null = null;

/** An Ed25519 public KeyObject, or why there is none. */
function publicKeyFrom(publicKey: string | KeyObject): KeyObject | string {
  let key: KeyObject;
  if (publicKey instanceof KeyObject) {
    key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  } else if (typeof publicKey === 'string') {
    if (lastPem?.pem === publicKey) return lastPem.key;
    try {
      key = createPublicKey({ key: publicKey, format: 'pem' });
    } catch (error) {
      return `public key is not a PEM public key: ${describeError(error)}`;
    }
  } else {
    return 'public key is not a PEM string';
  }
  if (key.asymmetricKeyType !== 'ed25519') return `public key is ${key.asymmetricKeyType ?? 'of an unknown type'}, not Ed25519`;
  if (typeof publicKey === 'string') lastPem = { pem: publicKey, key };
  return key;
}

function statIfExists(path: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function loadKeyFile(keyPath: string): CheckpointSigner {
  const pem = readFileSync(keyPath, 'utf8');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new Error(
      `checkpoint key ${keyPath} is not a PEM private key (${describeError(error)}); ` +
        'point keyPath at the Ed25519 key (PKCS#8 PEM) this log is signed with, or move the file away to have a new key made',
      { cause: error },
    );
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `checkpoint key ${keyPath} is a ${privateKey.asymmetricKeyType ?? 'non-Ed25519'} key; checkpoints are signed with Ed25519: ` +
        'point keyPath at an Ed25519 key (PKCS#8 PEM), or move the file away to have a new key made',
    );
  }
  return CheckpointSigner.fromPrivateKeyPem(pem);
}

/**
 * Writes `contents` to `path` (mode 0600) only if nothing is there: into a temporary file in the
 * same directory first, synced, then linked into place (a link, unlike a rename, refuses to
 * replace a file that appeared meanwhile). False when `path` already existed.
 */
function createExclusively(path: string, contents: string): boolean {
  const directory = dirname(path);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Filesystems without hard links: rename, after one more look.
    if (statIfExists(path)) return false;
    renameSync(temporary, path);
    syncDirectory(directory);
    return true;
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // already renamed into place
    }
  }
  syncDirectory(directory);
  return true;
}

/** Makes a new directory entry durable (best effort: not every platform can sync a directory). */
function syncDirectory(directory: string): void {
  try {
    const fd = openSync(directory, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // nothing more can be done here
  }
}
