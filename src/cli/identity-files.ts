import { closeSync, constants, readFileSync, statSync, writeSync } from 'node:fs';
import type { AgentKey } from '../identity/agent-key.js';
import { parseCredentialFile } from '../identity/credential-file.js';
import type { CredentialChain } from '../identity/delegation.js';
import { isFailure, publicKeyOfDid, didKeyOf } from '../identity/did-key.js';
import { MAX_KEY_FILE_BYTES, readAgentKeyFile, readPublicKeyFile } from '../identity/key-file.js';
import { shownArgument } from './shown-argument.js';
import { UsageError } from './errors.js';
import { readArgumentFile } from './files.js';
import { openNewFile, pathKind } from './paths.js';

/**
 * The files the identity commands take, read in the CLI's terms: every refusal is a one-line
 * usage error (exit 2) that names the option, the file and the fix, and never echoes a key or a
 * token. The checks themselves are the library's (key-file.ts, credential-file.ts).
 */

/** A credential file is a few tokens of at most 8 KiB each. */
const MAX_CREDENTIAL_FILE_BYTES = 64 * 1024;

/** The private key in the JWK file `path` given as `option` (`--key`, `--issuer`). */
export function loadAgentKey(path: string, option: string): AgentKey {
  // A public JWK (shared freely, so often mode 0644) is named as such, not as a permission problem.
  if (holdsPublicJwkOnly(path)) throw new UsageError(`${option}: ${path} holds a public key where a private key is expected (no 'd'); pass the key file written by 'agt identity new'`);
  const key = readAgentKeyFile(path);
  if (isFailure(key)) throw new UsageError(`${option}: ${key.message}`);
  return key;
}

/** True when `path` is a readable JSON object without a private part (anything else is left to the key-file checks). */
function holdsPublicJwkOnly(path: string): boolean {
  try {
    const stats = statSync(path);
    if (!stats.isFile() || stats.size > MAX_KEY_FILE_BYTES) return false;
    const json: unknown = JSON.parse(readFileSync(path, { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NONBLOCK }));
    return typeof json === 'object' && json !== null && !Array.isArray(json) && !('d' in json) && 'kty' in json;
  } catch {
    return false;
  }
}

/** The chain in the credential file `path` given as `option`. */
export function loadCredentialChain(path: string, option: string): CredentialChain {
  const text = readArgumentFile(path, 'credential file', MAX_CREDENTIAL_FILE_BYTES);
  const chain = parseCredentialFile(text, path);
  if (isFailure(chain)) throw new UsageError(`${option}: ${chain.message}`);
  return chain;
}

/**
 * The DID `value` names: a did:key itself, or the path of a public JWK file (as `agt identity
 * show --jwk` writes). A private key file is refused: a subject is named by its public half.
 */
export function subjectDid(value: string, option: string): string {
  if (value.startsWith('did:')) {
    const key = publicKeyOfDid(value);
    if (isFailure(key)) throw new UsageError(`${option}: ${key.message}; pass the DID 'agt identity new' printed`);
    return value;
  }
  if (pathKind(value, `pass ${option} a did:key or a public JWK file`) === 'missing') {
    throw new UsageError(`${option} ${shownArgument(value, true)} is neither a did:key nor an existing file; pass the DID 'agt identity new' printed`);
  }
  const key = readPublicKeyFile(value);
  if (isFailure(key)) throw new UsageError(`${option}: ${key.message}`);
  return didKeyOf(key);
}

/** Writes `text` to a new file at `path` (`option` names it in errors); an existing file is never overwritten. */
export function writeNewFile(path: string, text: string, option: string): void {
  const fd = openNewFile(path, option);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** A comma-separated list flag (`--tools 'crm.*,search'`) as its trimmed, non-empty entries. */
export function listOption(value: string): string[] {
  return value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
}

/** An integer flag within [min, max], or a usage error naming the option and the range. */
export function integerOption(value: string, option: string, min: number, max: number): number {
  const n = /^-?\d{1,6}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${option} must be a whole number from ${min} to ${max}`);
  return n;
}
