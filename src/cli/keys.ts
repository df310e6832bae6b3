import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { UsageError } from './errors.js';
import { readArgumentFile } from './files.js';

const EXPORT_PUBLIC_KEY = "export the log's public key with `agt audit key > audit-public.pem` and pass that";

/**
 * Reads `--public-key FILE`: the PEM of an Ed25519 public key, checked here so that a wrong file
 * is a usage error (exit 2) and not a proof or log that "does not verify" (exit 1). The file's
 * content is never echoed: it is the user's, and could be a secret given by mistake.
 */
export function readPublicKeyFile(file: string): string {
  const text = readArgumentFile(file, 'public key', 64 * 1024);
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new UsageError(`${file} holds a private key, which must stay secret; ${EXPORT_PUBLIC_KEY}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new UsageError(`${file} is not a PEM public key; ${EXPORT_PUBLIC_KEY}`);
  }
  requireEd25519(file, key, EXPORT_PUBLIC_KEY);
  return text;
}

/**
 * Checks an existing signing key file (`--key`, or the one beside a store) before a store is
 * opened with it: the PEM of an Ed25519 private key, said in the CLI's terms rather than the library's.
 */
export function checkSigningKeyFile(file: string, fix: string): void {
  const text = readArgumentFile(file, 'signing key', 64 * 1024);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new UsageError(`${file} is not a PEM private key, so it cannot sign checkpoints; ${fix}`);
  }
  requireEd25519(file, key, fix);
}

function requireEd25519(file: string, key: KeyObject, fix: string): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new UsageError(`${file} holds a key of type ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519 (audit checkpoints are signed with Ed25519); ${fix}`);
  }
}
